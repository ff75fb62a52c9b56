// The Phala Cloud API client: one method per documented CVM endpoint (plus the two attestation endpoints of
// provider-notes/phala-attestation.md), zod-validated both ways.
// Auth: the key goes as `X-API-Key` (what the SDK, CLI and Terraform send) and as `Authorization: Bearer`
// (what our docs show); `X-Phala-Version` is pinned because response shapes depend on it.
import type { z } from 'zod';
import { HttpCore, type CallOptions, type TransportOptions } from '../http/core';
import { ProviderError } from '../http/errors';
import { PHALA } from './endpoints';
import { AppAttestationsSchema, CvmAttestationSchema, type PhalaAppAttestations, type PhalaCvmAttestation } from './attestation-schemas';
import { parsePhalaErrorBody } from './errors';
import { canonicalAppId, resolveCvmRef, type CvmRefObject } from './identifiers';
import {
  CommitCvmRequestSchema,
  CommitCvmResponseSchema,
  CompleteEventSchema,
  CvmDetailSchema,
  CvmListSchema,
  CvmStateSchema,
  DEFAULT_PHALA_API_VERSION,
  EmptySchema,
  ErrorEventSchema,
  ListCvmsQuerySchema,
  ProvisionCvmRequestSchema,
  ProvisionCvmResponseSchema,
  ReplicateCvmRequestSchema,
  RestartCvmRequestSchema,
  TimeoutEventSchema,
  VmSchema,
  WatchQuerySchema,
  type CommitCvmRequest,
  type PhalaCommitCvmResponse,
  type PhalaCvmDetail,
  type PhalaCvmList,
  type PhalaProvisionCvmResponse,
  type PhalaStateEvent,
  type PhalaVm,
  type ProvisionCvmRequest,
} from './schemas';

export const DEFAULT_PHALA_BASE_URL = 'https://cloud-api.phala.com/api/v1';

export interface PhalaClientOptions extends Pick<TransportOptions, 'onResponse' | 'onRequestDone' | 'userAgent' | 'dispatcher'> {
  baseUrl: string;
  apiKey: string;
  /** `X-Phala-Version`; defaults to 2026-01-21 (SDK 0.2.9's default). */
  apiVersion?: string;
  /** Which auth headers to send: both (default), only X-API-Key, or only Bearer. */
  authHeaders?: 'both' | 'x-api-key' | 'bearer';
  /** Headers timeout for plain requests; the notes advise ≥ 60 s (`/status/batch` can take ~31 s). */
  timeoutMs?: number;
}

export type { CallOptions };

/** Any documented way to name a CVM: `{ id }`, `{ app_id }`, `{ uuid }`, `{ instance_id }`, `{ name }`, `{ cvm_id }`. */
export type CvmRef = CvmRefObject;

export interface ListCvmsParams {
  page?: number;
  page_size?: number;
  node_id?: number;
  teepod_id?: number;
  user_id?: string;
}

export type RestartCvmParams = CvmRef & { force?: boolean };
export type ReplicateCvmParams = CvmRef & { node_id?: number };
export type WatchCvmStateParams = CvmRef & { target: string; interval?: number; timeout?: number };

function requestInvalid(endpoint: string, error: z.ZodError): ProviderError {
  const fields = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');
  return new ProviderError({ kind: 'invalid_request', provider: 'phala', endpoint, message: `request rejected before sending: ${fields}` });
}

function validate<T>(endpoint: { method: string; path: string }, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw requestInvalid(`${endpoint.method} ${endpoint.path}`, parsed.error);
  return parsed.data;
}

function pathId(endpoint: { method: string; path: string }, ref: CvmRef): string {
  try {
    return resolveCvmRef(ref);
  } catch (err) {
    throw new ProviderError({ kind: 'invalid_request', provider: 'phala', endpoint: `${endpoint.method} ${endpoint.path}`, message: (err as Error).message });
  }
}

function refOnly(params: Record<string, unknown>): CvmRef {
  const { id, cvm_id, uuid, app_id, instance_id, name } = params as CvmRef;
  return { id, cvm_id, uuid, app_id, instance_id, name };
}

export class PhalaClient {
  readonly apiVersion: string;
  private readonly core: HttpCore;

