import { isObject } from '../config/check.js';
import { type Resolution, resolutionProblem } from '../strategies/resolution.js';
import { firstLine } from './signalLine.js';

/** The most a resolution request's body may hold, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads the body of `POST /api/escalations/<id>`: a {@link Resolution} as JSON. What can
 * travel over HTTP is `value` (any JSON value), `retry`, `complete` and `abort`; a
 * `source` is code, and only the application can hand one over.
 *
 * @returns The resolution, or the one-line problem to answer 400 with.
 */
export function parseResolution(
  body: string,
): { resolution: Resolution<unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { problem: `body: not JSON (${firstLine(String((error as Error).message), 120)})` };
  }
  if (isObject(value) && value.action === 'source') {
    return {
      problem:
        'resolution.action: a source cannot be sent from the page; use value, retry, complete or abort',
    };
  }
  const problem = resolutionProblem(value);
  return problem === undefined ? { resolution: value as Resolution<unknown> } : { problem };
}
