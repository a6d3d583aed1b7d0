/**
 * The live dashboard of rx-recovery, in an entry point of its own
 * (`rx-recovery/dashboard`): it needs `node:http`, so only code importing it runs on Node
 * alone.
 *
 * @example
 * ```ts
 * import { createRecoveryHub, withRecovery } from 'rx-recovery';
 * import { serveDashboard } from 'rx-recovery/dashboard';
 *
 * const hub = createRecoveryHub({ name: 'codegen-service' });
 * const { url } = await serveDashboard(hub);
 * console.log(`open ${url}`);
 * generation$.pipe(withRecovery(undefined, { hub, escalation: { await: true } })).subscribe(save);
 * ```
 *
 * @module
 */
export type {
  DashboardFleet,
  DashboardOptions,
  DashboardServer,
} from './dashboard/serveDashboard.js';
export { serveDashboard } from './dashboard/serveDashboard.js';
export type {
  BreakerTransition,
  BreakerView,
  BudgetView,
  DashboardUpdate,
  EscalationsView,
  EscalationView,
  RateView,
  SignalLine,
  StoreView,
} from './dashboard/view.js';
