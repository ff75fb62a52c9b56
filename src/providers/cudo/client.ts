// CUDO Compute VM API client: one method per documented endpoint (endpoints.ts), `Authorization: bearer <key>`,
// the project in the path, inputs that are not a body sent as query parameters (also on POST/PATCH), responses
// parsed by the tolerant protojson schemas, errors mapped by parseCudoErrorBody.
import type { z } from 'zod';
import { HttpCore, transportOptions, type CallOptions, type QueryValue, type TransportOptions } from '../http/core';
import { ProviderError } from '../http/errors';
import { endpointLabel } from '../http/endpoint';
import { cudoEndpoint, type CudoActivityName } from './endpoints';
import { parseCudoErrorBody } from './errors';
import * as s from './schemas';

export const CUDO_DEFAULT_BASE_URL = 'https://rest.compute.cudo.org';

export interface CudoClientOptions extends TransportOptions {
  /** Defaults to https://rest.compute.cudo.org. */
  baseUrl?: string;
  /** The API key; sent as `Authorization: bearer <key>`, never logged. */
  apiKey: string;
  /** The project VMs live in (`/v1/projects/{projectId}/...`). */
  projectId: string;
}

export type { CallOptions };

export type CreateVmParams = s.CreateVmBody;
export type ListPrivateImagesParams = z.input<typeof s.listPrivateImagesParams>;
export type CreatePrivateImageParams = z.input<typeof s.createPrivateImageParams>;
export type UpdatePrivateImageParams = z.input<typeof s.updatePrivateImageParams>;
export type SecurityGroupParams = z.input<typeof s.securityGroupParams>;
export type ListVmsParams = z.input<typeof s.listVmsParams>;
export type ConnectVmParams = z.input<typeof s.connectVmParams>;
export type ResizeVmDiskParams = z.input<typeof s.resizeVmDiskParams>;
export type ResizeVmParams = z.input<typeof s.resizeVmParams>;
export type UpdateVmMetadataParams = z.input<typeof s.updateVmMetadataParams>;
export type ListDataCentersParams = z.input<typeof s.listDataCentersParams>;
export interface VmRef {
  id: string;
}

export class CudoClient {
  readonly projectId: string;
  private readonly core: HttpCore;

  constructor(opts: CudoClientOptions) {
    if (!opts.apiKey) throw new Error('CudoClient: apiKey is required');
    if (!opts.projectId || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(opts.projectId)) throw new Error('CudoClient: projectId is required (letters, digits, - and _)');
    this.projectId = opts.projectId;
    const apiKey = opts.apiKey;
    this.core = new HttpCore({
      ...transportOptions(opts),
      provider: 'cudo',
      baseUrl: opts.baseUrl ?? CUDO_DEFAULT_BASE_URL,
      authHeaders: () => ({ authorization: `bearer ${apiKey}` }),
      defaultHeaders: { accept: 'application/json' },
      parseErrorBody: parseCudoErrorBody,
    });
  }

  async close(): Promise<void> {
    return this.core.close();
  }

  // --- project: VMs -------------------------------------------------------------------------------------------

  async countVms(opts: CallOptions = {}): Promise<s.CountVmsResponse> {
    return this.call('cudoCountVms', {}, s.countVmsResponse, opts);
  }

  /** POST P/vm. `vmId` becomes the VM id; a duplicate answers 409 ALREADY_EXISTS. A 504 may still have created it. */
  async createVm(params: CreateVmParams, opts: CallOptions = {}): Promise<s.CreateVmResponse> {
    const body = validate('cudoCreateVm', s.createVmBodySchema, params);
    return this.call('cudoCreateVm', { body }, s.createVmResponse, opts);
  }

  async updateVmMetadata(params: UpdateVmMetadataParams, opts: CallOptions = {}): Promise<s.UpdateVmMetadataResponse> {
    const p = validate('cudoUpdateVmMetadata', s.updateVmMetadataParams, params);
    return this.call('cudoUpdateVmMetadata', { id: p.id, body: { metadata: p.metadata, merge: p.merge } }, s.updateVmMetadataResponse, opts);
  }

  async attachSecurityGroup(params: SecurityGroupParams, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    const p = validate('cudoAttachSecurityGroup', s.securityGroupParams, params);
    return this.call('cudoAttachSecurityGroup', { id: p.id, query: { securityGroupId: p.securityGroupId } }, s.securityGroupResponse, opts);
  }

