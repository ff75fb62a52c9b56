// `cvmflow/client`: start, watch and steer cvmflow's workflows from other services. Only the contract and
// @temporalio/client are loaded (a unit test asserts no activity, provider, sandbox or worker module is).
export * from './cvmflow-client';
export * from './schedules';
export { jsonSchemas } from './json-schemas';
export { CodecKeyError, CodecKeyRing, loadCodecKeyRing, parseCodecKeys } from '../codec/key-ring';
export { CodecDecodeError, codecDataConverter, createPayloadCodec, EncryptionCodec } from '../codec/payload-codec';
export { resolveTemporalEnv, TemporalEnvError, type ResolvedTemporalEnv, type TemporalFlags } from '../common/temporal-env';
export * from '../contract';
