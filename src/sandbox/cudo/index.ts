// CUDO Compute sandbox: an in-memory grpc-gateway look-alike serving every documented endpoint (endpoints.ts),
// faithful to provider-notes/cudo.md: bearer auth (401 code 16), success always 200 with JSON (`{}` when empty),
// protojson output (int64 as strings, Decimal `{value}`, enum names, `VM`/`VMs` vs `vm` envelopes, `datacenterId`)
// with a switch for zero-value emission, client-chosen vmId (regex, 409 code 6 on a duplicate), time-driven VM
// states with paired shortStates, wrong-state actions refused with 400 code 9, catalogue capacity that drops as
// VMs are created (400 code 3 "no hosts available"), a data center without IPv4s whose VMs go FAILED, private
// images that move LOCKED -> READY, and helpers for the quirks (create that turns FAILED, create that answers a
// non-JSON proxy 504 after creating). State is derived lazily from timestamps at the clock's speed.
// This file wires the pieces to one server (auth, 404/405, the admin API, test helpers): the model and its state
// machine (model.ts), request parsing (request.ts), JSON shapes (views.ts), create (create-vm.ts), the other routes
// (routes.ts), the catalogue (catalog.ts) and protojson output (protojson.ts).
import { endpointLabel, type EndpointDef } from '../../providers/http/endpoint';
import { cudoEndpoints, type CudoActivityName } from '../../providers/cudo/endpoints';
import { SandboxClock } from '../http/clock';
import { SandboxServer, type SandboxRequest, type SandboxResponse } from '../http/server';
import { defaultCatalog, type SimCatalog, type SimMachineType, type SimSecurityGroup } from './catalog';
import { CudoModel, DEFAULT_CUDO_TIMINGS, type CapacityChange, type CudoSandboxTimings } from './model';
import { gatewayError, protojson } from './protojson';
import { BadRequest } from './request';
import { registerCudoRoutes } from './routes';
import { listViews, vmView, type CudoSandboxVmView } from './views';

export { NO_HOSTS_MESSAGE, gatewayError } from './protojson';
export { DEFAULT_CUDO_TIMINGS, type CudoSandboxTimings } from './model';
export type { CudoSandboxVmView } from './views';

export const CUDO_SANDBOX_API_KEY = 'sandbox-cudo-key';
export const CUDO_SANDBOX_PROJECT_ID = 'sandbox-project';

export interface CudoSandboxOptions {
  clock?: SandboxClock;
  apiKey?: string;
  projectId?: string;
  /** grpc-gateway v2's default: emit "", 0, false, [] and null for unset fields (true). False = compact protojson. */
  emitUnpopulated?: boolean;
  timings?: Partial<CudoSandboxTimings>;
}

function ok(json: unknown): SandboxResponse {
  return { status: 200, json };
}

