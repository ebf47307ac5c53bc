// The rollout engine: reads the scale set, writes the model change, brings every instance onto it (in health-gated
// batches, or by following the platform), proves it, and returns a RolloutRecord. It never throws for Azure or
// rollout failures: every outcome, a refusal before any write included, is a record with a result and a reason.
// The phases, the time budget and the read pacing are described in docs/architecture.md ("One run, in phases").

import { isNoOp } from "../domain/change.ts";
import { isScaleSetGone } from "../domain/azure-errors.ts";
import { buildRecord, failureReason } from "./record.ts";
import { FINAL_LISTING_MS, Run, StopError } from "./run.ts";
import { RunLease } from "./lease.ts";
import { TagWriter } from "./tags.ts";
import { upgradeInBatches } from "./phases/manual-batches.ts";
import { settleUnknownWrite, updateModel } from "./phases/model-update.ts";
import { listEarly, planOnListing, planRun, type EarlyListing } from "./phases/survey.ts";
import { rollOnPlatform } from "./phases/platform.ts";
import { LEASE_CLOCK_MARGIN_MS, listAfterChangeSinceRollback, rollBack, shouldRollBack } from "./phases/rollback.ts";
import { verify } from "./phases/verify.ts";
import { recordChange, recordOutcome, recordPlanned } from "./record-tags.ts";
import type { Config } from "../config/types.ts";
import type { RolloutDeps } from "./deps.ts";
import type { ScaleSetApi } from "./ports.ts";
import type { RolloutRecord } from "../domain/record.ts";

export function runRollout(config: Config, api: ScaleSetApi, deps: RolloutDeps): Promise<RolloutRecord> {
  return rollOut(new Run(config, api, deps), api, deps.leaseToken ?? globalThis.crypto.randomUUID());
}

const NO_ROLLBACK_LEASE_LOST =
  "No rollback was done: the run lost its lease on the scale set, so it writes nothing more.";
const NO_ROLLBACK_LEASE_SPENT =
  "No rollback was done: the run's lease on the scale set could not be extended for it and has run out, so another run may take the scale set over.";

const NO_ROLLBACK_RESUMED =
  "No rollback was done: this run wrote no model (an earlier run wrote the change, and this one upgraded instances onto it), so it has no previous model of its own to put back. Run the action with rollback: true to undo the change.";

/** The phases in order; a stop (StopError, or any error) ends them, and verification, rollback and the record follow. */
async function rollOut(run: Run, api: ScaleSetApi, leaseToken: string): Promise<RolloutRecord> {
  const { state } = run;
  // The run's one writer of the scale set's tags, and its lease (taken before the first write, released at the end).
  const tags = new TagWriter(run, api);
  const lease = new RunLease(run, tags, api, leaseToken);
  try {
    api.useDeadline?.(run.workDeadline);
    await forward(run, api, tags, lease);
    if (state.deleted) return buildRecord(state, state.stop?.reason, run.now());
    // A model write cut off in flight and not read back then: one more read says whether it landed, so that the record,
    // a rollback (which puts back what landed) and the rollout record on the scale set (which a later `rollback: true`
    // reads) count what Azure took. A read that fails again leaves it unknown, and the report says so. Before the
    // verification: in Automatic and Rolling modes, a write that landed makes the platform roll every instance, and
    // the verification counts them as started.
    await settleUnknownWrite(run, api, run.cutOffReadSignal()).catch(() => undefined);
    if (state.model !== undefined && !run.config.rollout.dryRun)
      await run.group("Verification", () => verify(run, api));
    // Found deleted by verification's listing: no rollback, nothing more to write (the lease went with it).
    if (state.deleted) return buildRecord(state, state.stop?.reason, run.now());
    // Said before a rollback turns the failed instances into rolled-back ones.
    const failure = failureReason(state);
    if (failure !== undefined && (await afterFailure(run, api, tags, lease)))
      return buildRecord(state, state.stop?.reason, run.now());
    // The record on the scale set says how the run ended (also after a failure, a timeout or a cancel), in the write
    // that releases the lease: one write, so that a cancelled run's few seconds are enough for both.
    await lease.release(recordOutcome(run, buildRecord(state, failure, run.now()).result));
    // Another writer's change to the model a rollback put back, found after the instances were last listed.
    await listAfterChangeSinceRollback(run, api);
    return buildRecord(state, failure, run.now());
  } finally {
    // Whatever the ending (a failure, the timeout, a cancel, an error): the lease is removed if it is still this run's
    // (nothing more if it was released above; nothing for a scale set deleted during the run).
    await lease.release();
    run.end.abort();
  }
}

/**
 * The phases up to verification: the plan, the lease, the model write and the upgrade (in batches, or the platform's
 * roll). A stop (StopError, or any error) ends them, and is recorded on the run (the scale set found deleted too).
 */
