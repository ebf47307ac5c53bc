// Verification: the verdict on every targeted instance from the last listing, after one more read of the model (another
// writer's change the run's checks did not see) and one more listing when an operation the action started, or that
// change, may have moved instances since.

import { errorLine, isAbort } from "../../domain/error-text.ts";
import { isScaleSetGone } from "../../domain/azure-errors.ts";
import { reachedByUpgrade } from "../../domain/in-progress.ts";
import { describeTarget, instanceRecords } from "../record.ts";
import { isFailedOutcome } from "../../domain/verdict.ts";
import type { ScaleSetApi } from "../ports.ts";
import { CANCELLED_LISTING_MS, CANCELLED_WRITE_MS, FINAL_LISTING_MS, type Run } from "../run.ts";
import { notePlatformTargets } from "./common.ts";
import { formatDuration } from "../../shared/clock.ts";

/**
 * The verdict on every targeted instance from the last listing: the last poll's, or a new one when an operation the
 * action started may have moved instances since (a stop while Azure was upgrading), or when the model read first
 * (readModelOnceMore) found another writer's change, or its taking back, after that listing. The new one fits in the
 * rest of `timeout` (the rollout left a reserve for it), or at most 2 s after a cancel (Run.finalBy).
 */
export async function verify(run: Run, api: ScaleSetApi): Promise<void> {
  const { state } = run;
  // Stopped while Azure rolls the model out itself (a cancel, the timeout, a failure read on the way): the instances
  // move on between the action's polls, so the last one's listing may be a poll interval old. A roll followed to its
  // end settled every target (waitOver): no listing more on success.
  const midRoll =
    state.platformRolls() &&
    state.modelUpdated &&
    [...state.targets].some((id) => state.started.has(id) && !state.settled.has(id) && !state.removed.has(id));
  // A listing more comes after this run's last write or mid-roll whatever the model read finds: that read must then
  // come too, even when one came since the last listing (it may be older than a change the new listing shows).
  const listAgain = state.wroteAt > state.listedAt || midRoll;
  const gone = await readModelOnceMore(run, api, listAgain);
  if (gone) return;
  if (listAgain || state.movedSinceListing) {
    // After a cancel: within the final steps' budget, leaving the final tag write its part.
    const budget = run.cancel.aborted
      ? Math.min(CANCELLED_LISTING_MS, run.finalBy(0) - CANCELLED_WRITE_MS - run.now())
      : Math.min(FINAL_LISTING_MS, run.deadline - run.now());
    if (budget > 0) {
      const seq = state.mark();
      // A cancel during it (the run stopped for another reason before) ends it CANCELLED_LISTING_MS later, as one
      // before it bounds it: it went on for the whole FINAL_LISTING_MS (an audit, 2026-12-06).
      const read = await lastRead(
        run,
        api,
        budget,
        "listing the instances",
        (signal) => api.listInstances(signal),
        run.cancel.aborted ? undefined : run.afterCancel(CANCELLED_LISTING_MS),
      );
      if (read === "gone") return;
      if ("value" in read) run.listed(read.value, seq);
      else
        run.log.warning(
          `Could not list the instances one last time: ${errorLine(read.failed)}. The states shown are the last ones read.`,
        );
    } else {
      run.log.warning("No time was left to list the instances one last time: the states shown are the last ones read.");
    }
  }
  // Stopped before the platform's roll was first looked at: its targets are known from this listing.
  if (state.platformRolls() && state.modelUpdated && state.targets.size === 0 && state.listedAt > state.wroteAt) {
    notePlatformTargets(run, [...state.instances.values()]);
  }
  // A manualupgrade whose answer never came (lost, or cut off by the stop) may have reached its instances: those a
  // listing since shows on the latest model or being upgraded count as started (judged, and rolled back if asked).
  // Every target was stale after the model write, so an instance on the latest model was reached by an upgrade.
  const reached = [...state.maybeStarted].filter(
    (id) => !state.started.has(id) && !state.unseen.has(id) && reachedByUpgrade(state.instances.get(id)),
  );
  state.upgradeReached(reached);
  state.confirmNotReached();
  for (const id of state.started) run.judge(id, state.settled.has(id));
  const records = instanceRecords(state);
  const count = (outcome: string): number => records.filter((r) => r.outcome === outcome).length;
  run.log.info(
    `${records.length} instance(s): ${count("updated")} updated, ${count("already-current")} already current, ` +
      `${records.filter((r) => isFailedOutcome(r.outcome)).length} failed/unhealthy/not on the new model, ` +
      `${count("not-started")} not started, ${count("skipped-protected")} protected` +
      `${count("skipped-own-model") > 0 ? `, ${count("skipped-own-model")} with a model of their own (attached VMs)` : ""}` +
      `${count("removed") > 0 ? `, ${count("removed")} left the scale set` : ""}.`,
  );
  const sentNotBack = state.sentBackNotBack; // once, not per instance
  for (const r of records.filter((r) => isFailedOutcome(r.outcome)))
    run.log.info(`  ${r.outcome}: ${describeTarget(state, r.instanceId, sentNotBack)}`);
}

