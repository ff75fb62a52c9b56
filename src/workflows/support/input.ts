// Workflow inputs are validated again at start: a bad input fails at once, readably, and is never retried.
import { ApplicationFailure, upsertMemo } from '@temporalio/workflow';
import type { z } from 'zod';
import { describeIssues } from '../../contract/common';
import { FailureTypes } from '../../contract/failures';

export function parseWorkflowInput<S extends z.ZodType>(workflowType: string, schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw ApplicationFailure.create({ message: `${workflowType}: invalid input: ${describeIssues(parsed.error)}`, type: FailureTypes.InvalidWorkflowInput, nonRetryable: true });
  }
  recordLabels(parsed.data);
  return parsed.data;
}

/** A lifecycle's `labels` go into the workflow's memo: shown by the Temporal UI, `cvmflow status` and `list`. */
function recordLabels(input: unknown): void {
  const labels = (input as { labels?: Record<string, string> } | null)?.labels;
  if (labels && Object.keys(labels).length > 0) upsertMemo({ labels });
}

/** The message and failure type of an error from an activity or child, for status and failure text. */
export function describeFailure(err: unknown): { message: string; type?: string; details?: unknown[] } {
  let e = err as { message?: string; cause?: unknown; type?: string | null; details?: unknown[] | null };
  while (e?.cause && (e as { type?: unknown }).type === undefined) e = e.cause as typeof e;
  return { message: e?.message ?? String(err), type: e?.type ?? undefined, details: e?.details ?? undefined };
}
