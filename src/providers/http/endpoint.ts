// An endpoint as the provider documents it: the unit of the catalogue, of activities and of sandbox routes.

export type ProviderId = 'phala' | 'prism' | 'cudo';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface EndpointDef {
  provider: ProviderId;
  method: HttpMethod;
  /** Path template relative to the base URL, with `{param}` placeholders, e.g. `/cvms/{id}`. */
  path: string;
  /** The activity that wraps it, e.g. `phalaGetCvm`. */
  activity: string;
  summary: string;
  /**
   * Set on an endpoint the provider docs do not list (the docs are the contract for the rest): where it is described
   * instead, e.g. `provider-notes/phala-attestation.md`. Such endpoints are marked in the README table.
   */
  beyondDocs?: string;
}

export function endpointLabel(e: Pick<EndpointDef, 'method' | 'path'>): string {
  return `${e.method} ${e.path}`;
}

/** Fills `{param}` placeholders, percent-encoding each value; a missing value is a programming error. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined || v === '') throw new Error(`path parameter ${name} is required for ${template}`);
    return encodeURIComponent(String(v));
  });
}
