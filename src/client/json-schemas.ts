// JSON Schemas of every workflow input and output, generated from the shared zod schemas. Written to
// schemas/*.json by scripts/gen-schemas.cjs; a unit test fails when the committed files drift.
import { z } from 'zod';
import { CreateCudoVmInputSchema, CreateCudoVmResultSchema } from '../contract/cudo';
import { CollectCvmStatisticsInputSchema, CollectCvmStatisticsResultSchema, ReattestCvmsInputSchema, ReattestCvmsResultSchema, ReconcileFleetInputSchema, ReconcileFleetResultSchema } from '../contract/fleet';
import { OperateCvmInputSchema, OperateCvmResultSchema } from '../contract/operate';
import { ProvisionPhalaCvmInputSchema, ProvisionPhalaCvmResultSchema, SubmitOnChainTransactionSchema } from '../contract/phala';
import { CreateAttestedPrismCvmInputSchema, CreateAttestedPrismCvmResultSchema } from '../contract/prism';
import { ExtendTeardownSchema, TeardownCvmInputSchema, TeardownCvmResultSchema } from '../contract/teardown';
import { ScheduleConfigSchema } from './schedules';

type Io = 'input' | 'output';
const SOURCES: Record<string, { schema: z.ZodType; io: Io; title: string }> = {
  'provisionPhalaCvm.input': { schema: ProvisionPhalaCvmInputSchema, io: 'input', title: 'provisionPhalaCvm input' },
  'provisionPhalaCvm.output': { schema: ProvisionPhalaCvmResultSchema, io: 'output', title: 'provisionPhalaCvm result' },
  'createAttestedPrismCvm.input': { schema: CreateAttestedPrismCvmInputSchema, io: 'input', title: 'createAttestedPrismCvm input' },
  'createAttestedPrismCvm.output': { schema: CreateAttestedPrismCvmResultSchema, io: 'output', title: 'createAttestedPrismCvm result' },
  'createCudoVm.input': { schema: CreateCudoVmInputSchema, io: 'input', title: 'createCudoVm input' },
  'createCudoVm.output': { schema: CreateCudoVmResultSchema, io: 'output', title: 'createCudoVm result' },
  'teardownCvm.input': { schema: TeardownCvmInputSchema, io: 'input', title: 'teardownCvm input' },
  'teardownCvm.output': { schema: TeardownCvmResultSchema, io: 'output', title: 'teardownCvm result' },
  'operateCvm.input': { schema: OperateCvmInputSchema, io: 'input', title: 'operateCvm input' },
  'operateCvm.output': { schema: OperateCvmResultSchema, io: 'output', title: 'operateCvm result' },
  'reconcileFleet.input': { schema: ReconcileFleetInputSchema, io: 'input', title: 'reconcileFleet input' },
  'reconcileFleet.output': { schema: ReconcileFleetResultSchema, io: 'output', title: 'reconcileFleet result' },
  'collectCvmStatistics.input': { schema: CollectCvmStatisticsInputSchema, io: 'input', title: 'collectCvmStatistics input' },
  'collectCvmStatistics.output': { schema: CollectCvmStatisticsResultSchema, io: 'output', title: 'collectCvmStatistics result' },
  'reattestCvms.input': { schema: ReattestCvmsInputSchema, io: 'input', title: 'reattestCvms input' },
  'reattestCvms.output': { schema: ReattestCvmsResultSchema, io: 'output', title: 'reattestCvms result' },
  'submitOnChainTransaction.input': { schema: SubmitOnChainTransactionSchema, io: 'input', title: 'submitOnChainTransaction update argument' },
  'extendTeardown.input': { schema: ExtendTeardownSchema, io: 'input', title: 'extendTeardown update argument' },
  'schedules.config': { schema: ScheduleConfigSchema, io: 'input', title: 'cvmflow schedules file (YAML or JSON)' },
};

/** File name (without .json) → JSON Schema (draft 2020-12). */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, { schema, io, title }] of Object.entries(SOURCES)) {
    const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
    out[name] = { $id: `https://cvmflow.dev/schemas/${name}.json`, title, ...js };
  }
  return out;
}

/** The text written to schemas/<name>.json. */
export function jsonSchemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(jsonSchemas()).map(([name, s]) => [`${name}.json`, `${JSON.stringify(s, null, 2)}\n`]));
}
