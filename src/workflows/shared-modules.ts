// The bundle's `preloadModules` (scripts/build.cjs, the worker's and the tests' bundles): evaluated once per worker,
// before any workflow runs, and shared by every workflow in the worker's reusable V8 context. A module not loaded
// here runs again for each workflow: zod's hundreds of modules and cvmflow's contract (a few hundred schemas)
// made a workflow's first task cost 2.5 MiB and 26 ms of worker CPU (issue 16).
//
// What is shared must hold no per-workflow state. cvmflow's workflow, contract and rule modules keep none (their
// module scope defines functions, constants, schemas and message definitions only; state lives in the workflow
// function's frames), and the SDK's workflow functions find the running workflow through the global it swaps
// per workflow, as its own shared modules do. zod keeps two globals: its config (default locale and cycle
// memoizer, filled by the first schema built, so one is built here before the SDK freezes globals) and a registry
// (a WeakMap of schema metadata that cvmflow's workflows never write).
//
// The SDK deep-freezes every shared module's exports; a zod schema materializes its methods on first use, which
// a frozen schema refuses. So the records of cvmflow's own modules are frozen here (their `exports` can no longer
// be replaced) and the SDK's freeze, which stops at an object already frozen, leaves the schemas usable.
import * as z from 'zod';
import '../contract';
import './index';
import './interceptors';

z.object({ preload: z.string() });

declare const __webpack_modules__: Record<string, unknown> | undefined;

if (typeof __webpack_modules__ !== 'undefined' && __webpack_modules__) {
  const cache = require.cache as Record<string, { exports: unknown } | undefined>;
  for (const id of Object.keys(__webpack_modules__)) {
    const record = id.includes('/node_modules/') ? undefined : cache[id];
    if (record) Object.freeze(record);
  }
}
