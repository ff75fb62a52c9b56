// Compensations as data (the saga pattern): pushed as the provider creates things, unwound in reverse
// when the lifecycle fails, even if the workflow itself is being cancelled.
import { CancellationScope, log } from '@temporalio/workflow';
import { describeFailure } from './input';

interface Compensation {
  what: string;
  undo: () => Promise<void>;
}

export class Compensations {
  private readonly stack: Compensation[] = [];

  add(what: string, undo: () => Promise<void>): void {
    this.stack.push({ what, undo });
  }

  get pending(): number {
    return this.stack.length;
  }

  /** Runs every compensation (newest first) and says what happened, for the failure message. */
  async unwind(): Promise<string[]> {
    const done: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      while (this.stack.length) {
        const c = this.stack.pop()!;
        try {
          await c.undo();
          done.push(`compensated: ${c.what}`);
        } catch (err) {
          log.error('compensation failed', { what: c.what, error: describeFailure(err).message });
          done.push(`compensation FAILED: ${c.what} (${describeFailure(err).message}); clean up by hand`);
        }
      }
    });
    return done;
  }
}
