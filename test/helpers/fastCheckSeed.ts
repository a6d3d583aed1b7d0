import fc from 'fast-check';

// Property tests explore fresh random inputs on every local run. CI replays one fixed seed,
// so that a red build always means a regression that can be replayed; FC_SEED=<n> replays
// any seed (fast-check prints the seed of every failure).
const seed = process.env.FC_SEED ?? (process.env.CI ? '20261129' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
