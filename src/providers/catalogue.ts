// Every documented provider endpoint with the activity that wraps it: the README table, `npm run endpoints`
// and the test that fails when an endpoint of the docs has no activity all read this one list. Endpoints beyond
// the docs (`beyondDocs`: described in provider-notes instead) are in it too, marked as such.
import { cudoEndpoints } from './cudo/endpoints';
import type { EndpointDef } from './http/endpoint';
import { phalaEndpoints } from './phala/endpoints';
import { prismEndpoints } from './prism/endpoints';

export const ENDPOINT_CATALOGUE: readonly EndpointDef[] = [...phalaEndpoints, ...prismEndpoints, ...cudoEndpoints];
