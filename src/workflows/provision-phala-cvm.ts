// `provisionPhalaCvm`: provision → encrypt env (on the worker) → on-chain registration (when the KMS is
// on-chain) → commit → Running → ttl teardown. Exactly one CVM per workflow: provisioning creates nothing,
// commit is idempotent on app_id + compose_hash (a retried commit returns the same CVM), and a name that is
// already taken stops the workflow before anything is created.
import { ApplicationFailure, condition, isCancellation, log, setHandler, sleep } from '@temporalio/workflow';
import { describeIssues } from '../contract/common';
import {
  ProvisionPhalaCvmInputSchema,
  submitOnChainTransactionUpdate,
  SubmitOnChainTransactionSchema,
  type ProvisionPhalaCvmInput,
  type ProvisionPhalaCvmParams,
  type ProvisionPhalaCvmResult,
  type SubmitOnChainTransaction,
} from '../contract/phala';
import type { PhalaProvisionCvmResult } from '../activities/phala';
import { keyProviderOf, verifyPhala, type PhalaIdentity } from './support/attestation';
import { Compensations } from './support/compensation';
import { failLifecycle } from './support/failure';
import { describeFailure, parseWorkflowInput } from './support/input';
import { creating, hasPatch, heartbeatFor, leanHistory, providerActivities, readActivities, waitingActivities, type LifecycleActivities } from './support/options';
import { Progress } from './support/progress';
import { scheduleTeardown } from './support/teardown-child';
import { FailureTypes } from '../contract/failures';

const KMS = { phala: 'PHALA', ethereum: 'ETHEREUM', base: 'BASE' } as const;

/** Patch id: attestation before the CVM is reported ready (added after release 0.1.0). */
export const PATCH_ATTEST_BEFORE_READY = 'phala-attest-before-ready';
/** Patch id: the app-compose asks dstack to publish tcb_info when the CVM is to be attested (after release 0.2.0). */
export const PATCH_PUBLIC_TCBINFO = 'phala-public-tcbinfo';

