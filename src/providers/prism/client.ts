// Ultraviolet Prism CVM client: one method per documented endpoint, Bearer auth, the workspace (domain) id in the path
// and, as in every curl example of the docs, repeated as `?domainID=` (harmless when the server ignores it).
import type { z } from 'zod';
import { HttpCore, transportOptions, type CallOptions, type QueryValue, type TransportOptions } from '../http/core';
import { ProviderError } from '../http/errors';
import { prismEndpoint, type PrismActivityName } from './endpoints';
import { parsePrismErrorBody } from './errors';
import {
  CreateCvmBodySchema,
  CreateCvmParamsSchema,
  CreateCvmResponseSchema,
  CvmIdParamsSchema,
  EmptyResponseSchema,
  ListCvmsParamsSchema,
  PrismAttestationPolicySchema,
  PrismCvmListSchema,
  PrismCvmSchema,
  PrismCvmStatisticsSchema,
  StatisticsParamsSchema,
  type CreateCvmParams,
  type CvmIdParams,
  type ListCvmsParams,
  type PrismAttestationPolicy,
  type PrismCvm,
  type PrismCvmList,
  type PrismCvmStatistics,
  type StatisticsParams,
} from './schemas';

export const PRISM_DEFAULT_BASE_URL = 'https://prism.ultraviolet.rs/backends';

export interface PrismClientOptions extends TransportOptions {
  /** e.g. `https://prism.ultraviolet.rs/backends` (the sandbox's URL ends in `/backends` too). */
  baseUrl: string;
  /** A Prism access token (JWT from `POST /users/tokens/issue`), or a function returning the current one. Never logged. */
  token: string | (() => string);
  /** The workspace id (`domainID`) every CVM path is scoped by. */
  domainId: string;
  /** Repeat the domain id as `?domainID=` like the docs' examples do (default true). */
  domainQuery?: boolean;
}

export type { CallOptions };

export interface PrismCreateResult {
  /** Prism answers 201 with no body: the id is unknown and must be found by name (`listCvms({ name })`). */
  id?: string;
}

/** Client-side validation failures use the same taxonomy as server answers. */
function checkParams<S extends z.ZodType>(schema: S, value: unknown, activity: PrismActivityName): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  const e = prismEndpoint(activity);
  throw new ProviderError({
    kind: 'invalid_request',
    provider: 'prism',
    endpoint: `${e.method} ${e.path}`,
    message: `invalid parameters: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`,
  });
}

export class PrismClient {
  readonly domainId: string;
  private readonly core: HttpCore;
  private readonly domainQuery: boolean;

  constructor(opts: PrismClientOptions) {
    if (!opts.domainId || !/^[A-Za-z0-9-]+$/.test(opts.domainId)) throw new Error('PrismClient: domainId must be a workspace id (letters, digits, -)');
    const token = opts.token;
    if (typeof token === 'string' && token.trim() === '') throw new Error('PrismClient: token must not be empty');
    this.domainId = opts.domainId;
    this.domainQuery = opts.domainQuery ?? true;
    this.core = new HttpCore({
      ...transportOptions(opts),
      provider: 'prism',
      baseUrl: opts.baseUrl,
      authHeaders: () => ({ authorization: `Bearer ${typeof token === 'function' ? token() : token}` }),
      parseErrorBody: parsePrismErrorBody,
    });
  }

  async close(): Promise<void> {
    await this.core.close();
  }

  /** `POST /{domainID}/cvms/{provider}/{vcpu}/{cc_platform}`: sends the canonical `sev-snp` / `tdx` spelling. */
  async createCvm(params: CreateCvmParams, opts: CallOptions = {}): Promise<PrismCreateResult> {
    const p = checkParams(CreateCvmParamsSchema, params, 'prismCreateCvm');
    const body = CreateCvmBodySchema.parse({ name: p.name, agent_log_level: p.agentLogLevel });
    const res = await this.core.request({
      endpoint: prismEndpoint('prismCreateCvm'),
      params: { domainID: this.domainId, provider: p.provider, vcpu: p.vcpu, cc_platform: p.ccPlatform },
      query: this.query(),
      body,
      schema: CreateCvmResponseSchema,
      signal: opts.signal,
    });
    return res?.id ? { id: res.id } : {};
  }

  /** `GET /{domainID}/cvms`. The `name` filter is a partial match on the real API: compare names exactly yourself. */
  async listCvms(params: ListCvmsParams = {}, opts: CallOptions = {}): Promise<PrismCvmList> {
    const p = checkParams(ListCvmsParamsSchema, params, 'prismListCvms');
    return this.core.request({
      endpoint: prismEndpoint('prismListCvms'),
      params: { domainID: this.domainId },
      query: this.query({ limit: p.limit, offset: p.offset, name: p.name, status: p.status, days: p.days, cc_platform: p.ccPlatform }),
      schema: PrismCvmListSchema,
      signal: opts.signal,
    });
  }

  /** `GET /{domainID}/cvms/{id}`. */
  async getCvm(params: CvmIdParams, opts: CallOptions = {}): Promise<PrismCvm> {
    const p = checkParams(CvmIdParamsSchema, params, 'prismGetCvm');
    return this.core.request({
      endpoint: prismEndpoint('prismGetCvm'),
      params: { domainID: this.domainId, id: p.id },
      query: this.query(),
      schema: PrismCvmSchema,
      signal: opts.signal,
    });
  }

  /** `DELETE /{domainID}/cvms/{id}` (204). */
  async deleteCvm(params: CvmIdParams, opts: CallOptions = {}): Promise<void> {
    const p = checkParams(CvmIdParamsSchema, params, 'prismDeleteCvm');
    await this.core.request({
      endpoint: prismEndpoint('prismDeleteCvm'),
      params: { domainID: this.domainId, id: p.id },
      query: this.query(),
      schema: EmptyResponseSchema,
      signal: opts.signal,
    });
  }

  /** `GET /{domainID}/cvms/{id}/statistics?days=`. */
  async getCvmStatistics(params: StatisticsParams, opts: CallOptions = {}): Promise<PrismCvmStatistics> {
    const p = checkParams(StatisticsParamsSchema, params, 'prismGetCvmStatistics');
    return this.core.request({
      endpoint: prismEndpoint('prismGetCvmStatistics'),
      params: { domainID: this.domainId, id: p.id },
      query: this.query({ days: p.days }),
      schema: PrismCvmStatisticsSchema,
      signal: opts.signal,
    });
  }

  /** `GET /{domainID}/cvms/{id}/attestation_policy`: `attestation_policy` is base64 (see `decodeAttestationPolicy`). */
  async getAttestationPolicy(params: CvmIdParams, opts: CallOptions = {}): Promise<PrismAttestationPolicy> {
    const p = checkParams(CvmIdParamsSchema, params, 'prismGetAttestationPolicy');
    return this.core.request({
      endpoint: prismEndpoint('prismGetAttestationPolicy'),
      params: { domainID: this.domainId, id: p.id },
      query: this.query(),
      schema: PrismAttestationPolicySchema,
      signal: opts.signal,
    });
  }

  private query(extra: Record<string, QueryValue> = {}): Record<string, QueryValue> {
    return this.domainQuery ? { domainID: this.domainId, ...extra } : extra;
  }
}
