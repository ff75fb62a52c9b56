// The three provider sandboxes with real clients and the production activities over them, trusting the sandboxes'
// own attestation roots and collateral as `npm start` does: what the lifecycle benches run their workers with.
import { createActivities } from '../activities';
import { CudoClient } from '../providers/cudo/client';
import { PhalaClient } from '../providers/phala/client';
import { PrismClient } from '../providers/prism/client';
import { startSandboxes } from '../sandbox';

export interface SandboxedProviders {
  activities: ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

export async function startSandboxedProviders(taskQueue: string, speed: number): Promise<SandboxedProviders> {
  const sandboxes = await startSandboxes({ providers: ['phala', 'prism', 'cudo'], speed });
  const phala = new PhalaClient({ baseUrl: sandboxes.phala!.url, apiKey: sandboxes.phala!.apiKey });
  const prism = new PrismClient({ baseUrl: sandboxes.prism!.url, token: sandboxes.prism!.token, domainId: sandboxes.prism!.domainId });
  const cudo = new CudoClient({ baseUrl: sandboxes.cudo!.url, apiKey: sandboxes.cudo!.apiKey, projectId: sandboxes.cudo!.projectId });
  const activities = createActivities({
    workerInfo: { taskQueue, providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } },
    phala,
    prism,
    cudo,
    sandboxAttestationRoot: () => sandboxes.prism!.sandbox.sandboxRootPem() + sandboxes.phala!.sandbox.sandboxTdxRootPem(),
    sandboxTdxCollateral: () => sandboxes.phala!.sandbox.sandboxTdxCollateral(),
  });
  return {
    activities,
    async close() {
      await Promise.all([phala.close(), prism.close(), cudo.close()]);
      await sandboxes.close();
    },
  };
}
