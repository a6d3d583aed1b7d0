/** `Object.freeze`, under a name a minifier can shorten (the patterns freeze a lot). */
export const { freeze } = Object;
