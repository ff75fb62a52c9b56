// A simulated KMS chain (Ethereum / Base) for the on-chain KMS flow: DstackKms.deployAndRegisterApp creates an app
// (its id is the DstackApp proxy address) with an initial compose hash and device; DstackApp.addComposeHash and
// addDevice extend the allowlists. Transactions become visible after a confirmation delay (simulated time).
import { randomBytes } from 'node:crypto';
import type { SandboxClock } from '../http/clock';

export interface ChainApp {
  /** 40 lowercase hex, no 0x: the DstackApp address. */
  appId: string;
  kms: 'ETHEREUM' | 'BASE';
  deployer: string;
  composeHashes: Map<string, Visibility>;
  devices: Map<string, Visibility>;
  allowAnyDevice: boolean;
}

/** Registered at a real timestamp, visible after a simulated delay (so a faster clock confirms sooner). */
export interface Visibility {
  at: number;
  delayMs: number;
}

export interface ChainTx {
  hash: string;
  appId: string;
  composeHash: string;
  deviceId?: string;
  blockNumber: number;
  visibility: Visibility;
}

export interface RegisterOnChainInput {
  compose_hash: string;
  /** An existing app to add the compose hash to (addComposeHash); omitted = deploy a new app. */
  app_id?: string;
  device_id?: string;
  allow_any_device?: boolean;
  deployer_address?: string;
  /** Use this tx hash (0x + 64 hex) instead of a generated one. */
  transaction_hash?: string;
  kms?: 'ETHEREUM' | 'BASE';
  /** Simulated ms until the transaction is visible to the API (default 0). */
  confirm_delay_ms?: number;
}

export interface RegisterOnChainResult {
  app_id: string;
  contract_address: string;
  deployer_address: string;
  transaction_hash: string;
  block_number: number;
  compose_hash: string;
  device_id: string | null;
}

const hex = (n: number) => randomBytes(n).toString('hex');
export const bareHex = (v: string) => v.trim().toLowerCase().replace(/^0x/, '');

export class SimulatedChain {
  readonly apps = new Map<string, ChainApp>();
  readonly txs = new Map<string, ChainTx>();
  private block = 18_000_000;

  constructor(private readonly clock: SandboxClock) {}

  register(input: RegisterOnChainInput): RegisterOnChainResult {
    const composeHash = bareHex(input.compose_hash);
    if (!/^[0-9a-f]{64}$/.test(composeHash)) throw new Error('compose_hash must be 32 bytes of hex');
    const txHash = input.transaction_hash ? input.transaction_hash.toLowerCase() : `0x${hex(32)}`;
    if (!/^0x[0-9a-f]{64}$/.test(txHash)) throw new Error('transaction_hash must be 0x + 64 hex');
    if (this.txs.has(txHash)) throw new Error('transaction_hash already used');
    const visibility: Visibility = { at: this.clock.now(), delayMs: input.confirm_delay_ms ?? 0 };
    let appId = input.app_id ? bareHex(input.app_id) : hex(20);
    if (!/^[0-9a-f]{40}$/.test(appId)) throw new Error('app_id must be a 20-byte address');
    let app = this.apps.get(appId);
    if (!app) {
      const deployer = input.deployer_address ? bareHex(input.deployer_address) : hex(20);
      app = { appId, kms: input.kms ?? 'BASE', deployer, composeHashes: new Map(), devices: new Map(), allowAnyDevice: input.allow_any_device ?? false };
      this.apps.set(appId, app);
    } else if (input.allow_any_device !== undefined) app.allowAnyDevice = input.allow_any_device;
    appId = app.appId;
    if (!app.composeHashes.has(composeHash)) app.composeHashes.set(composeHash, visibility);
    const deviceId = input.device_id ? bareHex(input.device_id) : undefined;
    if (deviceId && !app.devices.has(deviceId)) app.devices.set(deviceId, visibility);
    this.block += 1;
    this.txs.set(txHash, { hash: txHash, appId, composeHash, ...(deviceId ? { deviceId } : {}), blockNumber: this.block, visibility });
    return {
      app_id: `0x${appId}`,
      contract_address: `0x${appId}`,
      deployer_address: `0x${app.deployer}`,
      transaction_hash: txHash,
      block_number: this.block,
      compose_hash: composeHash,
      device_id: deviceId ?? null,
    };
  }

  /** A transaction the API can see now. */
  visibleTx(hash: string): ChainTx | undefined {
    const tx = this.txs.get(hash.toLowerCase());
    return tx && this.visible(tx.visibility) ? tx : undefined;
  }

  private visible(v: Visibility | undefined): boolean {
    return v !== undefined && this.clock.elapsedSince(v.at) >= v.delayMs;
  }

  status(appId: string, composeHash: string, deviceId: string | undefined): { compose_hash_allowed: boolean; device_id_allowed: boolean; allow_any_device: boolean; is_allowed: boolean; app_registered: boolean } {
    const app = this.apps.get(bareHex(appId));
    const composeOk = !!app && this.visible(app.composeHashes.get(bareHex(composeHash)));
    const anyDevice = !!app?.allowAnyDevice;
    const deviceOk = !!app && (anyDevice || (deviceId !== undefined && this.visible(app.devices.get(bareHex(deviceId)))));
    return { compose_hash_allowed: composeOk, device_id_allowed: deviceOk, allow_any_device: anyDevice, is_allowed: composeOk && deviceOk, app_registered: !!app };
  }
}
