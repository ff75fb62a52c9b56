import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__cvmflowDevServer?.stop();
  if (process.env.CVMFLOW_TEST_DIR && !process.env.CVMFLOW_TEST_KEEP_DIR) rmSync(process.env.CVMFLOW_TEST_DIR, { recursive: true, force: true });
}
