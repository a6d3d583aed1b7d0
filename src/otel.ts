export type { OpenTelemetryBridgeOptions } from './observability/openTelemetry.js';
export { bridgeMetricsToOpenTelemetry } from './observability/openTelemetry.js';
