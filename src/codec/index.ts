// cvmflow's payload codec: AES-256-GCM with a key ring, on the worker, the client library and the CLI.
export * from './key-ring';
export * from './payload-codec';
