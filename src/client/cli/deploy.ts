// `cvmflow deploy status|promote`: the worker versions of cvmflow's Worker Deployment and their rollout.
import { DEFAULT_DEPLOYMENT_NAME } from '../../contract/defaults';
import { describeDeployment, promoteVersion } from '../deployments';
import { CliError, connect, EXIT, firstLine, keyValues, parse, printJson, table, usageError, type GlobalFlags, type Io } from './common';

export const DEPLOY_USAGE = `usage: cvmflow deploy status [--deployment NAME] [--json]
       cvmflow deploy promote [BUILD_ID] [--ramp N%] [--deployment NAME] [--json]
  status    every version of the deployment: current, ramping, draining (open pinned workflows left) or drained,
            with its open workflows
  promote   makes BUILD_ID (default: the newest version) the current version: new workflows start on it and
            AUTO_UPGRADE workflows move to it; --ramp N% sends only N% of new workflows to it (--ramp 0 ends a ramp)
  --deployment NAME   CVMFLOW_DEPLOYMENT_NAME, default ${DEFAULT_DEPLOYMENT_NAME}
`;

function parseRamp(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 100)) throw usageError(`deploy promote: --ramp expects a percentage 0-100 such as 10 or 10% (got ${JSON.stringify(text)})`);
  return n;
}

export async function runDeploy(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { deployment: { type: 'string' }, ramp: { type: 'string' } }, `deploy${sub ? ` ${sub}` : ''}`);
  const flags = values as GlobalFlags & { deployment?: string; ramp?: string };
  if (flags.help || sub === '--help' || sub === '-h') return (io.stdout.write(DEPLOY_USAGE), EXIT.ok);
  if (sub !== 'status' && sub !== 'promote') throw usageError(sub ? `deploy: unknown subcommand "${sub}" (expected status or promote)` : 'deploy: missing subcommand (status or promote)');
  if (positionals.length > (sub === 'promote' ? 1 : 0)) throw usageError(`deploy ${sub}: unexpected argument "${positionals.at(-1)}"`);
  const ramp = sub === 'promote' ? parseRamp(flags.ramp) : undefined;
  if (sub === 'status' && flags.ramp !== undefined) throw usageError('deploy status: --ramp belongs to deploy promote');
  const deploymentName = flags.deployment ?? io.env.CVMFLOW_DEPLOYMENT_NAME ?? DEFAULT_DEPLOYMENT_NAME;

  const c = await connect(flags, io.env);
  try {
    if (sub === 'status') {
      const s = await describeDeployment(c.temporal, deploymentName).catch(notFound(deploymentName));
      if (flags.json) printJson(io, s);
      else {
        io.stdout.write(keyValues([['deployment', s.deploymentName], ['current', s.current ?? 'none (new workflows go to unversioned workers)'], ['ramping', s.ramping ? `${s.ramping.buildId} (${s.ramping.percentage}% of new workflows)` : 'none']]));
        io.stdout.write(`\n${table(['BUILD ID', 'STATUS', 'OPEN WORKFLOWS', 'CREATED'], s.versions.map((v) => [v.buildId, v.status, v.openWorkflows, v.createdAt]))}`);
      }
      return EXIT.ok;
    }
    let r;
    try {
      r = await promoteVersion(c.temporal, { deploymentName, buildId: positionals[0], ramp }, 'cvmflow-cli');
    } catch (err) {
      if ((err as { code?: number }).code === 5) notFound(deploymentName)(err);
      throw new CliError(`deploy promote: ${firstLine(err)}`, EXIT.failed, { cause: err });
    }
    if (flags.json) printJson(io, r);
    else if (r.action === 'made-current') io.stdout.write(`${deploymentName}:${r.buildId} is now the current version${r.previousCurrent && r.previousCurrent !== r.buildId ? ` (was ${r.previousCurrent}; its pinned workflows finish on it: keep its workers until \`cvmflow deploy status\` says drained)` : ''}\n`);
    else if (r.action === 'ramping') io.stdout.write(`${deploymentName}:${r.buildId} now gets ${r.percentage}% of new workflows (current: ${r.previousCurrent ?? 'none'})\n`);
    else io.stdout.write(`ramp of ${deploymentName} removed: every new workflow goes to the current version\n`);
    return EXIT.ok;
  } finally {
    await c.close();
  }
}

/** NOT_FOUND from the server: the deployment does not exist yet (no versioned worker has polled). */
function notFound(deploymentName: string): (err: unknown) => never {
  return (err: unknown) => {
    if ((err as { code?: number }).code === 5) throw new CliError(`deploy: no worker deployment "${deploymentName}" in this namespace: start a versioned cvmflow worker first (CVMFLOW_WORKER_VERSIONING=on)`, EXIT.failed);
    throw err;
  };
}