  async detachSecurityGroup(params: SecurityGroupParams, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    const p = validate('cudoDetachSecurityGroup', s.securityGroupParams, params);
    return this.call('cudoDetachSecurityGroup', { id: p.id, query: { securityGroupId: p.securityGroupId } }, s.securityGroupResponse, opts);
  }

  /** Every VM of the project in one answer (not paginated); `networkId` filters. */
  async listVms(params: ListVmsParams = {}, opts: CallOptions = {}): Promise<s.ListVmsResponse> {
    const p = validate('cudoListVms', s.listVmsParams, params);
    return this.call('cudoListVms', { query: { networkId: p.networkId } }, s.listVmsResponse, opts);
  }

  async getVm(params: VmRef, opts: CallOptions = {}): Promise<s.GetVmResponse> {
    const p = validate('cudoGetVm', s.vmIdParams, params);
    return this.call('cudoGetVm', { id: p.id }, s.getVmResponse, opts);
  }

  /** GET by id, `undefined` on 404 (the read to make after an ambiguous create, and the wait-for-gone read). */
  async findVm(params: VmRef, opts: CallOptions = {}): Promise<s.GetVmResponse | undefined> {
    try {
      return await this.getVm(params, opts);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  /** VNC console: `{connectUrl, token}`; the token is a credential, callers must not log it. */
  async connectVm(params: ConnectVmParams, opts: CallOptions = {}): Promise<s.ConnectVmResponse> {
    const p = validate('cudoConnectVm', s.connectVmParams, params);
    return this.call('cudoConnectVm', { id: p.id, query: { connectionId: p.connectionId } }, s.connectVmResponse, opts);
  }

  async listVmDisks(params: VmRef, opts: CallOptions = {}): Promise<s.ListVmDisksResponse> {
    const p = validate('cudoListVmDisks', s.vmIdParams, params);
    return this.call('cudoListVmDisks', { id: p.id }, s.listVmDisksResponse, opts);
  }

  async resizeVmDisk(params: ResizeVmDiskParams, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    const p = validate('cudoResizeVmDisk', s.resizeVmDiskParams, params);
    return this.call('cudoResizeVmDisk', { id: p.id, query: { diskId: p.diskId, sizeGib: p.sizeGib } }, s.resizeVmDiskResponse, opts);
  }

  async monitorVm(params: VmRef, opts: CallOptions = {}): Promise<s.MonitorVmResponse> {
    const p = validate('cudoMonitorVm', s.vmIdParams, params);
    return this.call('cudoMonitorVm', { id: p.id }, s.monitorVmResponse, opts);
  }

  async rebootVm(params: VmRef, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    return this.action('cudoRebootVm', params, opts);
  }

  async startVm(params: VmRef, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    return this.action('cudoStartVm', params, opts);
  }

  async stopVm(params: VmRef, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    return this.action('cudoStopVm', params, opts);
  }

  async terminateVm(params: VmRef, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    return this.action('cudoTerminateVm', params, opts);
  }

  async resizeVm(params: ResizeVmParams, opts: CallOptions = {}): Promise<s.ResizeVmResponse> {
    const p = validate('cudoResizeVm', s.resizeVmParams, params);
    return this.call('cudoResizeVm', { id: p.id, query: { vcpus: p.vcpus, memoryGib: p.memoryGib } }, s.resizeVmResponse, opts);
  }

  // --- project: private images --------------------------------------------------------------------------------

  async listPrivateImages(params: ListPrivateImagesParams = {}, opts: CallOptions = {}): Promise<s.ListPrivateImagesResponse> {
    const p = validate('cudoListPrivateImages', s.listPrivateImagesParams, params);
    return this.call('cudoListPrivateImages', { query: { pageNumber: p.pageNumber, pageSize: p.pageSize } }, s.listPrivateImagesResponse, opts);
  }

  /** Walks every page (1-based), stopping on an empty page or once `pageNumber * pageSize >= totalCount`. */
  async listAllPrivateImages(pageSize = 50, opts: CallOptions = {}): Promise<s.PrivateImage[]> {
    const all: s.PrivateImage[] = [];
    for (let page = 1; page <= 10_000; page++) {
      const r = await this.listPrivateImages({ pageNumber: page, pageSize }, opts);
      all.push(...r.images);
      const size = r.pageSize || pageSize;
      if (r.images.length === 0 || page * size >= r.totalCount) break;
    }
    return all;
  }

  async createPrivateImage(params: CreatePrivateImageParams, opts: CallOptions = {}): Promise<s.PrivateImageResponse> {
    const p = validate('cudoCreatePrivateImage', s.createPrivateImageParams, params);
    return this.call('cudoCreatePrivateImage', { query: { vmId: p.vmId, id: p.id, description: p.description } }, s.privateImageResponse, opts);
  }

  async getPrivateImage(params: { id: string }, opts: CallOptions = {}): Promise<s.PrivateImageResponse> {
    const p = validate('cudoGetPrivateImage', s.imageIdParams, params);
    return this.call('cudoGetPrivateImage', { id: p.id }, s.privateImageResponse, opts);
  }

  async deletePrivateImage(params: { id: string }, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    const p = validate('cudoDeletePrivateImage', s.imageIdParams, params);
    return this.call('cudoDeletePrivateImage', { id: p.id }, s.deletePrivateImageResponse, opts);
  }

  async updatePrivateImage(params: UpdatePrivateImageParams, opts: CallOptions = {}): Promise<s.EmptyResponse> {
    const p = validate('cudoUpdatePrivateImage', s.updatePrivateImageParams, params);
    return this.call('cudoUpdatePrivateImage', { id: p.id, query: { description: p.description } }, s.updatePrivateImageResponse, opts);
  }

  // --- catalogue (not project-scoped) -------------------------------------------------------------------------

  async listDataCenters(params: ListDataCentersParams = {}, opts: CallOptions = {}): Promise<s.ListDataCentersResponse> {
    const p = validate('cudoListDataCenters', s.listDataCentersParams, params);
    return this.call('cudoListDataCenters', { query: { regionId: p.regionId, renewableEnergy: p.renewableEnergy } }, s.listDataCentersResponse, opts);
  }

  async listGpuModels(opts: CallOptions = {}): Promise<s.ListGpuModelsResponse> {
    return this.call('cudoListGpuModels', {}, s.listGpuModelsResponse, opts);
  }

  async listMachineTypes(opts: CallOptions = {}): Promise<s.ListMachineTypesResponse> {
    return this.call('cudoListMachineTypes', {}, s.listMachineTypesResponse, opts);
  }

  async listPublicImages(opts: CallOptions = {}): Promise<s.ListPublicImagesResponse> {
    return this.call('cudoListPublicImages', {}, s.listPublicImagesResponse, opts);
  }

  // --- plumbing -----------------------------------------------------------------------------------------------

  private async action(activity: 'cudoRebootVm' | 'cudoStartVm' | 'cudoStopVm' | 'cudoTerminateVm', params: VmRef, opts: CallOptions): Promise<s.EmptyResponse> {
    const p = validate(activity, s.vmIdParams, params);
    return this.call(activity, { id: p.id }, s.vmActionResponse, opts);
  }

  private call<T>(activity: CudoActivityName, req: { id?: string; query?: Record<string, QueryValue>; body?: unknown }, schema: z.ZodType<T>, opts: CallOptions): Promise<T> {
    const endpoint = cudoEndpoint(activity);
    const params: Record<string, string> = {};
    if (endpoint.path.includes('{projectId}')) params.projectId = this.projectId;
    if (req.id !== undefined) params.id = req.id;
    return this.core.request({ endpoint, params, query: req.query, body: req.body, schema, signal: opts.signal });
  }
}

/** Validates a request before it is sent; the error names fields, never values (a password may be among them). */
function validate<S extends z.ZodType>(activity: CudoActivityName, schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.path[0] === 'password' ? 'invalid password (6-64 characters)' : i.message }));
  return throwInvalid(activity, issues);
}

function throwInvalid(activity: CudoActivityName, issues: Array<{ path: string; message: string }>): never {
  throw new ProviderError({
    kind: 'invalid_request',
    provider: 'cudo',
    endpoint: endpointLabel(cudoEndpoint(activity)),
    message: `invalid request: ${issues.map((i) => `${i.path || '(params)'}: ${i.message}`).join('; ')}`,
    details: issues,
  });
}
