// mr_config_id: a launch binding the host sets (dstack-types mr_config.rs). All zero means none; V1 carries the
// compose hash; V2 a keccak256 over compose hash, app id and key provider; V3 the hash of a JSON document we do not get.
import { bytesEqual, isAllZero, toHex } from '../bytes';
import type { CheckList } from '../verdict';
import { keccak256 } from './keccak';
import type { KeyProviderName } from './policy';

const KEY_PROVIDER_KIND: Record<KeyProviderName, number> = { none: 0, 'local-sgx': 1, kms: 2, tpm: 3 };

export interface MrConfigIdentity {
  composeHash?: Buffer;
  appId?: Buffer;
  keyProvider?: { name: string; id: Buffer };
}

export function checkMrConfigId(mrConfigId: Uint8Array, id: MrConfigIdentity, checks: CheckList): void {
  const name = 'dstack.mr_config_id';
  const v = Buffer.from(mrConfigId);
  if (isAllZero(v)) return checks.skip(name, 'all zero: the host set no launch binding');
  const tail = (from: number) => v.subarray(from);
  switch (v[0]) {
    case 1: {
      if (!id.composeHash) return void checks.fail(name, 'V1: 01 ‖ compose hash ‖ zeros', toHex(v), 'no compose-hash event to compare with');
      const ok = bytesEqual(v.subarray(1, 33), id.composeHash) && isAllZero(tail(33));
      return void checks.add(name, ok, `V1: 01 ‖ ${toHex(id.composeHash)} ‖ zeros`, toHex(v));
    }
    case 2: {
      const kind = id.keyProvider ? KEY_PROVIDER_KIND[id.keyProvider.name as KeyProviderName] : undefined;
      if (!id.composeHash || !id.appId || !id.keyProvider || kind === undefined) {
        return void checks.fail(name, 'V2: 02 ‖ keccak256(compose hash ‖ app id ‖ key provider kind ‖ key provider id)', toHex(v), 'compose-hash, app-id or a known key-provider event is missing');
      }
      const digest = keccak256(Buffer.concat([id.composeHash, id.appId, Buffer.from([kind]), id.keyProvider.id]));
      const ok = bytesEqual(v.subarray(1, 33), digest) && isAllZero(tail(33));
      return void checks.add(name, ok, `V2: 02 ‖ ${toHex(digest)} ‖ zeros`, toHex(v));
    }
    case 3:
      return checks.skip(name, `V3 (hash of a JSON document the attestation does not carry): ${toHex(v)}`);
    default:
      return void checks.fail(name, 'all zero, or MrConfig V1/V2/V3', toHex(v), `unknown MrConfig version byte 0x${v[0]!.toString(16).padStart(2, '0')}`);
  }
}
