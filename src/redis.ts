/**
 * Shared state across processes (`rx-recovery/redis`): circuit breakers, retry budgets and
 * waiting escalations kept in Redis, in an entry point of its own so that only code
 * importing it needs the optional peer dependency `ioredis` (the store only uses the
 * client you pass it).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createCircuitBreaker } from 'rx-recovery';
 * import { createRedisStore } from 'rx-recovery/redis';
 *
 * const store = createRedisStore({ client: new Redis() });
 * const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 5 }, store });
 * ```
 *
 * @module
 */
export type { RedisStore, RedisStoreOptions } from './redis/createRedisStore.js';
export { createRedisStore } from './redis/createRedisStore.js';
export type {
  FleetBreaker,
  FleetBreakerChange,
  FleetBudget,
  FleetReport,
  FleetView,
  FleetViewOptions,
} from './redis/fleetView.js';