/**
 * One read of the model after the last upgrade, before the verdict: another writer's change the run's checks did not
 * see (one that landed right before the last manualupgrade, or while Azure rolled; an extension added, or a property
 * the VM list leaves out, which no instance's listing shows) makes the instances on the latest model run that
 * writer's model, not this run's. Found, it makes one listing more (after this read), on which those instances are
 * failed (RunState.otherWriterBefore, verdict.ts latestModelMoved). Only where this run upgraded instances (or Azure
 * rolls the model it wrote), on its way forward, with time left (half the final listing's reserve at most); not after
 * a cancel (its seconds are the final write's). A read that fails says nothing of the instances (the log says the
 * check was not made).
 * `listAgain`: verification lists the instances once more after it, whatever it finds. Returns true when it found the
 * scale set deleted.
 */
async function readModelOnceMore(run: Run, api: ScaleSetApi, listAgain: boolean): Promise<boolean> {
  const { state } = run;
  // Azure rolls a model this run wrote in Automatic and Rolling mode even when the run stopped before it first looked
  // at the roll (no instance started yet: verification's listing notes them).
  const upgrading =
    state.started.size > 0 || state.maybeStarted.size > 0 || (state.platformRolls() && state.modelUpdated);
  if (run.cancel.aborted || !upgrading) return false;
  // Read since the last listing went out already (beside the last batch's listing), and that listing is the one the
  // verdict reads: nothing to add. A read since an older listing (the model write's answer, after the plan's listing)
  // may come before another writer's change that the listing to come shows.
  // After a stop on an error, read all the same: whether the run did its job despite the error is judged on a read
  // sent after every write (RunState.modelReadAtEnd), not on one that may have crossed the last of them.
  if (state.modelSeenSinceListing && !listAgain && state.stop?.fromError !== true) return false;
  // Half the reserve at most: the listing after it (the one the report shows) keeps the other half.
  const budget = Math.min(FINAL_LISTING_MS, run.deadline - run.now()) / 2;
  if (budget <= 0) return false;
  // A cancel during it ends it: the listing after it keeps the final seconds (a cancel before it skips it, above).
  const read = await lastRead(run, api, budget, "reading the model", (signal) => api.getScaleSet(signal), run.cancel);
  if (read === "gone") return true;
  if ("value" in read) state.readAtEnd(read.value);
  else
    run.log.info(
      `Could not read the model one last time (${errorLine(read.failed)}): a change another writer made to it after the last check is not looked for.`,
    );
  return false;
}

/**
 * One of verification's reads, within `budget`. `gone`: a 404 for the scale set, deleted during the run; the run ends
 * on it (rollout.ts), since what the last listing showed is of a resource that no longer exists.
 */
async function lastRead<T>(
  run: Run,
  api: ScaleSetApi,
  budget: number,
  doing: string,
  read: (signal: AbortSignal) => Promise<T>,
  alsoEndOn?: AbortSignal,
): Promise<"gone" | { readonly value: T } | { readonly failed: unknown }> {
  api.useDeadline?.(run.now() + budget);
  // AbortSignal.timeout takes whole milliseconds only (ERR_OUT_OF_RANGE otherwise).
  const timer = AbortSignal.timeout(Math.floor(budget));
  try {
    const signals = [timer, run.end.signal, ...(alsoEndOn ? [alsoEndOn] : [])];
    return { value: await read(AbortSignal.any(signals)) };
  } catch (err) {
    // Cut off by its own time: said so, not in the SDK's words ("The operation was aborted. Rejecting from abort
    // signal callback while making request", a fuzz run's final listing, 2026-12-07).
    if (isAbort(err) && timer.aborted)
      return { failed: new Error(`it did not end within the ${formatDuration(budget)} left for it`) };
    if (!isScaleSetGone(err)) return { failed: err };
    run.scaleSetGone(err, `while ${doing} one last time`);
    return "gone";
  }
}