export async function provisionPhalaCvm(raw: ProvisionPhalaCvmInput): Promise<ProvisionPhalaCvmResult> {
  const input = parseWorkflowInput('provisionPhalaCvm', ProvisionPhalaCvmInputSchema, raw);
  const lean = leanHistory();
  const progress = new Progress('phala', { cvmName: input.name }, lean);
  const compensations = new Compensations();
  const acts = providerActivities(input.providerCallTimeout);
  // Provisioning creates nothing (commit does) and encrypting is local: both may run again, so they are reads too.
  const reads = readActivities(progress, input.providerCallTimeout);
  const onChain = registerOnChainUpdate(input, progress);

  try {
    progress.step('look-before-create');
    await ensureNameFree(reads, input.name);

    progress.step('provision');
    // dstack serves tcb_info (the event log the RTMRs replay from, the app-compose) only when the app-compose says
    // public_tcbinfo: true; without it every attestation is undetermined. Asked for when the CVM is to be attested.
    const publishTcbInfo = input.attestation.verify && hasPatch(lean, PATCH_PUBLIC_TCBINFO);
    const provision = await reads.phalaProvisionCvm.executeWithOptions({ summary: `provision ${input.name} (${input.kms.type} KMS)` }, [{
      name: input.name,
      compose_file: {
        docker_compose_file: input.composeFile,
        ...(input.preLaunchScript ? { pre_launch_script: input.preLaunchScript } : {}),
        allowed_envs: input.env.map((e) => e.key),
        public_logs: input.publicLogs,
        public_sysinfo: input.publicSysinfo,
        gateway_enabled: input.gatewayEnabled,
        ...(publishTcbInfo ? { public_tcbinfo: true } : {}),
      },
      ...(input.vcpu ? { vcpu: input.vcpu } : {}),
      ...(input.memoryMb ? { memory: input.memoryMb } : {}),
      ...(input.diskGb ? { disk_size: input.diskGb } : {}),
      ...(input.instanceType ? { instance_type: input.instanceType } : {}),
      ...(input.nodeId !== undefined ? { node_id: input.nodeId } : {}),
      ...(input.image ? { image: input.image } : {}),
      kms: KMS[input.kms.type],
      env_keys: input.env.map((e) => e.key),
    }]);
    onChain.provisioned(provision);

    let cvm: { ref: string; appId: string | null; vmUuid: string | null; status: string };
    let transactionHash: string | null = null;
    {
      let appId = provision.appId;
      let pubkey = provision.appEnvEncryptPubkey;
      let tx: SubmitOnChainTransaction | undefined;
      if (provision.onChainKms || input.kms.type !== 'phala') {
        progress.step('await-onchain');
        tx = await onChain.wait();
        transactionHash = tx.transactionHash;
        appId = tx.appAddress ?? appId;
        pubkey = tx.appEnvEncryptPubkey ?? pubkey;
      }
      let encrypted: { encryptedEnv: string; envKeys: string[] } | undefined;
      if (input.env.length > 0) {
        progress.step('encrypt-env');
        if (!pubkey) throw ApplicationFailure.create({ message: 'Phala returned no env encryption public key for this app; with an on-chain KMS pass appEnvEncryptPubkey in submitOnChainTransaction', type: FailureTypes.PhalaNoEnvPubkey, nonRetryable: true });
        encrypted = await reads.phalaEncryptEnv.executeWithOptions({ summary: `encrypt ${input.env.length} env var(s) to the app key` }, [{ publicKey: pubkey, env: input.env }]);
      }
      if (!appId) throw ApplicationFailure.create({ message: 'no app id: the on-chain registration must name the app (appAddress)', type: FailureTypes.PhalaNoAppId, nonRetryable: true });

      progress.step('commit');
      const deployer = tx?.deployerAddress ?? (input.kms.type !== 'phala' ? input.kms.deployerAddress : undefined);
      const committed = await acts.phalaCommitCvm.executeWithOptions(creating(lean, input.providerCallTimeout, `commit app ${appId}`), [{
        app_id: appId,
        compose_hash: provision.composeHash,
        ...(encrypted ? { encrypted_env: encrypted.encryptedEnv, env_keys: encrypted.envKeys } : {}),
        ...(provision.kmsId ? { kms_id: provision.kmsId } : {}),
        ...(tx ? { transaction_hash: tx.transactionHash, contract_address: appId.startsWith('0x') ? appId : `0x${appId.replace(/^app_/, '')}` } : {}),
        ...(deployer ? { deployer_address: deployer } : {}),
      }]);
      cvm = { ref: committed.ref, appId: committed.appId ?? appId, vmUuid: committed.vmUuid, status: committed.status };
      progress.update({ cvmId: cvm.ref, providerStatus: cvm.status });
      compensations.add(`deleted Phala CVM ${cvm.ref}`, async () => {
        await acts.phalaDeleteCvm({ id: cvm.ref, notFoundOk: true });
      });
    }

    progress.step('wait-running');
    const running = await waitUntilRunning(reads, input, cvm.ref, progress);
    progress.update({ providerStatus: running.status });

    // Not ready without proof: attested before the result (runs started before this step existed skip it on replay).
    let attestation: ProvisionPhalaCvmResult['attestation'];
    if (hasPatch(lean, PATCH_ATTEST_BEFORE_READY)) {
      progress.step('attest');
      attestation = await attestBeforeReady(reads, input, { appId: cvm.appId!, vmUuid: cvm.vmUuid, composeHash: provision.composeHash, composeFile: input.composeFile }, progress);
      progress.update({ providerStatus: attestation.result === 'verified' ? 'verified' : `${running.status} (attestation skipped)` });
    }

    let teardown: ProvisionPhalaCvmResult['teardown'] = null;
    if (input.ttl) {
      progress.step('schedule-teardown');
      teardown = await scheduleTeardown(lean, { provider: 'phala', key: input.name, cvmId: cvm.ref, cvmName: input.name, ttlMs: input.ttl, pollIntervalMs: input.pollInterval, providerCallTimeoutMs: input.providerCallTimeout });
      progress.update({ teardownAt: teardown.teardownAt });
    }
    progress.finish('done');
    return {
      provider: 'phala',
      name: input.name,
      cvmId: cvm.ref,
      appId: cvm.appId,
      vmUuid: cvm.vmUuid,
      status: running.status,
      composeHash: provision.composeHash,
      kms: KMS[input.kms.type],
      transactionHash,
      appUrl: typeof running.facts.appUrl === 'string' ? running.facts.appUrl : null,
      teardown,
      ...(attestation ? { attestation } : {}),
    };
  } catch (err) {
    throw await failLifecycle(err, input.keepOnFailure, compensations, progress);
  }
}

