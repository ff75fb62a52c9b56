/** Defaults shared by the worker, the client library and the CLI. */
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TASK_QUEUE = 'cvmflow';
export const DEFAULT_DEV_SERVER_PORT = 7233;
export const DEFAULT_DEV_UI_PORT = 8233;
/** The Worker Deployment cvmflow's workers belong to (CVMFLOW_DEPLOYMENT_NAME); its versions are build ids. */
export const DEFAULT_DEPLOYMENT_NAME = 'cvmflow';
