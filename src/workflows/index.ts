// The workflow bundle's entry point: every workflow type the worker serves, by its public type name.
export { pingCvmflow } from './ping';
export { provisionPhalaCvm } from './provision-phala-cvm';
export { createAttestedPrismCvm } from './create-attested-prism-cvm';
export { createCudoVm } from './create-cudo-vm';
export { teardownCvm } from './teardown-cvm';
export { operateCvm } from './operate-cvm';
export { reconcileFleet } from './reconcile-fleet';
export { collectCvmStatistics } from './collect-cvm-statistics';
export { reattestCvms } from './reattest-cvms';
