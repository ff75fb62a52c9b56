// Shared set-up for the Phala tests: a sandbox on 127.0.0.1:0 and the real client pointed at it.
import { ApplicationFailure } from '@temporalio/common';
import { SandboxClock } from '../../../../src/sandbox/http/clock';
import { createPhalaSandbox, type PhalaSandbox, type PhalaSandboxOptions } from '../../../../src/sandbox/phala';
import { PhalaClient, type PhalaClientOptions } from '../../../../src/providers/phala/client';
import type { ProvisionCvmRequest } from '../../../../src/providers/phala/schemas';
import { ProviderError } from '../../../../src/providers/http/errors';

export interface Rig {
  sandbox: PhalaSandbox;
  client: PhalaClient;
  url: string;
  newClient(opts?: Partial<PhalaClientOptions>): PhalaClient;
  close(): Promise<void>;
}

export async function startRig(opts: PhalaSandboxOptions & { speed?: number; client?: Partial<PhalaClientOptions> } = {}): Promise<Rig> {
  const sandbox = createPhalaSandbox({ clock: new SandboxClock(opts.speed ?? 1000), ...opts });
  const url = await sandbox.server.listen(0, '127.0.0.1');
  const clients: PhalaClient[] = [];
  const newClient = (o: Partial<PhalaClientOptions> = {}) => {
    const c = new PhalaClient({ baseUrl: url, apiKey: sandbox.apiKey, ...opts.client, ...o });
    clients.push(c);
    return c;
  };
  const client = newClient();
  return {
    sandbox,
    client,
    url,
    newClient,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await sandbox.server.close();
    },
  };
}

let counter = 0;
export function provisionBody(over: Partial<ProvisionCvmRequest> = {}): ProvisionCvmRequest {
  counter += 1;
  return {
    name: `app-${process.pid}-${counter}`,
    compose_file: { docker_compose_file: 'services:\n  app:\n    image: nginx:latest\n', allowed_envs: ['API_TOKEN', 'DB_URL'] },
    vcpu: 2,
    memory: 2048,
    disk_size: 20,
    teepod_id: 3,
    ...over,
  };
}

/** Provision + commit with PHALA KMS; returns the commit answer. */
export async function createCvm(client: PhalaClient, over: Partial<ProvisionCvmRequest> = {}, commit: Record<string, unknown> = {}) {
  const p = await client.provisionCvm(provisionBody(over));
  const c = await client.commitCvm({ app_id: p.app_id!, compose_hash: p.compose_hash, ...commit });
  return { provision: p, cvm: c };
}

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

export async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await rejection(p);
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return err;
}

export async function appFailure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejection(p);
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

/** Polls until `fn` returns true (real time), failing after `ms`. */
export async function eventually(fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}

/** Raw request to the sandbox (for wire-level checks the client would refuse to send). */
export async function raw(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as Record<string, unknown> & { detail?: unknown }, text, headers: res.headers };
}
