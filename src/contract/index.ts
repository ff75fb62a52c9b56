// The contract: everything both sides of Temporal share (workflow names and typed references, input and output
// schemas, messages, search attributes, workflow ids, failure types, and each provider's pure rules). Pure and
// deterministic, so workflows, activities, the worker, the sandbox and the client all import it.
export * from './common';
export * from './cudo';
export * from './defaults';
export * from './failures';
export * from './fleet';
export * from './operate';
export * from './phala';
export * from './prism';
export * from './search-attributes';
export * from './status';
export * from './teardown';
export * from './workflow-ids';
export * from './workflows';
export * from './rules/cvm';
export * from './rules/cudo';
export * from './rules/phala';
export * from './rules/prism';
export * from './rules/profiles';
export * from './strict';
