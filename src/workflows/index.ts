// The workflow bundle's entry point: every workflow type the worker serves, by its public type name.
export { pingCvmflow } from './ping';