export function createCudoSandbox(opts: CudoSandboxOptions = {}) {
  const clock = opts.clock ?? new SandboxClock();
  const apiKey = opts.apiKey ?? CUDO_SANDBOX_API_KEY;
  const projectId = opts.projectId ?? CUDO_SANDBOX_PROJECT_ID;
  const timings: CudoSandboxTimings = { ...DEFAULT_CUDO_TIMINGS, ...opts.timings };
  let emitUnpopulated = opts.emitUnpopulated ?? true;
  const catalog: SimCatalog = defaultCatalog();
  const model = new CudoModel(clock, timings, catalog, projectId);

  const server = new SandboxServer({
    name: 'cudo',
    clock,
    authenticate,
    notFound,
    admin: {
      'fail-next-create': (req) => {
        const n = Number((req.body as { count?: unknown } | undefined)?.count ?? 1);
        failNextCreate(n);
        return ok({ failNextCreate: model.failNext });
      },
      'proxy-504-next-create': (req) => {
        const n = Number((req.body as { count?: unknown } | undefined)?.count ?? 1);
        proxyTimeoutNextCreate(n);
        return ok({ proxy504NextCreate: model.proxy504Next });
      },
      'emit-unpopulated': (req) => {
        const emit = (req.body as { emit?: unknown } | undefined)?.emit;
        if (typeof emit !== 'boolean') return { status: 400, json: { error: 'body must be {"emit": true|false}' } };
        emitUnpopulated = emit;
        return ok({ emitUnpopulated });
      },
      capacity: (req) => {
        const b = (req.body ?? {}) as Partial<SimMachineType>;
        try {
          model.setCapacity(String(b.dataCenterId), String(b.machineType), b);
        } catch (err) {
          return { status: 400, json: { error: (err as Error).message } };
        }
        return ok({ machineType: catalog.machineTypes.find((m) => m.dataCenterId === b.dataCenterId && m.machineType === b.machineType) });
      },
      ipv4: (req) => {
        const b = (req.body ?? {}) as { dataCenterId?: string; free?: number };
        try {
          model.setIpv4Free(String(b.dataCenterId), Number(b.free));
        } catch (err) {
          return { status: 400, json: { error: (err as Error).message } };
        }
        return ok({ dataCenterId: b.dataCenterId, ipv4Free: b.free });
      },
      vms: () => ok({ vms: listViews(model) }),
    },
  });

  // --- auth and routing ---------------------------------------------------------------------------------------

  function authenticate(req: SandboxRequest): SandboxResponse | undefined {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return gatewayError('UNAUTHENTICATED', 'missing or malformed authorization header: expected "bearer <api key>"');
    if (m[1] !== apiKey) return gatewayError('UNAUTHENTICATED', 'invalid API key');
    const project = req.params.projectId;
    if (project !== undefined && project !== projectId) return gatewayError('PERMISSION_DENIED', `permission denied on project ${project}`);
    return undefined;
  }

  const patterns = cudoEndpoints.map((e) => ({ e, re: new RegExp(`^${e.path.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  function notFound(req: SandboxRequest): SandboxResponse {
    // grpc-gateway v2's routing errors: 405 for a known path with another method, else 404.
    if (patterns.some((p) => p.re.test(req.path))) return { status: 405, json: { code: 12, message: 'Method Not Allowed', details: [] } };
    return { status: 404, json: { code: 5, message: 'Not Found', details: [] } };
  }

  function out(json: unknown): SandboxResponse {
    return ok(protojson(json, emitUnpopulated));
  }

  function route(activity: CudoActivityName, handler: (req: SandboxRequest) => SandboxResponse): void {
    const endpoint = cudoEndpoints.find((e) => e.activity === activity) as EndpointDef;
    server.route(endpoint, (req) => {
      model.reap();
      try {
        return handler(req);
      } catch (err) {
        if (err instanceof BadRequest) return err.response;
        throw err;
      }
    });
  }

  registerCudoRoutes({ model, out, route });

  // --- helpers for tests and the admin API ----------------------------------------------------------------------

  /** The next `count` creates are accepted (200) and then end in FAILED/`fail` instead of ACTIVE. */
  function failNextCreate(count = 1): void {
    model.failNext = Math.max(0, Math.floor(count));
  }

  /** The next `count` creates create the VM, then answer a proxy's non-JSON 504 (the generic `after` fault sends JSON). */
  function proxyTimeoutNextCreate(count = 1): void {
    model.proxy504Next = Math.max(0, Math.floor(count));
  }

  return {
    server,
    apiKey,
    projectId,
    clock,
    timings,
    /** The catalogue as the sandbox holds it (free capacity included); mutate through the helpers. */
    catalog: catalog as Readonly<SimCatalog>,
    /** One VM as the sandbox sees it right now, or undefined once it answers 404. */
    vm(id: string): CudoSandboxVmView | undefined {
      model.reap();
      const vm = model.vms.get(id);
      return vm ? vmView(model, vm) : undefined;
    },
    vms: (): CudoSandboxVmView[] => listViews(model),
    privateImage(id: string): { id: string; state: string; vmId: string } | undefined {
      const img = model.images.get(id);
      return img ? { id: img.id, state: model.imageState(img), vmId: img.vmId } : undefined;
    },
    failNextCreate,
    proxyTimeoutNextCreate,
    /** CUDO suspends a VM (billing, abuse): SUSPENDED/`susp` from now on, stable, not left by itself. */
    suspend(id: string): void {
      const vm = model.vms.get(id);
      if (!vm) throw new Error(`no vm ${id}`);
      model.transition(vm, [{ state: 'SUSPENDED:susp' }]);
    },
    setCapacity: (dataCenterId: string, machineType: string, free: CapacityChange): void => model.setCapacity(dataCenterId, machineType, free),
    setIpv4Free: (dataCenterId: string, count: number): void => model.setIpv4Free(dataCenterId, count),
    setEmitUnpopulated(emit: boolean): void {
      emitUnpopulated = emit;
    },
    /** Starts a VM's monitoring counters at `base` (int64 range), to check nothing loses precision. */
    setMonitorBase(id: string, base: bigint): void {
      const vm = model.vms.get(id);
      if (!vm) throw new Error(`no vm ${id}`);
      vm.monitorBase = base;
    },
    /** Adds an unattached storage disk (there is no disk endpoint among the 25), for `storageDiskIds`. */
    addStorageDisk(disk: { id: string; dataCenterId: string; sizeGib: number }): void {
      model.looseDisks.set(disk.id, {
        ...disk,
        vmId: '',
        storageClass: 'STORAGE_CLASS_NETWORK',
        diskType: 'DISK_TYPE_STORAGE',
        publicImageId: '',
        privateImageId: '',
        createTime: new Date(clock.now()).toISOString(),
      });
    },
    addSecurityGroup(group: SimSecurityGroup): void {
      model.catalog.securityGroups.push(structuredClone(group));
    },
    /** Admin/fault labels of this sandbox's endpoints, for fault rules. */
    labels: Object.fromEntries(cudoEndpoints.map((e) => [e.activity, endpointLabel(e)])) as Record<CudoActivityName, string>,
  };
}

export type CudoSandbox = ReturnType<typeof createCudoSandbox>;
