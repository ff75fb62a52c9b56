// `npm start`: the embedded default (dev server + sandbox + worker) or, with TEMPORAL_ADDRESS, a worker on that cluster.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { startWorkerTelemetry } from '../observability/worker-telemetry';
import { ConfigError, loadConfig, type CvmflowConfig } from './config';
import { clusterConnectionOptions } from './connect';
import { startDevCodecServer } from './dev-codec-server';
import { DevServerError, startDevServer, type DevServer } from './dev-server';
import { createLogger } from './logging';
import { createProviderClients, type ProviderClients } from './providers';
import { installRuntime } from './runtime';
import { PROJECT_ROOT } from '../common/paths';
import { createSecretResolver } from './secrets';
import { resolveTemporalCli, ToolchainError } from '../dev/toolchain/temporal-cli';
import { createWorker } from './worker';
import { promoteOnStart, versionString } from './versioning';

/**
 * Sandbox attestation roots (Prism's AMD-shaped ARK, Phala's TDX root) are trusted only for this worker's own
 * sandboxes, or when configured (a PEM bundle in CVMFLOW_TRUST_SANDBOX_ROOT_FILE); never for a real provider.
 */
function sandboxRoot(config: CvmflowConfig, clients: ProviderClients): (() => string | undefined) | undefined {
  if (config.trustSandboxRootFile) {
    const pem = readFileSync(config.trustSandboxRootFile, 'utf8');
    return () => pem;
  }
  const { prism, phala } = clients.sandboxes ?? {};
  if (!prism && !phala) return undefined;
  return () => [prism?.sandbox.sandboxRootPem(), phala?.sandbox.sandboxTdxRootPem()].filter(Boolean).join('') || undefined;
}

/** A start-up problem the person can fix: printed as one line, without a stack trace. */
class StartupError extends Error {}

async function main(): Promise<void> {
  let config: CvmflowConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cvmflow: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  installRuntime(logger, config.log.level, config.metricsAddress);
  const telemetry = await startWorkerTelemetry(config, logger);

  let devServer: DevServer | undefined;
  let codecServer: Awaited<ReturnType<typeof startDevCodecServer>>;
  let address = config.temporal.address;
  if (!address) {
    const cli = resolveTemporalCli({ log: (line) => logger.info(line) });
    const dataDir = resolve(PROJECT_ROOT, config.devServer.dataDir);
    codecServer = await startDevCodecServer(config, logger);
    devServer = await startDevServer({
      cli,
      port: config.devServer.port,
      uiPort: config.devServer.uiPort,
      uiCodecEndpoint: codecServer?.url,
      dbFile: join(dataDir, 'dev.db'),
      namespace: config.temporal.namespace,
      logFile: join(dataDir, 'dev-server.log'),
    });
    address = devServer.address;
    logger.info({ address, dbFile: join(dataDir, 'dev.db') }, 'embedded Temporal dev server is healthy');
  }

  const connection = await NativeConnection.connect(devServer ? { address } : clusterConnectionOptions(address, config.temporal.apiKey)).catch((err: unknown) => {
    throw new StartupError(`cannot reach Temporal at ${address} (${(err as Error).message.split('\n')[0]}): check TEMPORAL_ADDRESS (or the Temporal profile), TLS and API key settings, or unset TEMPORAL_ADDRESS to use the embedded dev server`);
  });
  const clients = await createProviderClients(config, logger, telemetry.onRequestDone);
  const providers = clients.modes;
  for (const p of ['phala', 'prism', 'cudo'] as const) {
    if (providers[p] === 'sandbox') logger.info({ provider: p, url: clients.urls[p] }, `${p}: no credentials configured, using the built-in sandbox`);
    else if (providers[p] === 'disabled') logger.warn({ provider: p }, `${p}: not configured and CVMFLOW_SANDBOX=off; its activities fail with ProviderNotConfigured`);
    else logger.info({ provider: p, url: clients.urls[p] }, `${p}: using the configured API`);
  }
  const activities = createActivities({
    workerInfo: { taskQueue: config.taskQueue, providers },
    phala: clients.phala,
    prism: clients.prism,
    cudo: clients.cudo,
    resolveSecret: createSecretResolver({ secretsDir: config.secretsDir }),
    sandboxAttestationRoot: sandboxRoot(config, clients),
    // this worker's own Phala sandbox plays Intel PCS for its TDX chain; other sandboxes' collateral comes from CVMFLOW_COLLATERAL_DIR
    sandboxTdxCollateral: clients.sandboxes?.phala ? () => clients.sandboxes!.phala!.sandbox.sandboxTdxCollateral() : undefined,
    collateral: config.collateral,
  });
  const { worker, version } = await createWorker({
    connection,
    config,
    activities,
    tracing: telemetry.tracing,
    workflowSource: config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : undefined,
  });
  telemetry.watchTeardowns(worker.client);
  telemetry.workerVersion(version);
  const versionLine = version.versioned
    ? `${versionString(version.deploymentName, version.buildId)} (Worker Deployment Versioning on, promote: ${config.versioning.promote})`
    : `build ${version.buildId}, unversioned (CVMFLOW_WORKER_VERSIONING=off)`;
  if (version.versioned) logger.info({ deployment: version.deploymentName, buildId: version.buildId, promote: config.versioning.promote }, `worker version ${versionLine}`);
  else logger.warn({ buildId: version.buildId }, 'Worker Deployment Versioning is off: this worker runs unversioned, so a new build replaces the old one for every open workflow (each change needs patched())');

  const ui = devServer?.uiUrl ? `${devServer.uiUrl}/namespaces/${config.temporal.namespace}/workflows` : undefined;
  logger.info({ address, namespace: config.temporal.namespace, taskQueue: config.taskQueue, providers, ui, deployment: version.versioned ? version.deploymentName : undefined, buildId: version.buildId }, 'cvmflow worker started');
  if (ui) process.stdout.write(`\ncvmflow is running.\n  Temporal UI: ${ui}\n  namespace:   ${config.temporal.namespace}\n  task queue:  ${config.taskQueue}\n  address:     ${address}\n  version:     ${versionLine}\n${codecServer ? `  codec:       ${codecServer.url} (payloads encrypted with key ${config.codec.keyRing!.current})\n` : ''}Ctrl-C stops the worker and the dev server.\n\n`);

  // The version registers with its first poll; only then can it become the deployment's current version.
  const stopping = new AbortController();
  const promoted = promoteOnStart(worker.client!, config.temporal.namespace, version, config.versioning.promote, { signal: stopping.signal }).then(
    (outcome) => {
      if (outcome === 'made-current') logger.info({ deployment: version.deploymentName, buildId: version.buildId }, 'this worker version is now the current version of its deployment: new workflows start on it');
      else if (outcome === 'left-alone' && version.versioned) logger.info({ deployment: version.deploymentName, buildId: version.buildId }, 'this worker version is not current: it serves workflows pinned to it; `cvmflow deploy promote` makes it current');
    },
    (err: unknown) => logger.error({ err: (err as Error).message }, 'promoting this worker version failed'),
  );
  try {
    await worker.run(); // returns after SIGINT/SIGTERM once in-flight tasks drain
  } finally {
    stopping.abort();
    await promoted;
    await telemetry.close();
    await clients.close();
    await connection.close();
    await codecServer?.close();
    if (devServer) {
      await devServer.stop();
      logger.info('embedded Temporal dev server stopped');
    }
  }
}

main().catch((err: unknown) => {
  const known = err instanceof ToolchainError || err instanceof DevServerError || err instanceof StartupError;
  process.stderr.write(`cvmflow: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
