// Custom search attributes cvmflow keeps current on every CVM workflow. Defined once: the dev server
// registration, `npm run cluster`, docker-compose's init step and the workflows all read this list.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CvmProvider = defineSearchAttributeKey('CvmProvider', SearchAttributeType.KEYWORD);
export const CvmId = defineSearchAttributeKey('CvmId', SearchAttributeType.KEYWORD);
export const CvmName = defineSearchAttributeKey('CvmName', SearchAttributeType.KEYWORD);
export const CvmStatus = defineSearchAttributeKey('CvmStatus', SearchAttributeType.KEYWORD);
export const CvmCcPlatform = defineSearchAttributeKey('CvmCcPlatform', SearchAttributeType.KEYWORD);
export const CvmStep = defineSearchAttributeKey('CvmStep', SearchAttributeType.KEYWORD);
export const CvmTeardownAt = defineSearchAttributeKey('CvmTeardownAt', SearchAttributeType.DATETIME);
/** On `reattestCvms` runs: the worst verdict of the run (`failed`, else `undetermined`, else `verified`). */
export const CvmAttestation = defineSearchAttributeKey('CvmAttestation', SearchAttributeType.KEYWORD);

/** The server refuses a keyword value over 2048 bytes (and terminates the run that sets one). */
export const SERVER_KEYWORD_LIMIT_BYTES = 2048;
/** cvmflow's own bound, well below: ids and names are checked against it at the start; other values are cut. */
export const MAX_KEYWORD_CHARS = 256;

/** A keyword value cut to MAX_KEYWORD_CHARS (at most 4 bytes each in UTF-8: 1024 bytes, below the server's limit). */
export function boundKeyword(value: string): string {
  return value.length <= MAX_KEYWORD_CHARS ? value : `${value.slice(0, MAX_KEYWORD_CHARS - 1)}…`;
}

/** Every key with the type name the `temporal` CLI expects (`--search-attribute Name=Type`). */
export const searchAttributeRegistrations: ReadonlyArray<{ name: string; cliType: 'Keyword' | 'Datetime' }> = [
  { name: CvmProvider.name, cliType: 'Keyword' },
  { name: CvmId.name, cliType: 'Keyword' },
  { name: CvmName.name, cliType: 'Keyword' },
  { name: CvmStatus.name, cliType: 'Keyword' },
  { name: CvmCcPlatform.name, cliType: 'Keyword' },
  { name: CvmStep.name, cliType: 'Keyword' },
  { name: CvmTeardownAt.name, cliType: 'Datetime' },
  { name: CvmAttestation.name, cliType: 'Keyword' },
];
