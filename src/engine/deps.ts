// What a run is given besides its config and the scale set (main.ts and the tests build it).

import type { RolloutEvent } from "./events.ts";
import type { PreviousModel } from "../domain/record.ts";
import type { ChangeRequest } from "../config/types.ts";
import type { Logger } from "./ports.ts";

/** What a run is given besides its config and the scale set: the log, cancellation, and (for tests) time. */
export interface RolloutDeps {
  readonly logger: Logger;
  /** Aborted when the job is cancelled: no new batch starts, the record tells the true state. */
  readonly signal: AbortSignal;
  /**
   * The run's clock (default Date.now) and its waits (default a timer): what the run reads as the time (its deadlines'
   * checks, durations in the record) and how it waits between polls and batches. A test moves time on with them (a
   * pause that passes at once). The backstops under them run on real time: the timers that abort a request in flight
   * at the deadline, the final steps' budget, the lease's expiry watch (AbortSignal.timeout, setTimeout). A test clock
   * that jumps past the deadline is met by the run's checks at the next step, not by those timers; a fake clock that
   * stands still never fires them early. Kept so (2026-12-07): those timers only cut off what outlives the deadline in
   * real time, and a fake timer queue for them would have to be driven by every test that passes `now`.
   */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Sees each step of the rollout as it happens (events.ts); for tests and tools. It cannot change the run. */
  readonly events?: (event: RolloutEvent) => void;
  /**
   * Called once, as soon as Azure accepted the run's first write (the model PATCH, or the first manualupgrade when the
   * model already holds the values): not before it is sent, since Azure's answer may show it is not this run's to
   * claim (Run.#accepted). With the model it replaces, as the record's previousModel says it (undefined: none), and
   * the change it writes (the change inputs; for `rollback: true`, the values restored from the rollout record). Never
   * for a dry run, a run that writes nothing, or one whose every write went unanswered. Must not throw or block: main
   * uses it to set the GitHub deployment in_progress.
   */
  readonly onWriteStart?: (previousModel: PreviousModel | undefined, change: ChangeRequest) => void;
  /** What makes this run's lease on the scale set its own (domain/lease.ts); a random UUID unless given (tests). */
  readonly leaseToken?: string;
}
