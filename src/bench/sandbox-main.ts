// A provider sandbox in a process of its own, for benches that compare a worker's rate with a minimal one: in
// production the provider is remote, so its HTTP handling must not share the worker's event loop. Started with
// fork(); sends `{ url, apiKey, projectId }` once listening (CUDO, speed from SANDBOX_SPEED) and exits on `stop`.
import { startSandboxes } from '../sandbox';

async function main(): Promise<void> {
  const sandboxes = await startSandboxes({ providers: ['cudo'], speed: Number(process.env.SANDBOX_SPEED ?? '50') });
  process.on('message', (m: { type?: string }) => {
    if (m?.type !== 'stop') return;
    void sandboxes.close().finally(() => process.exit(0));
  });
  process.send!({ url: sandboxes.cudo!.url, apiKey: sandboxes.cudo!.apiKey, projectId: sandboxes.cudo!.projectId });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sandbox failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
