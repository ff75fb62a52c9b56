// Builds one client per provider from config: the real API when a URL and token are configured, the
// sandbox when not (CVMFLOW_SANDBOX=auto), or none (disabled). Nothing here knows which one it talks to.
import type { Logger as PinoLogger } from 'pino';
import type { Provider } from '../contract/common';
import { CudoClient } from '../providers/cudo/client';
import type { ResponseLog } from '../providers/http/core';
import type { RequestObserver } from '../providers/http/observe';
import { PhalaClient } from '../providers/phala/client';
import { PrismClient } from '../providers/prism/client';
import { startSandboxes, type RunningSandboxes } from '../sandbox';
import type { CvmflowConfig } from './config';

export type ProviderMode = 'real' | 'sandbox' | 'disabled';

export interface ProviderClients {
  phala?: PhalaClient;
  prism?: PrismClient;
  cudo?: CudoClient;
  modes: Record<Provider, ProviderMode>;
  /** Base URL each enabled provider is reached at (no secrets). */
  urls: Partial<Record<Provider, string>>;
  sandboxes?: RunningSandboxes;
  close(): Promise<void>;
}

export function providerModes(config: CvmflowConfig): Record<Provider, ProviderMode> {
  const mode = (url: string | undefined): ProviderMode => (url ? 'real' : config.sandbox.mode === 'auto' ? 'sandbox' : 'disabled');
  return { phala: mode(config.providers.phala.url), prism: mode(config.providers.prism.url), cudo: mode(config.providers.cudo.url) };
}

export async function createProviderClients(config: CvmflowConfig, logger?: PinoLogger, onRequestDone?: RequestObserver): Promise<ProviderClients> {
  const modes = providerModes(config);
  const simulated = (Object.keys(modes) as Provider[]).filter((p) => modes[p] === 'sandbox');
  const sandboxes = simulated.length ? await startSandboxes({ providers: simulated, host: config.sandbox.host, speed: config.sandbox.speed }) : undefined;
  const onResponse = (l: ResponseLog) => logger?.debug({ provider: l.provider, endpoint: l.endpoint, path: l.path, status: l.status, durationMs: l.durationMs, error: l.error }, 'provider call');
  const { phala, prism, cudo } = config.providers;

  const clients: ProviderClients = {
    modes,
    urls: {},
    sandboxes,
    async close() {
      await Promise.all([clients.phala?.close(), clients.prism?.close(), clients.cudo?.close()]);
      await sandboxes?.close();
    },
  };
  if (modes.phala !== 'disabled') {
    const baseUrl = phala.url ?? sandboxes!.phala!.url;
    clients.phala = new PhalaClient({ baseUrl, apiKey: phala.token ?? sandboxes!.phala!.apiKey, onResponse, onRequestDone });
    clients.urls.phala = baseUrl;
  }
  if (modes.prism !== 'disabled') {
    const baseUrl = prism.url ?? sandboxes!.prism!.url;
    clients.prism = new PrismClient({ baseUrl, token: prism.token ?? sandboxes!.prism!.token, domainId: prism.domainId ?? sandboxes!.prism!.domainId, onResponse, onRequestDone });
    clients.urls.prism = baseUrl;
  }
  if (modes.cudo !== 'disabled') {
    const baseUrl = cudo.url ?? sandboxes!.cudo!.url;
    clients.cudo = new CudoClient({ baseUrl, apiKey: cudo.token ?? sandboxes!.cudo!.apiKey, projectId: cudo.projectId ?? sandboxes!.cudo!.projectId, onResponse, onRequestDone });
    clients.urls.cudo = baseUrl;
  }
  return clients;
}
