// Path to the shared, read-only attestation vectors (the shared folder sits beside the repo root).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const VECTORS_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'attestation-vectors');

export function vectorPath(...parts: string[]): string {
  return path.join(VECTORS_DIR, ...parts);
}

export function readVector(...parts: string[]): Buffer {
  return readFileSync(vectorPath(...parts));
}

export function readVectorText(...parts: string[]): string {
  return readFileSync(vectorPath(...parts), 'utf8');
}
