// Prism activities: one per documented endpoint, thin (validate, call, translate errors). Outputs are plain JSON and
// carry the state classification (`lifecycle`) so workflows, which cannot import provider code, can wait on it.
import { z } from 'zod';
import type { PrismClient } from '../providers/prism/client';
import { isProviderError } from '../providers/http/errors';
import {
  CreateCvmParamsSchema,
  CvmIdParamsSchema,
  decodeBase64Field,
  ListCvmsParamsSchema,
  StatisticsParamsSchema,
  type PrismCvm,
  type PrismCvmStat,
  type PrismCcPlatform,
  type PrismProvider,
  type PrismAgentLogLevel,
} from '../providers/prism/schemas';
import { isLivePrismCvmNamed, prismLifecycle, type PrismLifecycle } from '../contract/rules/prism';
import { callProvider } from './provider-failure';

export interface PrismCvmView {
  cvm: PrismCvm;
  lifecycle: PrismLifecycle;
}

export interface PrismCreateCvmResult {
  /** true: Prism accepted the request (201); it returns no id, so find the CVM by exact name with prismListCvms.
   *  false: a live CVM of that name already existed (`reuseExisting`), nothing was created; `id` names it. */
  accepted: boolean;
  name: string;
  provider: PrismProvider;
  vcpu: number;
  ccPlatform: PrismCcPlatform;
  agentLogLevel: PrismAgentLogLevel;
  /** The existing CVM's id, or (only if a future Prism answers with a body naming it) the new one's. */
  id?: string;
  /** Every live CVM of that exact name, newest first, when more than one existed. */
  existingIds?: string[];
}

export interface PrismListCvmsResult {
  total: number;
  limit?: number;
  offset?: number;
  /** With `includeEvidence: false` (default) `attestation`/`attestation_token` are replaced by their decoded sizes,
   *  which keeps a page of CVMs far below Temporal's payload limit. */
  items: PrismCvmView[];
}

export interface PrismDeleteCvmResult {
  id: string;
  /** The CVM was unknown (404): deleting is idempotent for compensations. */
  alreadyGone: boolean;
}

export interface PrismStatisticsResult {
  id: string;
  days?: number;
  cvm_stats: PrismCvmStat[];
  onlineSamples: number;
  offlineSamples: number;
  /** The newest sample, if any. */
  latest?: { timestamp: string; status: boolean };
}

export interface PrismAttestationPolicyResult {
  id: string;
  /** Base64, exactly as Prism sent it. */
  attestation_policy: string;
  /** Sniffed from the decoded bytes: JSON (cocos ≤ v0.8) or CBOR CoRIM / COSE_Sign1 (cocos ≥ v0.9). */
  format: 'json' | 'cbor' | 'empty' | 'unknown';
  bytes: number;
}

/**
 * `reuseExisting` (default true) first looks for a live CVM of the exact name and creates nothing if one exists.
 * Prism allows duplicate names and its create answers with no id, so this is what makes a retried create (after a
 * timeout or 504 that still created the CVM) idempotent. `excludeIds`: CVMs the caller saw before it decided to
 * create (someone else's); they are never taken for this create's own CVM.
 */
export const PrismCreateCvmInputSchema = CreateCvmParamsSchema.extend({ reuseExisting: z.boolean().default(true), excludeIds: z.array(z.string()).max(1_000).default([]) });

export const PrismListCvmsInputSchema = ListCvmsParamsSchema.extend({ includeEvidence: z.boolean().default(false) });

function summarize(cvm: PrismCvm, includeEvidence: boolean): PrismCvm {
  if (includeEvidence) return cvm;
  const { attestation, attestation_token, ...rest } = cvm;
  return { ...rest, attestation_bytes: decodeBase64Field(attestation).length, attestation_token_present: !!attestation_token } as PrismCvm;
}

function view(cvm: PrismCvm, includeEvidence = true): PrismCvmView {
  return { cvm: summarize(cvm, includeEvidence), lifecycle: prismLifecycle(cvm) };
}

/** Live (not deleted, not failed) CVMs with exactly this name, newest first; Prism's name filter is a partial match. */
async function liveCvmsNamed(client: PrismClient, name: string, signal: AbortSignal): Promise<PrismCvm[]> {
  const found: PrismCvm[] = [];
  for (let offset = 0, page = 0; page < 20; page++) {
    const res = await client.listCvms({ name, limit: 100, offset }, { signal });
    for (const c of res.cvms) {
      if (isLivePrismCvmNamed(c, name)) found.push(c);
    }
    offset += res.cvms.length;
    if (res.cvms.length === 0 || offset >= res.total) break;
  }
  return found.sort((a, b) => Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? ''));
}

