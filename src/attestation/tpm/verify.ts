// vTPM quote checks: AK signature, PCR digest, nonce in extraData, and the policy's pcr_values.
import { bytesEqual, errorMessage, toHex } from '../bytes';
import type { VtpmAttestation } from '../formats/vtpm-attestation';
import type { PcrBank, SnpPolicy } from '../policy/types';
import type { CheckList } from '../verdict';
import { TPM_ALG_HASH, akPublicKey, parseQuoteAttest, parseSignature, pcrDigest, verifyQuoteSignature } from './quote';

const BANK_ALG: Record<PcrBank, number> = { sha1: 0x0004, sha256: 0x000b, sha384: 0x000c };

export interface VtpmResult {
  /** Authenticated PCRs per bank (only from quotes whose signature and digest verified). */
  pcrs: Map<PcrBank, Map<number, Buffer>>;
  extraData: Buffer[];
}

export function verifyVtpmQuotes(v: VtpmAttestation, checks: CheckList, expectedExtraData: Buffer | undefined): VtpmResult {
  const result: VtpmResult = { pcrs: new Map(), extraData: [] };
  let key;
  try {
    key = akPublicKey(v.akPub);
  } catch (err) {
    checks.fail('vtpm.ak_pub', 'an RSA or ECC TPMT_PUBLIC', errorMessage(err));
    return result;
  }
  if (v.quotes.length === 0) checks.fail('vtpm.quote', 'at least one TPM quote', 'none');
  v.quotes.forEach((q, i) => {
    const bank = (Object.keys(BANK_ALG) as PcrBank[]).find((b) => BANK_ALG[b] === q.pcrHash);
    const label = `vtpm.quote[${bank ?? q.pcrHash}]`;
    try {
      const info = parseQuoteAttest(q.quote);
      const sig = parseSignature(q.rawSig);
      const sigOk = checks.add(`${label}.signature`, verifyQuoteSignature(key, q.quote, sig), 'TPMS_ATTEST signed by the AK', verifyQuoteSignature(key, q.quote, sig) ? 'valid' : 'does not verify');
      const digest = pcrDigest(info, q.pcrs, sig.hash);
      const digestOk = checks.add(`${label}.pcr_digest`, !!digest && bytesEqual(digest, info.pcrDigest), toHex(info.pcrDigest), digest ? toHex(digest) : 'selected PCR missing from the quote');
      const selHash = info.selections.every((s) => s.hash === q.pcrHash);
      checks.add(`${label}.pcr_bank`, selHash, `selection bank ${TPM_ALG_HASH[q.pcrHash] ?? q.pcrHash}`, info.selections.map((s) => TPM_ALG_HASH[s.hash] ?? s.hash).join(','));
      if (expectedExtraData) checks.add(`${label}.nonce`, bytesEqual(info.extraData, expectedExtraData), toHex(expectedExtraData), toHex(info.extraData));
      result.extraData.push(info.extraData);
      if (sigOk && digestOk && selHash && bank) result.pcrs.set(bank, q.pcrs);
    } catch (err) {
      checks.fail(`${label}.parse`, 'TPMS_ATTEST quote and TPMT_SIGNATURE', `quote ${i}: ${errorMessage(err)}`);
    }
  });
  return result;
}

export function evaluatePcrPolicy(pcrValues: NonNullable<SnpPolicy['pcrValues']>, authenticated: Map<PcrBank, Map<number, Buffer>> | undefined, checks: CheckList, why?: string): void {
  for (const bank of Object.keys(pcrValues) as PcrBank[]) {
    const expected = pcrValues[bank]!;
    const actual = authenticated?.get(bank);
    for (const [index, value] of [...expected].sort((a, b) => a[0] - b[0])) {
      const name = `vtpm.pcr.${bank}.${index}`;
      if (!authenticated) checks.skip(name, why ?? 'no vTPM quote in the evidence');
      else if (!actual) checks.fail(name, toHex(value), `no authenticated ${bank} quote`);
      else checks.add(name, !!actual.get(index) && bytesEqual(actual.get(index)!, value), toHex(value), actual.get(index) ? toHex(actual.get(index)!) : 'absent');
    }
  }
}
