// The Temporal environment configuration as the `temporal` CLI reads it: flags, then environment variables,
// then the profile of the config file (TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml, profile
// TEMPORAL_PROFILE or "default"), then defaults. One resolver for the worker, the client library and the CLI.
import { existsSync } from 'node:fs';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile, type LoadClientProfileOptions } from '@temporalio/envconfig';

export type TemporalSettingSource = 'flag' | 'env' | 'profile' | 'default';

export interface TemporalFlags {
  address?: string;
  namespace?: string;
  /** A profile name (`--profile`), over TEMPORAL_PROFILE. */
  profile?: string;
  /** A config file (`--config-file`), over TEMPORAL_CONFIG_FILE. */
  configFile?: string;
}

export interface ResolvedTemporalEnv {
  /** Undefined only when no default was given and neither flag, env nor profile names one. */
  address?: string;
  namespace: string;
  source: { address?: TemporalSettingSource; namespace: TemporalSettingSource };
  /** TLS, API key and gRPC metadata from the profile with the environment over it (envconfig's merge). */
  connection: Pick<ReturnType<typeof toClientOptions>['connectionOptions'], 'apiKey' | 'tls' | 'metadata'>;
  /** The profile's name and file, to say where a setting came from. */
  profile?: { name: string; file?: string };
}

export class TemporalEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalEnvError';
  }
}

type Env = Record<string, string | undefined>;

/** Empty variables count as unset, as shells and compose files produce them. */
function setVariables(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

function load(options: LoadClientProfileOptions, where: string): ClientConfigProfile {
  try {
    return loadClientConfigProfile(options);
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split('\n')[0]!.trim();
    const m = /^Profile '([^']+)' not found/.exec(first);
    if (m) throw new TemporalEnvError(`TEMPORAL_PROFILE: profile "${m[1]}" is not in ${where}: add a [profile.${m[1]}] table or choose another profile`);
    // A TOML parser's message can quote the offending line (which may hold an API key): keep its first line only.
    throw new TemporalEnvError(`TEMPORAL_CONFIG_FILE: ${where} is not a valid Temporal config file (${first.replace(/:\s*$/, '')})`);
  }
}

/**
 * Resolves address, namespace and the connection settings. `defaults.address` undefined leaves the address
 * unset when nothing names one (the worker then starts the embedded dev server).
 */
export function resolveTemporalEnv(flags: TemporalFlags, rawEnv: Env, defaults: { address?: string; namespace: string }): ResolvedTemporalEnv {
  const env = setVariables(rawEnv);
  const configFile = flags.configFile ?? env.TEMPORAL_CONFIG_FILE;
  if (configFile && !existsSync(configFile)) {
    throw new TemporalEnvError(`${flags.configFile ? '--config-file' : 'TEMPORAL_CONFIG_FILE'}: ${configFile} does not exist: point it at a Temporal config file (TOML with [profile.<name>] tables) or unset it`);
  }
  const where = configFile ?? '~/.config/temporalio/temporal.toml';
  const base: LoadClientProfileOptions = { profile: flags.profile, overrideEnvVars: env, ...(configFile ? { configSource: { path: configFile } } : {}) };
  const fromFile = load({ ...base, disableEnv: true }, where);
  const merged = load(base, where);
  const pick = (flag: string | undefined, envValue: string | undefined, profileValue: string | undefined, fallback: string | undefined) =>
    flag !== undefined ? { value: flag, source: 'flag' as const }
    : envValue !== undefined ? { value: envValue, source: 'env' as const }
    : profileValue ? { value: profileValue, source: 'profile' as const }
    : fallback !== undefined ? { value: fallback, source: 'default' as const }
    : { value: undefined, source: undefined };
  const address = pick(flags.address, env.TEMPORAL_ADDRESS, fromFile.address, defaults.address);
  if (address.value !== undefined && !HOST_PORT.test(address.value)) {
    const what = { flag: '--address', env: 'TEMPORAL_ADDRESS', profile: `address of profile ${profileNameOf(flags, env)} in ${where}`, default: 'the default address' }[address.source];
    throw new TemporalEnvError(`${what}: "${address.value.slice(0, 100)}" is not a Temporal address: expected host:port, e.g. 127.0.0.1:7233 or temporal.example.com:7233`);
  }
  const namespace = pick(flags.namespace, env.TEMPORAL_NAMESPACE, fromFile.namespace, defaults.namespace);
  const { connectionOptions } = toClientOptions(merged);
  const profileName = profileNameOf(flags, env);
  const hasProfile = Object.keys(fromFile).length > 0;
  return {
    address: address.value,
    namespace: namespace.value!,
    source: { address: address.source, namespace: namespace.source! },
    connection: {
      ...(connectionOptions.apiKey ? { apiKey: connectionOptions.apiKey } : {}),
      ...(connectionOptions.tls !== undefined ? { tls: connectionOptions.tls } : {}),
      ...(connectionOptions.metadata && Object.keys(connectionOptions.metadata).length ? { metadata: connectionOptions.metadata } : {}),
    },
    ...(hasProfile ? { profile: { name: profileName ?? 'default', file: where } } : {}),
  };
}

/** host:port with a hostname, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):\d{1,5}$/;

const profileNameOf = (flags: TemporalFlags, env: Env) => flags.profile ?? env.TEMPORAL_PROFILE;

/** "127.0.0.1:7233 (from profile prod in /etc/temporal.toml)": for error messages. */
export function describeAddress(r: ResolvedTemporalEnv): string {
  const from = r.source.address === 'profile' && r.profile ? ` (from profile ${r.profile.name} in ${r.profile.file})` : '';
  return `${r.address ?? '(none)'}${from}`;
}
