// Sandbox dstack evidence for Phala CVMs: a dstack-shaped event log (boot events in IMR 0-2, dstack's runtime events
// in IMR 3 with the compose hash of what was deployed), a TDX quote over the replayed registers signed by the
// sandbox TDX chain, and the two attestation answers built from them. Faults make the evidence wrong in the ways a
// verifier must catch: a different compose, a payload rewritten under its old digest, a quote whose RTMR3 the log does
// not reach, and an offline CVM.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { DSTACK_RUNTIME_EVENT_TYPE, extend, runtimeEventDigest } from '../../attestation/dstack/event-log';
import { canonicalAppCompose } from '../../providers/phala/compose-hash';
import { signSandboxTdxQuote, type SandboxTdxChain } from './tdx-chain';

export const PHALA_ATTESTATION_FAULTS = ['wrong-compose-hash', 'tampered-payload', 'rtmr-mismatch', 'offline'] as const;
export type PhalaAttestationFault = (typeof PHALA_ATTESTATION_FAULTS)[number];

export interface AttestationFaultRule {
  /** Any identifier of the CVM (or its name, before it exists); omitted = every CVM. */
  cvm?: string;
  fault: PhalaAttestationFault;
}

/** What the evidence is built from: the CVM as the sandbox deployed it. */
export interface AttestedCvm {
  name: string;
  appId: string;
  vmUuid: string;
  instanceId: string;
  composeFile: Record<string, unknown>;
  composeHash: string;
  image: string;
  vcpu: number;
  memory: number;
}

export interface EventJson {
  imr: number;
  event_type: number;
  digest: string;
  event: string;
  event_payload: string;
}

export interface SandboxDstackEvidence {
  quote: Buffer;
  eventLog: EventJson[];
  appCompose: string;
  registers: { mrtd: string; rtmr0: string; rtmr1: string; rtmr2: string; rtmr3: string };
  composeHash: string;
  osImageHash: string;
}

const sha384 = (s: string | Buffer): Buffer => createHash('sha384').update(s).digest();
const hex = (b: Buffer): string => b.toString('hex');

/** The simulated KMS root key: the `key-provider` event names it (hex DER SPKI), as dstack's KMS path does. */
export function createSandboxKmsRoot(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return hex(publicKey.export({ type: 'spki', format: 'der' }));
}

/** The image's OS hash (SHA-256 of its release sha256sum.txt in dstack; here a stand-in per image name). */
export function sandboxOsImageHash(image: string): string {
  return createHash('sha256').update(`cvmflow sandbox os image ${image}\n`).digest('hex');
}

/** Firmware, kernel and cmdline measurements: fixed per image; RTMR0 also per vCPU count and memory, as dstack's. */
function bootEvents(cvm: AttestedCvm): EventJson[] {
  const boot = (imr: number, type: number, label: string, payload: string): EventJson => ({
    imr,
    event_type: type,
    digest: hex(sha384(`cvmflow sandbox ${cvm.image} ${label}`)),
    event: '',
    event_payload: Buffer.from(payload).toString('hex'),
  });
  return [
    boot(0, 0x80000001, 'secure boot variables', 'SecureBoot'),
    boot(0, 0x0000000a, `acpi tables ${cvm.vcpu} vcpu ${cvm.memory} MiB`, 'ACPI DATA'),
    boot(0, 0x00000004, 'separator', '\0\0\0\0'),
    boot(1, 0x80000007, 'boot application', 'Calling EFI Application from Boot Option'),
    boot(1, 0x80000007, 'exit boot services', 'Exit Boot Services Invocation'),
    boot(2, 0x00000006, 'kernel cmdline', 'LOADED_IMAGE::LoadOptions'),
    boot(2, 0x00000006, 'initrd', 'Linux initrd'),
  ];
}

function runtime(name: string, payload: Buffer): EventJson {
  const digest = runtimeEventDigest({ name, payload, eventType: DSTACK_RUNTIME_EVENT_TYPE, version: 1 });
  return { imr: 3, event_type: DSTACK_RUNTIME_EVENT_TYPE, digest: hex(digest), event: name, event_payload: hex(payload) };
}

/** dstack's measure_app_info order, then system-ready (provider-notes/phala-attestation.md §2). */
function runtimeEvents(cvm: AttestedCvm, composeHash: string, kmsRootId: string, osImageHash: string): EventJson[] {
  const noInstanceId = cvm.composeFile.no_instance_id === true;
  const storage = typeof cvm.composeFile.storage_fs === 'string' ? cvm.composeFile.storage_fs : 'ext4';
  return [
    runtime('system-preparing', Buffer.alloc(0)),
    runtime('app-id', Buffer.from(cvm.appId, 'hex')),
    runtime('compose-hash', Buffer.from(composeHash, 'hex')),
    runtime('instance-id', noInstanceId ? Buffer.alloc(0) : Buffer.from(cvm.instanceId, 'hex')),
    runtime('boot-mr-done', Buffer.alloc(0)),
    runtime('os-image-hash', Buffer.from(osImageHash, 'hex')),
    runtime('key-provider', Buffer.from(JSON.stringify({ name: 'kms', id: kmsRootId }))),
    runtime('storage-fs', Buffer.from(storage)),
    runtime('system-ready', Buffer.alloc(0)),
  ];
}

