/** Defaults shared by the worker, the client library and the CLI. */
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TASK_QUEUE = 'cvmflow';
export const DEFAULT_DEV_SERVER_PORT = 7233;
export const DEFAULT_DEV_UI_PORT = 8233;