async function forward(run: Run, api: ScaleSetApi, tags: TagWriter, lease: RunLease): Promise<void> {
  const { state } = run;
  try {
    let change = await run.group("Plan", () => planRun(run, api));
    if (!run.config.rollout.dryRun && (!isNoOp(change) || state.targets.size > 0)) {
      // Manual mode: the record of the change as planned, in progress, goes in the write that takes the lease. A run
      // cut off during the model update may write nothing after it (Azure refuses tag writes while the update runs,
      // and a cancelled run has a few seconds): the change is on record all the same, for `rollback: true`. A write
      // that never landed takes it back at the end (recordOutcome). The platform's modes write it with cover, below.
      const part = state.platformRolls() ? undefined : () => recordPlanned(run);
      // Waited for another run's lease (or after a take Azure refused with 409): plan again on what it left.
      const waitedFor = await run.group("Lease", () => lease.acquire(part));
      if (waitedFor !== undefined) change = await run.group("Plan", () => planRun(run, api, waitedFor));
    }
    if (!run.config.rollout.dryRun) {
      if (state.platformRolls()) {
        // Azure refuses writes to the scale set while it rolls: the lease must last as long as the run may (and no
        // longer: a run stopped during the roll may not be able to release it), and the record, in progress, goes
        // in the same write, since none may land until the roll is over. As long as the run may: its expiry watch
        // stops the work a margin before the expiry (expiryFor), not before the run's own timeout.
        const until = lease.expiryFor(run.deadline + run.config.rollout.healthTimeoutMs);
        const covered = await lease.cover(until, { exact: true, part: recordPlanned(run) });
        // Not extended (the tag write failed): during the roll no renewal would land, so the lease would run out
        // mid-roll and another run could take the scale set over. Nothing is written; a re-run starts clean.
        if (covered !== undefined && covered !== until)
          throw new StopError({
            kind: "failed",
            reason:
              "The scale set's lease could not be extended to last through Azure's roll (the tag write failed: see the log), so the model was not written: during the roll Azure refuses tag writes, and the lease would run out while it rolls. Nothing was changed; run the action again.",
          });
        await tags.exclusive(() => rollOnPlatform(run, api, change));
        // Written once the platform's roll is over: Azure refuses writes to the scale set while it rolls.
        await recordChange(run, api, tags);
      } else {
        if (!isNoOp(change)) {
          const planned = change;
          // The batch plan's listing is read while the model write's operation and the record's write run.
          let early: EarlyListing | undefined;
          const written = await tags.exclusive(() =>
            run.group("Model update", () => updateModel(run, api, planned, () => (early ??= listEarly(run, api)))),
          );
          await recordChange(run, api, tags);
          run.enter({ kind: "listing-targets" });
          await run.group("Batch plan", () => planOnListing(run, api, written, true, early));
        }
        await upgradeInBatches(run, api);
      }
    }
  } catch (err) {
    if (state.model !== undefined && isScaleSetGone(err)) {
      run.scaleSetGone(err);
    } else run.stopped(err instanceof StopError ? err.stop : run.stopFromError(err));
  }
}

/**
 * After a failure: the rollback, when the run should roll back (shouldRollBack), or why there is none. True when the
 * scale set was found deleted, before or during the rollback: the run ends there, with nothing more to write.
 */
async function afterFailure(run: Run, api: ScaleSetApi, tags: TagWriter, lease: RunLease): Promise<boolean> {
  const { state } = run;
  const change = state.change;
  if (change !== undefined && shouldRollBack(run)) {
    // The rollback holds the tag writer (tags.exclusive), so the lease is not renewed during it: it is made to last
    // the rollback's whole budget first, with a signal of its own (after a timeout the run's work signal is spent).
    // A write that did not land leaves the rollback only until the lease ends: past it another run may take over.
    const budget = run.config.rollout.healthTimeoutMs;
    api.useDeadline?.(Math.min(run.now() + budget, run.deadline + budget));
    let leaseUntil: number | undefined;
    try {
      leaseUntil = await lease.cover(run.deadline + budget + FINAL_LISTING_MS, {
        signal: AbortSignal.any([run.cancel, run.end.signal, AbortSignal.timeout(budget)]),
      });
    } catch (err) {
      if (!isScaleSetGone(err)) throw err;
      // Deleted before the rollback: nothing to put back, nothing more to write.
      run.scaleSetGone(err, "before the rollback");
      return true;
    }
    // The extension's write found the lease another run's: no rollback, as when it was lost before.
    if (state.leaseLost !== undefined) state.rollbackSkipped(NO_ROLLBACK_LEASE_LOST);
    // Not extended, and what is left of it is spent (the work stopped on its expiry, say): no rollback either,
    // rather than one that would start without a lease and stop at once.
    else if (leaseUntil !== undefined && leaseUntil - LEASE_CLOCK_MARGIN_MS <= run.now())
      state.rollbackSkipped(NO_ROLLBACK_LEASE_SPENT);
    else await run.group("Rollback", () => tags.exclusive(() => rollBack(run, api, change, leaseUntil)));
    // Found deleted during the rollback: nothing more to write, and nothing to say of its instances.
    if (state.deleted) return true;
  } else if (state.leaseLost !== undefined && run.config.rollout.rollbackOnFailure)
    state.rollbackSkipped(NO_ROLLBACK_LEASE_LOST);
  // Another writer set the image this run asks for just before its write, and this run wrote none: not put back.
  else if (
    run.config.rollout.rollbackOnFailure &&
    !state.modelUpdated &&
    state.modelWriteUnknown === undefined &&
    state.otherWritersImage !== undefined
  )
    state.rollbackSkipped(
      `No rollback was done: this run wrote nothing to the model (${state.otherWritersImage}), and the action does not put that writer's image back. Find out who set it (the scale set's activity log names the writer) before undoing it by hand.`,
    );
  // A re-run that found the change in the model (resumeWarning said so at the start): the summary says it too.
  else if (
    run.config.rollout.rollbackOnFailure &&
    !state.modelUpdated &&
    state.modelWriteUnknown === undefined &&
    state.started.size > 0 &&
    change !== undefined &&
    isNoOp(change)
  )
    state.rollbackSkipped(NO_ROLLBACK_RESUMED);
  return false;
}
