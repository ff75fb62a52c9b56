// Finds the Temporal CLI (which embeds the dev server) or builds it with Go. Never downloads a binary.
// Order: $TEMPORAL_CLI, `temporal` on PATH, the project's cached build, then `go install` into .tools/bin.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { homedir } from 'node:os';
import { isExecutable, withBuildLock } from './build-lock';
import { TOOLS_DIR } from './paths';
import { ToolchainError } from './toolchain-error';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

export { ToolchainError };

function onPath(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Go may be installed at its standard location without being on PATH. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.GOROOT ? join(env.GOROOT, 'bin', 'go') : undefined,
    onPath('go', env.PATH),
    '/usr/local/go/bin/go',
    '/usr/lib/go/bin/go',
    join(homedir(), 'go', 'bin', 'go'),
    join(homedir(), '.local', 'go', 'bin', 'go'),
  ];
  try {
    for (const d of readdirSync(join(homedir(), 'sdk'))) candidates.push(join(homedir(), 'sdk', d, 'bin', 'go'));
  } catch {
    /* no ~/sdk */
  }
  return candidates.find((c): c is string => c !== undefined && isExecutable(c));
}

/** True when `go version -m` says the binary is the pinned CLI build. */
function isPinnedBuild(bin: string, go: string | undefined): boolean {
  if (!go) return existsSync(bin);
  const out = spawnSync(go, ['version', '-m', bin], { encoding: 'utf8' });
  return out.status === 0 && out.stdout.includes(`github.com/temporalio/cli\tv${TEMPORAL_CLI_VERSION}`);
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Where to look for Go instead of the standard places (tests). */
  goCandidates?: string[];
  /** The tools folder instead of the project's .tools (tests). */
  toolsDir?: string;
  /** Progress messages (the build takes minutes the first time). */
  log?: (line: string) => void;
}

export function resolveTemporalCli(opts: ResolveOptions = {}): string {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (env.TEMPORAL_CLI) {
    if (!isExecutable(env.TEMPORAL_CLI)) throw new ToolchainError(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file: point it at a Temporal CLI binary or unset it`);
    return env.TEMPORAL_CLI;
  }
  const fromPath = onPath('temporal', env.PATH);
  if (fromPath) return fromPath;
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  const cached = join(toolsDir, 'bin', 'temporal');
  const go = opts.goCandidates ? opts.goCandidates.find(isExecutable) : findGo(env);
  if (isExecutable(cached) && isPinnedBuild(cached, go)) return cached;
  if (!go) {
    throw new ToolchainError(
      [
        'the Temporal CLI (which runs the dev server) was not found and Go is not installed to build it. Any one of these fixes it:',
        `  - install Go >= 1.25 (apt-get install golang-go, or Go at /usr/local/go) and run again: cvmflow builds temporal v${TEMPORAL_CLI_VERSION} itself`,
        '  - put a `temporal` binary on PATH',
        '  - set TEMPORAL_CLI=/path/to/temporal',
        '  - or set TEMPORAL_ADDRESS to use an existing Temporal server instead of the embedded one',
      ].join('\n'),
    );
  }
  return withBuildLock(toolsDir, 'temporal-build.lock', 'the Temporal CLI', () => {
    if (isExecutable(cached) && isPinnedBuild(cached, go)) return cached; // another process built it meanwhile
    log(`building the Temporal CLI v${TEMPORAL_CLI_VERSION} with ${go} into ${join(toolsDir, 'bin')} (about 2.5 minutes the first time, cached afterwards)`);
    const started = Date.now();
    const result = spawnSync(
      go,
      ['install', '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `${MODULE}@v${TEMPORAL_CLI_VERSION}`],
      { env: { ...env, GOBIN: join(toolsDir, 'bin'), GOTOOLCHAIN: 'local', CGO_ENABLED: '0' }, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (result.status !== 0 || !isExecutable(cached)) {
      throw new ToolchainError(
        `building the Temporal CLI failed (go install exited ${result.status ?? result.signal}); the Go module proxy must be reachable and Go must be >= 1.25. ` +
          'Alternatively put `temporal` on PATH or set TEMPORAL_CLI.',
      );
    }
    log(`built the Temporal CLI in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return cached;
  });
}