function sniffPolicy(bytes: Buffer): PrismAttestationPolicyResult['format'] {
  if (bytes.length === 0) return 'empty';
  const first = bytes.subarray(0, 64).toString('utf8').trimStart()[0];
  if (first === '{') return 'json';
  // CBOR: tag 501 (0xd9 0x01 0xf5) for an unsigned CoRIM, tag 18 (0xd2) for COSE_Sign1, or an untagged array/map.
  if (bytes[0] === 0xd9 || bytes[0] === 0xd2 || bytes[0] === 0x84 || bytes[0] === 0xa1) return 'cbor';
  return 'unknown';
}

export function createPrismActivities(client: PrismClient) {
  return {
    async prismCreateCvm(input: z.input<typeof PrismCreateCvmInputSchema>): Promise<PrismCreateCvmResult> {
      return callProvider('prismCreateCvm', PrismCreateCvmInputSchema, input, async ({ reuseExisting, excludeIds, ...p }, signal) => {
        const base = { name: p.name, provider: p.provider, vcpu: p.vcpu, ccPlatform: p.ccPlatform, agentLogLevel: p.agentLogLevel };
        if (reuseExisting) {
          const excluded = new Set(excludeIds);
          const existing = (await liveCvmsNamed(client, p.name, signal)).filter((c) => !excluded.has(c.id));
          if (existing.length > 0) return { ...base, accepted: false as const, id: existing[0]!.id, existingIds: existing.map((c) => c.id) };
        }
        const res = await client.createCvm(p, { signal });
        return { ...base, accepted: true as const, ...(res.id ? { id: res.id } : {}) };
      });
    },

    async prismListCvms(input: z.input<typeof PrismListCvmsInputSchema> = {}): Promise<PrismListCvmsResult> {
      return callProvider('prismListCvms', PrismListCvmsInputSchema, input, async ({ includeEvidence, ...p }, signal) => {
        const res = await client.listCvms(p, { signal });
        return {
          total: res.total,
          ...(res.limit !== undefined ? { limit: res.limit } : {}),
          ...(res.offset !== undefined ? { offset: res.offset } : {}),
          items: res.cvms.map((c) => view(c, includeEvidence)),
        };
      });
    },

    async prismGetCvm(input: z.input<typeof CvmIdParamsSchema>): Promise<PrismCvmView> {
      return callProvider('prismGetCvm', CvmIdParamsSchema, input, async (p, signal) => view(await client.getCvm(p, { signal })));
    },

    async prismDeleteCvm(input: z.input<typeof CvmIdParamsSchema>): Promise<PrismDeleteCvmResult> {
      return callProvider('prismDeleteCvm', CvmIdParamsSchema, input, async (p, signal) => {
        try {
          await client.deleteCvm(p, { signal });
          return { id: p.id, alreadyGone: false };
        } catch (err) {
          if (isProviderError(err) && err.kind === 'not_found') return { id: p.id, alreadyGone: true };
          throw err;
        }
      });
    },

    async prismGetCvmStatistics(input: z.input<typeof StatisticsParamsSchema>): Promise<PrismStatisticsResult> {
      return callProvider('prismGetCvmStatistics', StatisticsParamsSchema, input, async (p, signal) => {
        const res = await client.getCvmStatistics(p, { signal });
        const stats = res.cvm_stats;
        const newest = stats.reduce<PrismCvmStat | undefined>((best, s) => (!best || Date.parse(s.timestamp) > Date.parse(best.timestamp) ? s : best), undefined);
        return {
          id: p.id,
          ...(p.days !== undefined ? { days: p.days } : {}),
          cvm_stats: stats,
          onlineSamples: stats.filter((s) => s.status).length,
          offlineSamples: stats.filter((s) => !s.status).length,
          ...(newest ? { latest: { timestamp: newest.timestamp, status: newest.status } } : {}),
        };
      });
    },

    async prismGetAttestationPolicy(input: z.input<typeof CvmIdParamsSchema>): Promise<PrismAttestationPolicyResult> {
      return callProvider('prismGetAttestationPolicy', CvmIdParamsSchema, input, async (p, signal) => {
        const res = await client.getAttestationPolicy(p, { signal });
        const bytes = decodeBase64Field(res.attestation_policy);
        return { id: p.id, attestation_policy: res.attestation_policy, format: sniffPolicy(bytes), bytes: bytes.length };
      });
    },
  };
}

export type PrismActivities = ReturnType<typeof createPrismActivities>;
