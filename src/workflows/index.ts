// The workflow bundle's entry point: every workflow type the worker serves, by its public type name, with its
// versioning behaviour (README "Upgrading cvmflow"): lifecycles and day-2 actions are short and PINNED (they
// finish on the build that started them); teardowns wait for months and fleet runs recur for years, so they
// AUTO_UPGRADE to the current build and every change to their code goes behind patched().
import { pingCvmflow } from './ping';
import { provisionPhalaCvm } from './provision-phala-cvm';
import { createAttestedPrismCvm } from './create-attested-prism-cvm';
import { createCudoVm } from './create-cudo-vm';
import { teardownCvm } from './teardown-cvm';
import { operateCvm } from './operate-cvm';
import { reconcileFleet } from './reconcile-fleet';
import { collectCvmStatistics } from './collect-cvm-statistics';
import { reattestCvms } from './reattest-cvms';
import { versioningBehavior } from './support/versioning';

for (const wf of [pingCvmflow, provisionPhalaCvm, createAttestedPrismCvm, createCudoVm, operateCvm]) versioningBehavior('PINNED', wf);
for (const wf of [teardownCvm, reconcileFleet, collectCvmStatistics, reattestCvms]) versioningBehavior('AUTO_UPGRADE', wf);

export { pingCvmflow, provisionPhalaCvm, createAttestedPrismCvm, createCudoVm, teardownCvm, operateCvm, reconcileFleet, collectCvmStatistics, reattestCvms };
