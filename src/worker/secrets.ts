// Resolves secret references (see SecretRefSchema) inside activities, so values never enter workflow history.
// Only `env:CVMFLOW_SECRET_*` variables and files directly inside CVMFLOW_SECRETS_DIR can be read.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { SecretRefSchema } from '../contract/common';
import { FailureTypes } from '../contract/failures';

export type SecretResolver = (ref: string) => Promise<string>;

function unresolvable(ref: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `secret ${ref} cannot be resolved: ${why}`, type: FailureTypes.SecretUnavailable, nonRetryable: true });
}

export function createSecretResolver(opts: { env?: NodeJS.ProcessEnv; secretsDir?: string }): SecretResolver {
  const env = opts.env ?? process.env;
  return async (ref) => {
    if (!SecretRefSchema.safeParse(ref).success) throw unresolvable(ref, 'expected env:CVMFLOW_SECRET_<NAME> or file:<name>');
    if (ref.startsWith('env:')) {
      const value = env[ref.slice(4)];
      if (value === undefined || value === '') throw unresolvable(ref, `set ${ref.slice(4)} in the worker's environment`);
      return value;
    }
    if (!opts.secretsDir) throw unresolvable(ref, 'the worker has no CVMFLOW_SECRETS_DIR configured');
    try {
      return (await readFile(join(opts.secretsDir, ref.slice(5)), 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw unresolvable(ref, `cannot read it from CVMFLOW_SECRETS_DIR (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
}
