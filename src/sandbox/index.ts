// Starts the provider simulators for the providers that have no real credentials configured.
import type { Provider } from '../contract/common';
import { SandboxClock } from './http/clock';
import { createCudoSandbox, type CudoSandbox } from './cudo';
import { createPhalaSandbox, type PhalaSandbox } from './phala';
import { createPrismSandbox, type PrismSandbox } from './prism';

export interface RunningSandboxes {
  clock: SandboxClock;
  phala?: { url: string; apiKey: string; sandbox: PhalaSandbox };
  prism?: { url: string; token: string; domainId: string; sandbox: PrismSandbox };
  cudo?: { url: string; apiKey: string; projectId: string; sandbox: CudoSandbox };
  close(): Promise<void>;
}

export interface StartSandboxesOptions {
  providers: readonly Provider[];
  host?: string;
  /** How fast simulated state machines move (1 = realistic). */
  speed?: number;
  /** Fixed ports per provider; 0 or absent picks a free one. */
  ports?: Partial<Record<Provider, number>>;
}

export async function startSandboxes(opts: StartSandboxesOptions): Promise<RunningSandboxes> {
  const clock = new SandboxClock(opts.speed ?? 1);
  const host = opts.host ?? '127.0.0.1';
  const out: RunningSandboxes = {
    clock,
    async close() {
      await Promise.all([out.phala?.sandbox.server.close(), out.prism?.sandbox.server.close(), out.cudo?.sandbox.server.close()]);
    },
  };
  try {
    if (opts.providers.includes('phala')) {
      const sandbox = createPhalaSandbox({ clock });
      out.phala = { url: await sandbox.server.listen(opts.ports?.phala ?? 0, host), apiKey: sandbox.apiKey, sandbox };
    }
    if (opts.providers.includes('prism')) {
      const sandbox = createPrismSandbox({ clock });
      out.prism = { url: await sandbox.server.listen(opts.ports?.prism ?? 0, host), token: sandbox.token, domainId: sandbox.domainId, sandbox };
    }
    if (opts.providers.includes('cudo')) {
      const sandbox = createCudoSandbox({ clock });
      out.cudo = { url: await sandbox.server.listen(opts.ports?.cudo ?? 0, host), apiKey: sandbox.apiKey, projectId: sandbox.projectId, sandbox };
    }
  } catch (err) {
    await out.close();
    throw err;
  }
  return out;
}
