// Worker versioning from configuration to worker options: the build id follows the workflow bundle's content
// (not its source map), the settings are validated, and an unversioned worker gets no deployment options at all.
import { isWorkflowFunctionWithOptions } from '@temporalio/common';
import * as workflows from '../../../src/workflows';
import { ConfigError, loadConfig } from '../../../src/worker/config';
import { buildIdOfBundle, deploymentOptions } from '../../../src/worker/versioning';

const code = 'var a = 1;\nexports.teardownCvm = function () {};\n';

test('the build id is the content of the bundle, without its source map', () => {
  const id = buildIdOfBundle(code);
  expect(id).toMatch(/^[0-9a-f]{16}$/);
  expect(buildIdOfBundle(code)).toBe(id);
  expect(buildIdOfBundle(`${code}\n//# sourceMappingURL=data:application/json;base64,L2hvbWUvYQ==`)).toBe(id);
  expect(buildIdOfBundle(`${code}\n//# sourceMappingURL=data:application/json;base64,L3dvcmsvYg==`)).toBe(id);
  expect(buildIdOfBundle(code.replace('a = 1', 'a = 2'))).not.toBe(id);
});

test('versioned by default in deployment cvmflow; promote always on the dev server, first on a cluster', () => {
  expect(loadConfig({}).versioning).toEqual({ mode: 'on', deploymentName: 'cvmflow', promote: 'always' });
  expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).versioning).toEqual({ mode: 'on', deploymentName: 'cvmflow', promote: 'first' });
  expect(loadConfig({ CVMFLOW_WORKER_VERSIONING: 'off', CVMFLOW_DEPLOYMENT_NAME: 'fleet-a', CVMFLOW_DEPLOYMENT_PROMOTE: 'never' }).versioning).toEqual({ mode: 'off', deploymentName: 'fleet-a', promote: 'never' });
});

test.each([
  [{ CVMFLOW_WORKER_VERSIONING: 'yes' }, /CVMFLOW_WORKER_VERSIONING: expected on .* or off/],
  [{ CVMFLOW_DEPLOYMENT_NAME: 'cvmflow.v2' }, /CVMFLOW_DEPLOYMENT_NAME: expected a deployment name .*no \. or :/],
  [{ CVMFLOW_DEPLOYMENT_PROMOTE: 'sometimes' }, /CVMFLOW_DEPLOYMENT_PROMOTE: expected always, first .* or never/],
  [{ CVMFLOW_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' }, /CVMFLOW_WORKFLOW_BUNDLE: no such file/],
])('%j is rejected with the variable and the fix', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test('a versioned worker states its version and a default behaviour; an unversioned one states nothing', () => {
  expect(deploymentOptions({ deploymentName: 'cvmflow', buildId: 'abc', versioned: true })).toEqual({
    workerDeploymentOptions: { version: { deploymentName: 'cvmflow', buildId: 'abc' }, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' },
  });
  expect(deploymentOptions({ deploymentName: 'cvmflow', buildId: 'abc', versioned: false })).toEqual({});
});

test('every workflow type declares its versioning behaviour', () => {
  const missing = Object.entries(workflows).filter(([, fn]) => !isWorkflowFunctionWithOptions(fn) || typeof fn.workflowDefinitionOptions !== 'function');
  expect(missing.map(([name]) => name)).toEqual([]);
});
