// AMD ASK/ASVK + ARK bundles shipped in assets/amd-roots, loaded once, each ARK checked against its pinned SPKI hash.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ProductLine } from './policy/types';
import { type ParsedCert, certificatesFrom, isSelfSigned, isSignedBy, parseCertificate } from './x509';

/** SHA-256 of each product's ARK SubjectPublicKeyInfo: the pin that makes a root "AMD". */
export const AMD_ARK_SPKI_SHA256: Record<ProductLine, string> = {
  Milan: '9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9',
  Genoa: '429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831',
  Turin: '4f125410563a2ab9a50356f9243f6fe0b6f73de98603f53f90339c70e9d7ad08',
};

export interface AmdRootEntry {
  productLine: ProductLine;
  keyKind: 'vcek' | 'vlek';
  ask: ParsedCert;
  ark: ParsedCert;
  file: string;
}

/** Works from src/attestation (ts-jest) and lib/attestation (compiled): both sit two levels below the repo root. */
export const DEFAULT_AMD_ROOTS_DIR = path.resolve(__dirname, '..', '..', 'assets', 'amd-roots');

const FILE = /^ask_ark_(milan|genoa|turin)(?:_(vcek|vlek))?\.pem$/;

/** Load a folder of KDS cert_chain bundles (ASK first, then ARK); throws on a bundle that is not a valid, pinned chain. */
export function loadAmdRoots(dir: string = DEFAULT_AMD_ROOTS_DIR): AmdRootEntry[] {
  const out: AmdRootEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = FILE.exec(name);
    if (!m) continue;
    const productLine = (m[1]![0]!.toUpperCase() + m[1]!.slice(1)) as ProductLine;
    const certs = certificatesFrom(readFileSync(path.join(dir, name))).map(parseCertificate);
    const [ask, ark] = certs;
    if (certs.length !== 2 || !ask || !ark) throw new Error(`${name}: expected ASK then ARK`);
    if (!isSelfSigned(ark) || !isSignedBy(ask, ark)) throw new Error(`${name}: ASK/ARK signatures do not verify`);
    if (ark.spkiSha256 !== AMD_ARK_SPKI_SHA256[productLine]) throw new Error(`${name}: ARK key is not the pinned ARK-${productLine}`);
    out.push({ productLine, keyKind: m[2] === 'vlek' ? 'vlek' : 'vcek', ask, ark, file: name });
  }
  if (out.length === 0) throw new Error(`no AMD root bundles in ${dir}`);
  return out;
}

let cached: AmdRootEntry[] | undefined;

/** The shipped defaults, read once per process (trust anchors are configuration, not evidence). */
export function defaultAmdRoots(): AmdRootEntry[] {
  cached ??= loadAmdRoots();
  return cached;
}
