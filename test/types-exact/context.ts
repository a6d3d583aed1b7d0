// Compiled with exactOptionalPropertyTypes (npm run typecheck): the context fields a user
// fills from optional values of their own take `string | undefined`.
import { ErrorRecoveryOrchestrator, withRecovery } from '../../src/index.js';

interface Job {
  readonly workflowId?: string | undefined;
  readonly node?: string | undefined;
}
declare const job: Job;

export const handled = new ErrorRecoveryOrchestrator().handleError(
  { workflowId: job.workflowId, nodeName: job.node, correlationId: undefined, state: { job } },
  () => 'done',
);
export const operator = withRecovery(undefined, {
  context: { workflowId: job.workflowId, nodeName: job.node, stepCount: undefined },
});
