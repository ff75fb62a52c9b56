// Every ApplicationFailure type cvmflow raises, named once: workflows and activities throw them, workflows and
// the client match on them (`describeFailure(err).type === FailureTypes.CvmFailed`). Pure (no imports).
export const FailureTypes = {
  // bad input, found before anything happened
  InvalidWorkflowInput: 'InvalidWorkflowInput',
  InvalidActivityInput: 'InvalidActivityInput',
  /** An update argument a validator rejected (nothing entered history). */
  InvalidUpdate: 'InvalidUpdate',
  // the worker is not set up for this
  ProviderNotConfigured: 'ProviderNotConfigured',
  TemporalClientNotConfigured: 'TemporalClientNotConfigured',
  SecretUnavailable: 'SecretUnavailable',
  UnsupportedAction: 'UnsupportedAction',
  // what a wait found instead of its target (awaitCvmState)
  CvmFailed: 'CvmFailed',
  CvmGone: 'CvmGone',
  /** Settled in a state that does not lead to the target by itself (CUDO SUSPENDED, Prism Offline). */
  CvmSettled: 'CvmSettled',
  CvmNotReadyInTime: 'CvmNotReadyInTime',
  // lifecycles
  /** A live CVM of that name exists that this lifecycle did not create: cvmflow neither adopts nor deletes it. */
  CvmNameTaken: 'CvmNameTaken',
  /** Asked to tear down a CVM by a name no cvmflow lifecycle recorded an id for: nothing is deleted on a name alone. */
  CvmNotRecorded: 'CvmNotRecorded',
  VmIdTaken: 'VmIdTaken',
  CvmNotFoundAfterCreate: 'CvmNotFoundAfterCreate',
  AttestationFailed: 'AttestationFailed',
  /** The attestation could not be checked in time (evidence not served, collateral unreachable): not ready, fail closed. */
  AttestationUndetermined: 'AttestationUndetermined',
  TeardownFailed: 'TeardownFailed',
  LifecycleCancelled: 'LifecycleCancelled',
  LifecycleFailed: 'LifecycleFailed',
  // fleet runs
  /** A fleet run reached its blast-radius limit: it stopped acting, reported, and failed. */
  BlastRadiusExceeded: 'BlastRadiusExceeded',
  // Phala
  PhalaCvmFailed: 'PhalaCvmFailed',
  PhalaWatchInterrupted: 'PhalaWatchInterrupted',
  PhalaNoEnvPubkey: 'PhalaNoEnvPubkey',
  PhalaNoAppId: 'PhalaNoAppId',
  OnChainDeadlineExceeded: 'OnChainDeadlineExceeded',
  // a provider call failed: `Provider` + the error kind (src/providers/http/errors.ts)
  ProviderAuth: 'ProviderAuth',
  ProviderNotFound: 'ProviderNotFound',
  ProviderConflict: 'ProviderConflict',
  ProviderInvalidRequest: 'ProviderInvalidRequest',
  ProviderCapacity: 'ProviderCapacity',
  ProviderRateLimited: 'ProviderRateLimited',
  ProviderServer: 'ProviderServer',
  ProviderNetwork: 'ProviderNetwork',
  ProviderTimeout: 'ProviderTimeout',
  ProviderBadResponse: 'ProviderBadResponse',
  ProviderCancelled: 'ProviderCancelled',
} as const;

export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];
