// The test bundle: every production workflow plus workflows that exist only to test the foundation.
export * from '../../src/workflows';
export * from './workflows/foundation';
export * from './workflows/call-activity';
export * from './workflows/shared-modules-probe';
