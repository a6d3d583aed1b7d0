export { isRecoveryConfigError, RecoveryConfigError } from './config/RecoveryConfigError.js';
export type { RefusingCircuitState } from './fleet/BrokenCircuitError.js';
export { BrokenCircuitError, isBrokenCircuitError } from './fleet/BrokenCircuitError.js';
export type { TripRule } from './fleet/breakerState.js';
export type {
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  IsolationHandle,
} from './fleet/circuitBreaker.js';
export { createCircuitBreaker, isCircuitBreaker } from './fleet/circuitBreaker.js';
export { DeadlineExceededError, isDeadlineExceededError } from './fleet/DeadlineExceededError.js';
export type { RetryBudget, RetryBudgetOptions, RetryBudgetSnapshot } from './fleet/retryBudget.js';
export { createRetryBudget, isRetryBudget } from './fleet/retryBudget.js';
export type { SharedStore } from './fleet/store.js';
export type { AsyncSignalMode } from './observability/asyncSignals.js';
export { asyncSignals } from './observability/asyncSignals.js';
export type { HubAnswer, RecoveryHub, RecoveryHubOptions } from './observability/hub.js';
export { createRecoveryHub, isRecoveryHub } from './observability/hub.js';
export type { RecoveryMetric, RecoveryMetricName } from './observability/metrics.js';
export type {
  CircuitState,
  CircuitStateChangedSignal,
  ErrorDetectedSignal,
  EscalatedSignal,
  EscalationResolvedSignal,
  ObserverErrorSignal,
  RecoveryAttemptSignal,
  RecoveryCompletedSignal,
  RecoveryResult,
  RecoverySignal,
  RecoverySignalType,
  RetryBudgetExhaustedSignal,
  SignalBase,
  SignalObserver,
  StoreDegradedSignal,
  StoreRecoveredSignal,
} from './observability/signals.js';
export type { RecoveryStatistics } from './observability/statistics.js';
export { circuitBreaker } from './operators/circuitBreaker.js';
export type { CorrectErrorsOptions } from './operators/correctErrors.js';
export { correctErrors } from './operators/correctErrors.js';
export type { DegradeGracefullyOptions } from './operators/degradeGracefully.js';
export { degradeGracefully } from './operators/degradeGracefully.js';
export type { CommonOptions } from './operators/engine/config.js';
export type { EscalateOnOptions } from './operators/escalateOn.js';
export { escalateOn } from './operators/escalateOn.js';
export type { HedgeContext, HedgeOptions } from './operators/hedge.js';
export { hedge } from './operators/hedge.js';
export type { InjectFaultsOptions } from './operators/injectFaults.js';
export { FaultInjectedError, injectFaults } from './operators/injectFaults.js';
export type { RetryBackoffOptions } from './operators/retryBackoff.js';
export { retryBackoff } from './operators/retryBackoff.js';
export type { SwitchToAlternativeOptions } from './operators/switchToAlternative.js';
export { switchToAlternative } from './operators/switchToAlternative.js';
export type { RecoveryOperator, WithRecoveryOptions } from './operators/withRecovery.js';
export { withRecovery } from './operators/withRecovery.js';
export type {
  HandledError,
  HandleErrorContext,
  HandleErrorOptions,
  OperationAttempt,
  OrchestratorOptions,
} from './orchestrator.js';
export { ErrorRecoveryOrchestrator } from './orchestrator.js';
export type {
  Classification,
  Classifier,
  ClassifierOptions,
  PatternMatch,
} from './patterns/classifier.js';
export { classify, createClassifier } from './patterns/classifier.js';
export { defaultPatterns } from './patterns/defaultPatterns.js';
export type { ErrorPattern, RegexSource, ResolvedErrorPattern } from './patterns/errorPattern.js';
export { errorText, MAX_ERROR_TEXT } from './patterns/errorText.js';
export { ErrorType, RecoveryStrategy } from './patterns/errorTypes.js';
export type {
  AttemptContext,
  ContextOptions,
  RecoveryContext,
  SourceFactory,
} from './strategies/context.js';
export type { CorrectionRule } from './strategies/correct.js';
export type { DegradationLevel } from './strategies/degrade.js';
export type { EscalationRecord } from './strategies/EscalationError.js';
export { EscalationError, isEscalationError } from './strategies/EscalationError.js';
export type { Resolution } from './strategies/resolution.js';
export type { Jitter, RetryOptions } from './strategies/retry.js';
export { backoffDelay } from './strategies/retry.js';
export { retryAfterDelay } from './strategies/retryAfter.js';
