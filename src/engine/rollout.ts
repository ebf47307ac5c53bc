// The rollout engine: reads the scale set, writes the model change, brings every instance onto it (in health-gated
// batches, or by following the platform), proves it, and returns a RolloutRecord. It never throws for Azure or
// rollout failures: every outcome, a refusal before any write included, is a record with a result and a reason.
//
//   Plan          read the scale set, refuse what Azure would refuse, wait for a model update or rolling upgrade
//                 already running, compute the change (a dry run, or a run with nothing to write, lists and plans here)
//   Model update  PATCH with If-Match (412 → re-read, rebuild, retry), wait for it
//   Batch plan    one listing: the batches (instance operations already running are waited for first)
//   Batch i/n     manualupgrade, then poll (one list call per poll) until each instance is on the new model and
//                 healthy, judging every instance upgraded so far
//   or Platform   Automatic/Rolling: the platform rolls; poll until it is done, Faulted, or the time is spent
//   Verification  the last poll's listing (or one more, when an operation started since): every targeted instance
//   Rollback      on failure, when asked: previous model back, upgraded instances back onto it
//
// Time: `timeout` covers everything but a rollback. The rollout itself stops a little before it (listingReserve), so
// that the final listing fits in; a rollback then gets at most health-timeout more (never past timeout +
// health-timeout). The API is told each deadline, so no Retry-After wait runs past it.
//
// Reads: operation status is polled often (cheap); the instance list (HighCostGetVMScaleSet, one token a page) only
// when an operation has ended or a poll interval has passed (the adapter waits for its throttling bucket rather than
// run into a 429).
//
// Where it lives: this file drives the phases in order; each phase is a module of phases/ (survey, model-update,
// manual-batches, platform, verify, rollback) working on one Run (run.ts: what is fixed for the run, and the helpers)
// whose state (state.ts) changes only through named transitions. A phase that talks to Azure is handed the
// ScaleSetApi port; the phases after planning are handed the planned change. The record is a pure function of the
// run's state (record.ts); observers get typed events (events.ts) through RolloutDeps.events.

import { isNoOp } from "../domain/change.ts";
import { buildRecord, failureReason } from "./record.ts";
import { Run, StopError } from "./run.ts";
import { upgradeInBatches } from "./phases/manual-batches.ts";
import { updateModel } from "./phases/model-update.ts";
import { planOnListing, planRun } from "./phases/survey.ts";
import { rollOnPlatform } from "./phases/platform.ts";
import { rollBack, shouldRollBack } from "./phases/rollback.ts";
import { verify } from "./phases/verify.ts";
import type { Config } from "../config/types.ts";
import type { RolloutDeps, ScaleSetApi } from "./ports.ts";
import type { RolloutRecord } from "../domain/record.ts";

export function runRollout(config: Config, api: ScaleSetApi, deps: RolloutDeps): Promise<RolloutRecord> {
  return rollOut(new Run(config, api, deps), api);
}

/** The phases in order; a stop (StopError, or any error) ends them, and verification, rollback and the record follow. */
async function rollOut(run: Run, api: ScaleSetApi): Promise<RolloutRecord> {
  const { state } = run;
  try {
    api.useDeadline?.(run.workDeadline);
    try {
      const change = await run.group("Plan", () => planRun(run, api));
      if (!run.config.rollout.dryRun) {
        if (state.platformRolls()) await rollOnPlatform(run, api, change);
        else {
          if (!isNoOp(change)) {
            const written = await run.group("Model update", () => updateModel(run, api, change));
            run.enter({ kind: "listing-targets" });
            await run.group("Batch plan", () => planOnListing(run, api, written, true));
          }
          await upgradeInBatches(run, api);
        }
      }
    } catch (err) {
      run.stopped(err instanceof StopError ? err.stop : run.stopFromError(err));
    }
    if (state.model !== undefined && !run.config.rollout.dryRun)
      await run.group("Verification", () => verify(run, api));
    // Said before a rollback turns the failed instances into rolled-back ones.
    const failure = failureReason(state);
    const change = state.change;
    if (failure !== undefined && change !== undefined && shouldRollBack(run))
      await run.group("Rollback", () => rollBack(run, api, change));
    return buildRecord(state, failure, run.now());
  } finally {
    run.end.abort();
  }
}
