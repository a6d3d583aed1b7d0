/** Errors of the kinds the default patterns route, shared by the engine's tests. */
export const timeoutError = new Error('Request timed out');
export const quorumError = new Error('Quorum not reached: 1 of 3 reviewers approved');
export const importError = new Error("Cannot find module './renderer'");
export const templateError = new Error('TemplateSyntaxError: unexpected end of template');
export const validationError = new Error('ValidationError: field "name" missing');
export const unknownError = new Error('disk full');

/** A SyntaxError as V8 throws it for generated code, with that code on `source`. */
export function missingAsyncError(source: string): SyntaxError {
  return Object.assign(
    new SyntaxError('await is only valid in async functions and the top level bodies of modules'),
    { source },
  );
}
