// `cvmflow/client`: start, watch and steer cvmflow's workflows from other services. Only the contract and
// @temporalio/client are loaded (a unit test asserts no activity, provider, sandbox or worker module is).
export * from './cvmflow-client';
export * from './schedules';
export { jsonSchemas } from './json-schemas';
export * from './contract/common';
export * from './contract/cudo';
export * from './contract/defaults';
export * from './contract/fleet';
export * from './contract/operate';
export * from './contract/phala';
export * from './contract/prism';
export * from './contract/search-attributes';
export * from './contract/status';
export * from './contract/teardown';
export * from './contract/workflow-ids';
