// What every CVM workflow answers to the `status` query and shows in the UI's current details.
import { defineQuery } from '@temporalio/workflow';
import type { Provider } from './common';

export interface CvmWorkflowStatus {
  workflowType: string;
  /** The lifecycle step running now, e.g. `provision`, `await-onchain`, `commit`, `wait-running`, `done`. */
  step: string;
  provider: Provider;
  cvmName?: string;
  cvmId?: string;
  /** The provider's own status word as last seen (e.g. `starting`, `ACTIVE`, `Online`). */
  providerStatus?: string;
  lastError?: string;
  /** Signals ignored because their payload was invalid, and why the last one was. */
  rejectedMessages?: number;
  lastRejectedMessage?: string;
  /** ISO time of the scheduled teardown, when one is known. */
  teardownAt?: string;
  /** Steps done so far with their ISO times, oldest first. */
  history: Array<{ step: string; at: string }>;
}

export const statusQuery = defineQuery<CvmWorkflowStatus>('status');
