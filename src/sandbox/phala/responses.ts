// Phala-style error answers for the sandbox: FastAPI `{detail}` with a string, a 422 array or a structured error.
import type { z } from 'zod';
import type { SandboxResponse } from '../http/server';
import { PhalaErrorCodes } from '../../providers/phala/errors';

export function detail(status: number, message: string, headers?: Record<string, string>): SandboxResponse {
  return { status, json: { detail: message }, ...(headers ? { headers } : {}) };
}

export interface StructuredInit {
  code: string;
  message: string;
  details?: Array<Record<string, unknown>>;
  suggestions?: string[];
  links?: Array<{ label: string; url: string }>;
}

export function structured(status: number, init: StructuredInit): SandboxResponse {
  return {
    status,
    json: {
      detail: {
        error_code: init.code,
        message: init.message,
        details: init.details ?? [],
        suggestions: init.suggestions ?? [],
        links: init.links ?? [],
      },
    },
  };
}

/** A FastAPI 422: `{detail:[{type, loc, msg, input}]}` (the real API echoes the input, so does this). */
export function validation(issues: Array<{ loc: Array<string | number>; msg: string; type?: string; input?: unknown }>): SandboxResponse {
  return { status: 422, json: { detail: issues.map((i) => ({ type: i.type ?? 'value_error', loc: i.loc, msg: i.msg, input: i.input ?? null })) } };
}

export function zodValidation(where: 'body' | 'query', error: z.ZodError, input: unknown): SandboxResponse {
  return validation(
    error.issues.map((i) => {
      let value: unknown = input;
      for (const k of i.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
      const loc = [where, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))];
      const isEnv = i.path.includes('encrypted_env');
      return { loc, msg: i.message, type: i.code === 'invalid_type' && value === undefined ? 'missing' : 'value_error', input: isEnv ? '<omitted>' : value };
    }),
  );
}

export function cvmNotFound(id: string): SandboxResponse {
  return structured(404, {
    code: PhalaErrorCodes.CVM_NOT_FOUND,
    message: `CVM not found: ${id}`,
    details: [{ field: 'cvm_id', value: id, message: 'No CVM matches this identifier in your workspace' }],
    suggestions: ['Check the identifier: id (cvm_… hashid), vm_uuid, app_<app_id>, instance_<instance_id> or name'],
    links: [{ label: 'CVM identifiers', url: 'https://docs.phala.com/phala-cloud/references/cvm-lifecycle' }],
  });
}

export function busy(op: string): SandboxResponse {
  return detail(409, `CVM is busy: another operation (${op}) is in progress. Please try again later.`);
}
