/**
 * The OpenTelemetry bridge of rx-recovery, in an entry point of its own
 * (`rx-recovery/otel`) so that only code importing it loads the optional peer dependency
 * `@opentelemetry/api`.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { createRecoveryHub, withRecovery } from 'rx-recovery';
 * import { bridgeMetricsToOpenTelemetry } from 'rx-recovery/otel';
 *
 * const hub = createRecoveryHub();
 * bridgeMetricsToOpenTelemetry(hub, metrics.getMeter('codegen-service'));
 * generation$.pipe(withRecovery(undefined, { hub })).subscribe(save);
 * ```
 *
 * @module
 */
export type { OpenTelemetryBridgeOptions } from './observability/openTelemetry.js';
export { bridgeMetricsToOpenTelemetry } from './observability/openTelemetry.js';
