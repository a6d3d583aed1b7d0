/**
 * `value[key]` when `value` is an object, else `undefined`; never throws (a revoked proxy,
 * a throwing getter: read as absent). How the fleet recognises its objects and errors
 * across copies of the package: by a brand or a protocol under a key, never `instanceof`.
 */
export function safely(value: unknown, key: PropertyKey): unknown {
  if (typeof value === 'object' && value !== null) {
    try {
      return (value as Record<PropertyKey, unknown>)[key];
    } catch {
      // not ours
    }
  }
  return undefined;
}
