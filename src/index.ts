export type {
  Classification,
  Classifier,
  ClassifierOptions,
  PatternMatch,
} from './patterns/classifier.js';
export { ClassifierOptionsSchema, classify, createClassifier } from './patterns/classifier.js';
export { defaultPatterns } from './patterns/defaultPatterns.js';
export type { ErrorPattern, RegexSource, ResolvedErrorPattern } from './patterns/errorPattern.js';
export { ErrorPatternSchema } from './patterns/errorPattern.js';
export { errorText, MAX_ERROR_TEXT } from './patterns/errorText.js';
export { ErrorType, RecoveryStrategy } from './patterns/errorTypes.js';
export { parsePatterns } from './patterns/parsePatterns.js';
export { isRecoveryConfigError, RecoveryConfigError } from './patterns/RecoveryConfigError.js';