/** The `submitOnChainTransaction` update: validated before it reaches history, accepted once, while waiting. */
function registerOnChainUpdate(input: ProvisionPhalaCvmParams, progress: Progress) {
  let tx: SubmitOnChainTransaction | undefined;
  let composeHash: string | undefined;
  setHandler(
    submitOnChainTransactionUpdate,
    (arg) => {
      tx = SubmitOnChainTransactionSchema.parse(arg);
      progress.update({});
      return { accepted: true as const, composeHash: composeHash! };
    },
    {
      validator: (arg) => {
        const p = SubmitOnChainTransactionSchema.safeParse(arg);
        if (!p.success) throw new Error(`invalid transaction: ${describeIssues(p.error)}`);
        if (input.kms.type === 'phala') throw new Error('this CVM uses the Phala KMS: no on-chain registration is expected');
        if (progress.current.step !== 'await-onchain') throw new Error(`not waiting for an on-chain transaction (step: ${progress.current.step})`);
        if (tx) throw new Error(`a transaction was already accepted: ${tx.transactionHash}`);
        const expected = input.kms.contractAddress;
        if (expected && p.data.contractAddress && expected.toLowerCase() !== p.data.contractAddress.toLowerCase()) {
          throw new Error(`the transaction went to contract ${p.data.contractAddress}, expected the KMS contract ${expected}`);
        }
        if (!p.data.appAddress) throw new Error('appAddress is required: the DstackApp address the transaction registered');
        if (input.env.length > 0 && !p.data.appEnvEncryptPubkey) throw new Error('appEnvEncryptPubkey is required: this CVM has env vars to encrypt to the app key');
        if (!p.data.deployerAddress && !('deployerAddress' in input.kms && input.kms.deployerAddress)) throw new Error('deployerAddress is required (or set kms.deployerAddress in the input)');
      },
      description: 'Delivers the on-chain registration transaction (0x + 64 hex) of an on-chain KMS CVM.',
    },
  );
  return {
    provisioned(p: PhalaProvisionCvmResult) {
      composeHash = p.composeHash;
    },
    async wait(): Promise<SubmitOnChainTransaction> {
      const arrived = await condition(() => tx !== undefined, input.onChainDeadline, { summary: 'submitOnChainTransaction' });
      if (!arrived) {
        throw ApplicationFailure.create({
          message: `no on-chain registration transaction within ${input.onChainDeadline / 1000}s (submitOnChainTransaction was never called); nothing was created`,
          type: FailureTypes.OnChainDeadlineExceeded,
          nonRetryable: true,
        });
      }
      return tx!;
    },
  };
}

/**
 * Phala names are unique per workspace. A CVM already under this name is never adopted or touched: it may
 * not be ours (a repeated start of a finished lifecycle attaches to the old run instead; see the client).
 */
async function ensureNameFree(reads: LifecycleActivities, name: string): Promise<void> {
  const o = await reads.observeCvm({ provider: 'phala', cvmId: name });
  if (o.class !== 'gone') {
    throw ApplicationFailure.create({ message: `a Phala CVM named ${name} already exists (${o.status}); choose another name or tear that one down`, type: FailureTypes.CvmNameTaken, nonRetryable: true });
  }
}

