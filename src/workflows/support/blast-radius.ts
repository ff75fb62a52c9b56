// The blast-radius limit of a fleet run: every destructive action asks the budget first. When the budget is
// spent the run acts no further; at its end `enforce` fails it loudly with what it did and what it left.
import { ApplicationFailure, log } from '@temporalio/workflow';
import { blastRadiusAllowance, type BlastRadius } from '../../contract/fleet';
import { FailureTypes } from '../../contract/failures';

export class ActionBudget {
  readonly allowed: number;
  private used = 0;
  /** CVMs an action was due for but refused by the limit. */
  readonly refused: string[] = [];

  constructor(
    private readonly what: string,
    limit: BlastRadius,
    readonly fleetSize: number,
    /** What earlier runs of the same sweep (before a continue-as-new) already used and refused. */
    carried?: { taken: number; refused: readonly string[] },
  ) {
    this.allowed = blastRadiusAllowance(limit, fleetSize);
    this.used = carried?.taken ?? 0;
    this.refused.push(...(carried?.refused ?? []));
  }

  /** Whether one more action on `cvm` is within the limit (and counts it when it is). */
  take(cvm: string): boolean {
    if (this.used < this.allowed) {
      this.used++;
      return true;
    }
    this.refused.push(cvm);
    log.error('blast-radius limit reached: action refused', { what: this.what, cvm, allowed: this.allowed, fleetSize: this.fleetSize });
    return false;
  }

  get taken(): number {
    return this.used;
  }

  /** Fails the run (with `report` as the failure's details) when any action was refused. */
  enforce(report: unknown): void {
    if (this.refused.length === 0) return;
    throw ApplicationFailure.create({
      type: FailureTypes.BlastRadiusExceeded,
      nonRetryable: true,
      message:
        `${this.what}: blast-radius limit reached: ${this.used} of ${this.fleetSize} CVMs acted on (limit ${this.allowed}); ` +
        `${this.refused.length} more were due and left untouched (${this.refused.slice(0, 10).join(', ')}${this.refused.length > 10 ? ', …' : ''}). ` +
        'Check why so many CVMs qualified before raising blastRadius in the input.',
      details: [report],
    });
  }
}