  constructor(opts: PhalaClientOptions) {
    if (!opts.apiKey) throw new Error('PhalaClient needs an apiKey');
    this.apiVersion = opts.apiVersion ?? DEFAULT_PHALA_API_VERSION;
    const key = opts.apiKey;
    const mode = opts.authHeaders ?? 'both';
    this.core = new HttpCore({
      provider: 'phala',
      baseUrl: opts.baseUrl,
      authHeaders: () => ({
        ...(mode !== 'bearer' ? { 'x-api-key': key } : {}),
        ...(mode !== 'x-api-key' ? { authorization: `Bearer ${key}` } : {}),
      }),
      defaultHeaders: { 'x-phala-version': this.apiVersion },
      userAgent: opts.userAgent,
      headersTimeoutMs: opts.timeoutMs ?? 60_000,
      parseErrorBody: parsePhalaErrorBody,
      onResponse: opts.onResponse,
      onRequestDone: opts.onRequestDone,
      dispatcher: opts.dispatcher,
    });
  }

  async close(): Promise<void> {
    await this.core.close();
  }

  /** GET /cvms: both the legacy bare array and the paginated shape, normalised to `{items, total, page, …}`. */
  async listCvms(params: ListCvmsParams = {}, opts: CallOptions = {}): Promise<PhalaCvmList> {
    const query = validate(PHALA.listCvms, ListCvmsQuerySchema, params);
    return this.core.request({ endpoint: PHALA.listCvms, query, schema: CvmListSchema, signal: opts.signal });
  }

  async getCvm(ref: CvmRef, opts: CallOptions = {}): Promise<PhalaCvmDetail> {
    return this.core.request({ endpoint: PHALA.getCvm, params: { id: pathId(PHALA.getCvm, ref) }, schema: CvmDetailSchema, signal: opts.signal });
  }

  /** POST /cvms/provision. `node_id` is also sent as `teepod_id` (what SDK 0.2.9 sends). */
  async provisionCvm(request: ProvisionCvmRequest, opts: CallOptions = {}): Promise<PhalaProvisionCvmResponse> {
    const body = validate(PHALA.provisionCvm, ProvisionCvmRequestSchema, request);
    const node = body.node_id ?? body.teepod_id;
    const wire = { ...body, ...(node !== undefined ? { teepod_id: node, node_id: node } : {}) };
    return this.core.request({ endpoint: PHALA.provisionCvm, body: wire, schema: ProvisionCvmResponseSchema, signal: opts.signal });
  }

  /** POST /cvms: idempotent on app_id + compose_hash. */
  async commitCvm(request: CommitCvmRequest, opts: CallOptions = {}): Promise<PhalaCommitCvmResponse> {
    const body = validate(PHALA.commitCvm, CommitCvmRequestSchema, request);
    return this.core.request({ endpoint: PHALA.commitCvm, body, schema: CommitCvmResponseSchema, signal: opts.signal });
  }

  async startCvm(ref: CvmRef, opts: CallOptions = {}): Promise<PhalaVm> {
    return this.power(PHALA.startCvm, ref, undefined, opts);
  }

  /** Forced stop ("pulling the plug"). */
  async stopCvm(ref: CvmRef, opts: CallOptions = {}): Promise<PhalaVm> {
    return this.power(PHALA.stopCvm, ref, undefined, opts);
  }

  /** Graceful shutdown. */
  async shutdownCvm(ref: CvmRef, opts: CallOptions = {}): Promise<PhalaVm> {
    return this.power(PHALA.shutdownCvm, ref, undefined, opts);
  }

  async restartCvm(params: RestartCvmParams, opts: CallOptions = {}): Promise<PhalaVm> {
    const body = validate(PHALA.restartCvm, RestartCvmRequestSchema, { force: params.force });
    return this.power(PHALA.restartCvm, refOnly(params), body, opts);
  }

  async deleteCvm(ref: CvmRef, opts: CallOptions = {}): Promise<void> {
    await this.core.request({ endpoint: PHALA.deleteCvm, params: { id: pathId(PHALA.deleteCvm, ref) }, schema: EmptySchema, signal: opts.signal });
  }

