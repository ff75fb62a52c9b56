// Fault injection for sandbox endpoints: set per endpoint through the admin API or in code.
import { z } from 'zod';

export const FaultSchema = z.discriminatedUnion('type', [
  /** Answer with this status (and body) instead of running the handler. */
  z.object({
    type: z.literal('status'),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
    retryAfter: z.union([z.number(), z.string()]).optional(),
  }),
  /** Delay the answer, then run the handler normally. */
  z.object({ type: z.literal('latency'), ms: z.number().int().min(0).max(600_000) }),
  /** Destroy the connection without answering. */
  z.object({ type: z.literal('reset') }),
  /** Answer 200 with a body that is not valid JSON. */
  z.object({ type: z.literal('malformed') }),
  /** Run the handler (its side effects happen), then answer with this status: e.g. a 504 that still created the VM. */
  z.object({ type: z.literal('after'), status: z.number().int().min(100).max(599), body: z.unknown().optional() }),
  /** Cut a streaming answer after this many events. */
  z.object({ type: z.literal('drop-stream'), afterEvents: z.number().int().min(0) }),
]);
export type Fault = z.infer<typeof FaultSchema>;

export const FaultRuleSchema = z.object({
  /** Endpoint label (`GET /cvms/{id}`) or activity name (`phalaGetCvm`); `*` matches every endpoint. */
  endpoint: z.string().min(1),
  fault: FaultSchema,
  /** How many matching requests it applies to; 0 means until cleared. */
  times: z.number().int().min(0).default(1),
});
export type FaultRule = z.input<typeof FaultRuleSchema>;

interface ActiveRule {
  endpoint: string;
  fault: Fault;
  remaining: number; // Infinity when times = 0
}

export class FaultTable {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const r = FaultRuleSchema.parse(rule);
    this.rules.push({ endpoint: r.endpoint, fault: r.fault, remaining: r.times === 0 ? Infinity : r.times });
  }

  clear(): void {
    this.rules = [];
  }

  /** Takes the first rule matching the endpoint (by label or activity), consuming one use. */
  take(label: string, activity: string): Fault | undefined {
    const i = this.rules.findIndex((r) => r.endpoint === label || r.endpoint === activity || r.endpoint === '*');
    if (i < 0) return undefined;
    const rule = this.rules[i]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(i, 1);
    return rule.fault;
  }

  list(): Array<{ endpoint: string; fault: Fault; remaining: number | 'unlimited' }> {
    return this.rules.map((r) => ({ endpoint: r.endpoint, fault: r.fault, remaining: r.remaining === Infinity ? 'unlimited' : r.remaining }));
  }
}
