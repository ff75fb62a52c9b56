// The guard every workflow runs behind (loaded by ./interceptors), so a careless or hostile caller cannot wedge a
// run or be half-heard:
// - a start with more than one input fails at once as InvalidWorkflowInput (the second is not silently ignored),
//   and an update with more than one is rejected;
// - an update a validator rejects comes back as a plain, non-retryable sentence, not "(type: Error, retryable: true)";
// - a signal handler that throws anyway is logged and ignored: a thrown signal handler would fail every workflow
//   task from then on, retried for ever. Handlers validate their payloads themselves (see Progress.rejectMessage);
//   this is the net under them.
import { ApplicationFailure, log, workflowInfo, type Next, type SignalInput, type UpdateInput, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor } from '@temporalio/workflow';
import { FailureTypes } from '../../contract/failures';
import { WORKFLOW_TYPES } from '../../contract/workflows';

/** cvmflow's public workflow types take one input object; other types in a bundle (tests' helpers) are left alone. */
const ONE_INPUT: ReadonlySet<string> = new Set(Object.values(WORKFLOW_TYPES));

export class InputGuardInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { workflowType } = workflowInfo();
    if (input.args.length > 1 && ONE_INPUT.has(workflowType)) {
      throw ApplicationFailure.create({
        message: `${workflowType}: invalid input: expected one input object, got ${input.args.length} (pass every field in one JSON object)`,
        type: FailureTypes.InvalidWorkflowInput,
        nonRetryable: true,
      });
    }
    return next(input);
  }

  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    if (input.args.length > 1) {
      throw ApplicationFailure.create({ message: `${input.name} rejected: expected one input object, got ${input.args.length}`, type: FailureTypes.InvalidUpdate, nonRetryable: true });
    }
    try {
      next(input);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw ApplicationFailure.create({ message: `${input.name} rejected: ${message}`, type: FailureTypes.InvalidUpdate, nonRetryable: true });
    }
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    try {
      await next(input);
    } catch (err) {
      log.warn('cvmflow: a signal handler failed; the signal is ignored', { signal: input.signalName, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