  async replicateCvm(params: ReplicateCvmParams, opts: CallOptions = {}): Promise<PhalaVm> {
    const body = validate(PHALA.replicateCvm, ReplicateCvmRequestSchema, params.node_id !== undefined ? { node_id: params.node_id } : {});
    return this.power(PHALA.replicateCvm, refOnly(params), body, opts);
  }

  /**
   * GET /cvms/{id}/state as server-sent events, parsed and validated. The iterator ends after `complete` or
   * `timeout`, or when the server closes the stream; `error` events are yielded and the stream continues.
   */
  async *watchCvmState(params: WatchCvmStateParams, opts: CallOptions = {}): AsyncGenerator<PhalaStateEvent> {
    const endpoint = PHALA.watchCvmState;
    const label = `${endpoint.method} ${endpoint.path}`;
    const query = validate(endpoint, WatchQuerySchema, { target: params.target, interval: params.interval, timeout: params.timeout });
    const stream = this.core.events({
      endpoint,
      params: { id: pathId(endpoint, refOnly(params)) },
      query,
      headers: { 'cache-control': 'no-cache' },
      signal: opts.signal,
      // the server sends an event every `interval` seconds; a silent stream for much longer than that is dead
      bodyTimeoutMs: (query.interval * 3 + 30) * 1000,
    });
    for await (const ev of stream) {
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        throw new ProviderError({ kind: 'bad_response', provider: 'phala', endpoint: label, message: `SSE ${ev.event} event data is not JSON: ${ev.data.slice(0, 80)}` });
      }
      const parse = <T>(schema: z.ZodType<T>): T => {
        const r = schema.safeParse(data);
        if (!r.success) {
          const why = r.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
          throw new ProviderError({ kind: 'bad_response', provider: 'phala', endpoint: label, message: `SSE ${ev.event} event does not match the documented shape: ${why}` });
        }
        return r.data;
      };
      if (ev.event === 'state') yield { type: 'state', state: parse(CvmStateSchema) };
      else if (ev.event === 'complete') {
        const d = parse(CompleteEventSchema);
        yield { type: 'complete', status: d.status, elapsed: d.elapsed, target: d.target };
        return;
      } else if (ev.event === 'timeout') {
        const d = parse(TimeoutEventSchema);
        yield { type: 'timeout', error: d.error, elapsed: d.elapsed, target: d.target };
        return;
      } else if (ev.event === 'error') {
        const d = parse(ErrorEventSchema);
        yield { type: 'error', error: d.error, ...(d.elapsed !== undefined ? { elapsed: d.elapsed } : {}), ...(d.message !== undefined ? { message: d.message } : {}) };
      }
      // other event names (comments, keep-alives) are ignored
    }
  }

  /** GET /cvms/{id}/attestation (beyond the docs): RA-TLS certificates (the end-entity one holds the quote) and tcb_info. */
  async getCvmAttestation(ref: CvmRef, opts: CallOptions = {}): Promise<PhalaCvmAttestation> {
    const endpoint = PHALA.getCvmAttestation;
    return this.core.request({ endpoint, params: { id: pathId(endpoint, ref) }, schema: CvmAttestationSchema, signal: opts.signal });
  }

  /** GET /apps/{app_id}/attestations (beyond the docs): one entry per instance of the app. */
  async getAppAttestations(appId: string, opts: CallOptions = {}): Promise<PhalaAppAttestations> {
    const endpoint = PHALA.getAppAttestations;
    const id = canonicalAppId(appId);
    if (!id) throw new ProviderError({ kind: 'invalid_request', provider: 'phala', endpoint: `${endpoint.method} ${endpoint.path}`, message: `app_id must be 40 hex characters (optionally 0x / app_ prefixed), got ${JSON.stringify(appId)}` });
    return this.core.request({ endpoint, params: { app_id: id }, schema: AppAttestationsSchema, signal: opts.signal });
  }

  private async power(endpoint: typeof PHALA.startCvm, ref: CvmRef, body: unknown, opts: CallOptions): Promise<PhalaVm> {
    return this.core.request({ endpoint, params: { id: pathId(endpoint, ref) }, body, schema: VmSchema, signal: opts.signal });
  }
}