function replay(events: EventJson[], imr: number): Buffer {
  let mr: Buffer = Buffer.alloc(48);
  for (const e of events) if (e.imr === imr) mr = extend(mr, Buffer.from(e.digest, 'hex'));
  return mr;
}

/** The CVM's evidence, honest unless a fault says otherwise. */
export function buildDstackEvidence(chain: SandboxTdxChain, cvm: AttestedCvm, kmsRootId: string, fault?: PhalaAttestationFault): SandboxDstackEvidence {
  const osImageHash = sandboxOsImageHash(cvm.image);
  const appCompose = canonicalAppCompose(cvm.composeFile);
  // wrong-compose-hash: the CVM runs another compose (a consistent log and quote, but not what we deployed);
  // tampered-payload: it runs another compose, and the log served claims ours under the old digest.
  const otherCompose = fault === 'wrong-compose-hash' || fault === 'tampered-payload' ? canonicalAppCompose({ ...cvm.composeFile, docker_compose_file: `${String(cvm.composeFile.docker_compose_file ?? '')}# injected by the sandbox fault ${fault}\n` }) : undefined;
  const bootedCompose = otherCompose ?? appCompose;
  const bootedHash = createHash('sha256').update(bootedCompose, 'utf8').digest('hex');

  const boot = bootEvents(cvm);
  const measured = [...boot, ...runtimeEvents(cvm, bootedHash, kmsRootId, osImageHash)];
  const quotedLog = fault === 'rtmr-mismatch' ? [...measured, runtime('sandbox-unlogged-event', Buffer.from('measured, then left out of the log'))] : measured;
  const rtmrs = [0, 1, 2, 3].map((i) => replay(quotedLog, i)) as [Buffer, Buffer, Buffer, Buffer];
  const mrtd = sha384(`cvmflow sandbox OVMF ${cvm.image}`);
  const mrConfigId = Buffer.concat([Buffer.from([1]), Buffer.from(bootedHash, 'hex'), Buffer.alloc(15)]);
  // A stand-in for SHA-512("ratls-cert:" ‖ cert SPKI): the sandbox issues no RA-TLS certificate
  const reportData = createHash('sha512').update(`ratls-cert:cvmflow sandbox ${cvm.vmUuid}`).digest();
  const quote = signSandboxTdxQuote(chain, { mrTd: mrtd, mrConfigId, rtmrs, reportData });

  let eventLog = measured;
  if (fault === 'tampered-payload') {
    eventLog = measured.map((e) => (e.event === 'compose-hash' ? { ...e, event_payload: cvm.composeHash } : e)); // digest left as it was
  }
  return {
    quote,
    eventLog,
    appCompose: fault === 'tampered-payload' ? appCompose : bootedCompose,
    registers: { mrtd: hex(mrtd), rtmr0: hex(rtmrs[0]), rtmr1: hex(rtmrs[1]), rtmr2: hex(rtmrs[2]), rtmr3: hex(rtmrs[3]) },
    composeHash: fault === 'tampered-payload' ? cvm.composeHash : bootedHash,
    osImageHash,
  };
}

/** tcb_info as Phala serves it; null unless the app-compose made it public (dstack blanks it otherwise). */
export function renderTcbInfo(cvm: AttestedCvm, ev: SandboxDstackEvidence): Record<string, unknown> | null {
  if (cvm.composeFile.public_tcbinfo !== true) return null;
  return { rootfs_hash: createHash('sha256').update(`rootfs ${cvm.image}`).digest('hex'), ...ev.registers, event_log: ev.eventLog, app_compose: ev.appCompose };
}

/** RA-TLS certificates of GET /cvms/{id}/attestation: only the end entity (position 0) carries the quote. */
export function renderAppCertificates(cvm: AttestedCvm, ev: SandboxDstackEvidence, issuedAt: number): Array<Record<string, unknown>> {
  const day = 86_400_000;
  const serial = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
  const base = { not_before: new Date(issuedAt).toISOString(), not_after: new Date(issuedAt + 365 * day).toISOString(), version: 'v3', signature_algorithm: 'ecdsa-with-SHA256' };
  return [
    {
      ...base,
      subject: { common_name: `${cvm.appId}.sandbox.phala.network`, organization: null, country: null, state: null, locality: null },
      issuer: { common_name: 'cvmflow sandbox dstack App CA', organization: 'cvmflow sandbox', country: null },
      serial_number: serial(`ee ${cvm.vmUuid}`),
      fingerprint: serial(`fp ${cvm.vmUuid}`),
      sans: [`${cvm.appId}.sandbox.phala.network`],
      is_ca: false,
      position_in_chain: 0,
      quote: ev.quote.toString('hex'),
      app_id: cvm.appId,
      cert_usage: 'ra-tls',
    },
    {
      ...base,
      subject: { common_name: 'cvmflow sandbox dstack App CA', organization: 'cvmflow sandbox', country: null, state: null, locality: null },
      issuer: { common_name: 'cvmflow sandbox dstack KMS CA', organization: 'cvmflow sandbox', country: null },
      serial_number: serial(`ca ${cvm.appId}`),
      fingerprint: serial(`fp ca ${cvm.appId}`),
      sans: null,
      is_ca: true,
      position_in_chain: 1,
      quote: null,
      app_id: cvm.appId,
      cert_usage: 'app-ca',
    },
  ];
}
