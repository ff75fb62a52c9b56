// `cvmflow/client` loads only the contract and @temporalio/client: requiring src/client/index.ts in a plain
// Node process (TypeScript transpiled by a tiny require hook) leaves no activity, provider, sandbox or worker
// module in require.cache.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..');

test('requiring src/client/index.ts loads no activities, providers, sandbox or worker code', () => {
  const script = `
    const ts = require('typescript');
    const fs = require('node:fs');
    require.extensions['.ts'] = (m, file) => {
      const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
      m._compile(out.outputText, file);
    };
    const client = require(${JSON.stringify(resolve(root, 'src', 'client', 'index.ts'))});
    if (typeof client.CvmflowClient !== 'function') throw new Error('CvmflowClient not exported');
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const loaded = JSON.parse(r.stdout) as string[];
  const ours = loaded.filter((f) => f.startsWith(resolve(root, 'src')));
  expect(ours.some((f) => f.endsWith('cvmflow-client.ts'))).toBe(true);
  expect(ours.filter((f) => /[\\/]src[\\/](activities|providers|sandbox|worker)[\\/]/.test(f))).toEqual([]);
  expect(loaded.filter((f) => /node_modules[\\/]@temporalio[\\/](worker|activity)[\\/]/.test(f))).toEqual([]);
});
