import type { MarbleCase } from './case.js';
import { fleetCases } from './fleet.js';
import { standaloneCases } from './standalone.js';
import { withRecoveryCases } from './withRecovery.js';

export type { MarbleCase } from './case.js';

/** Every marble case, in the order the docs show them. */
export const marbleCases: readonly MarbleCase[] = [
  ...withRecoveryCases,
  ...standaloneCases,
  ...fleetCases,
];