/** The state stream first; if it cannot be used, polling with capped backoff. Fails fast on failed/exited. */
async function waitUntilRunning(reads: LifecycleActivities, input: ProvisionPhalaCvmParams, ref: string, progress: Progress) {
  const deadline = Date.now() + input.runningDeadline;
  const interval = Math.min(30, Math.max(5, Math.round(input.pollInterval / 1000)));
  try {
    while (Date.now() < deadline) {
      const remainingS = Math.floor((deadline - Date.now()) / 1000);
      const watch = await waitingActivities(deadline - Date.now(), Math.max(15_000, interval * 3_000)).phalaWatchCvmState({
        id: ref,
        target: 'running',
        interval,
        timeout: Math.min(600, Math.max(10, remainingS)),
      });
      progress.update({ providerStatus: watch.status });
      if (watch.outcome === 'complete' && watch.phase === 'running') {
        return reads.observeCvm({ provider: 'phala', cvmId: ref });
      }
    }
    throw ApplicationFailure.create({ message: `CVM ${ref} was not running within ${input.runningDeadline / 1000}s`, type: FailureTypes.CvmNotReadyInTime, nonRetryable: true });
  } catch (err) {
    const type = describeFailure(err).type;
    if (type === FailureTypes.PhalaCvmFailed || type === FailureTypes.CvmNotReadyInTime || isCancellation(err) || Date.now() >= deadline) throw err;
    progress.update({ lastError: `state stream unavailable (${describeFailure(err).message}); polling instead` });
    return waitingActivities(Math.max(1_000, deadline - Date.now()), heartbeatFor(30_000)).awaitCvmState({
      provider: 'phala',
      cvmId: ref,
      target: 'running',
      pollIntervalMs: input.pollInterval,
      maxPollIntervalMs: 30_000,
    });
  }
}

/**
 * The CVM is ready only when its attestation is `verified` against what this workflow deployed. `failed` (a check
 * ran and said no) fails at once; `undetermined` (evidence not served yet, collateral unreachable) is tried again
 * with backoff until the attestation deadline, then fails closed. Either failure unwinds the compensations, so the
 * unproven CVM is deleted (unless keepOnFailure).
 */
async function attestBeforeReady(reads: LifecycleActivities, input: ProvisionPhalaCvmParams, identity: PhalaIdentity, progress: Progress): Promise<NonNullable<ProvisionPhalaCvmResult['attestation']>> {
  const opts = input.attestation;
  if (!opts.verify) {
    log.warn('Phala CVM reported ready without attestation (attestation.verify false)', { cvmName: input.name, reason: opts.skipReason });
    return { result: 'skipped', reason: opts.skipReason! };
  }
  const deadline = Date.now() + opts.deadline;
  for (let delay = Math.max(1_000, input.pollInterval); ; delay = Math.min(delay * 2, 30_000)) {
    const o = await verifyPhala(reads, identity, opts);
    if (o.result === 'verified') return { result: 'verified', keyProvider: keyProviderOf(o.verdict!), verdict: o.verdict as { verified: true } };
    if (o.result === 'failed') {
      throw ApplicationFailure.create({ message: `attestation of ${input.name} failed (${o.reasons.length} check(s)): ${o.reasons.join('; ')}`, type: FailureTypes.AttestationFailed, nonRetryable: true, details: [o.verdict] });
    }
    progress.update({ lastError: `attestation undetermined: ${o.reasons.join('; ')}` });
    if (Date.now() + delay > deadline) {
      throw ApplicationFailure.create({
        message: `attestation of ${input.name} could not be checked within ${opts.deadline / 1000}s, so it is not reported ready: ${o.reasons.join('; ')}`,
        type: FailureTypes.AttestationUndetermined,
        nonRetryable: true,
        ...(o.verdict ? { details: [o.verdict] } : {}),
      });
    }
    await sleep(delay);
  }
}
