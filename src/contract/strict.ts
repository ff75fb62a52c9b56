// Strict objects for everything a caller sends (workflow inputs, update and signal arguments): a field the
// schema does not know is an error that names it and the closest known field, instead of being dropped while the
// rest goes ahead ("vcpu": 4 silently creating a VM with the default vCPUs). Pure (zod only).
import { z } from 'zod';
import { closestField, MAX_SHOWN_KEY } from '../common/closest-field';

export { closestField };


const shown = (key: string) => (key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY)}… (${key.length} characters)` : key);

/** "unknown field vcpu: did you mean vcpus?", one clause per unknown key. */
export function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((key) => {
      const near = closestField(key, known);
      return near ? `unknown field ${shown(key)}: did you mean ${near}?` : `unknown field ${shown(key)} (known fields: ${known.join(', ')})`;
    })
    .join('; ');
}

/** `z.strictObject` whose unknown-key error names each unknown field and the closest known one. */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? unknownFieldsMessage(iss.keys, known) : undefined) });
}
