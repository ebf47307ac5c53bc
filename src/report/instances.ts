// Instance outcomes as the report counts, names and lists them.

import { compareInstanceIds } from "../domain/ids.ts";
import {
  EXTENSION_NOT_WRITTEN,
  MODEL_CHANGED_SINCE_UPGRADE,
  UNHEALTHY_MODEL_CHANGED_SINCE,
  UNHEALTHY_SENT_BACK,
  HEALTH_PENDING_SENT_BACK,
} from "../domain/verdict.ts";
import {
  FAILURE_OUTCOMES,
  type FailureOutcome,
  type InstanceOutcome,
  type InstanceRecord,
  type RolloutRecord,
} from "../domain/record.ts";

/** How each outcome reads in a sentence or a table cell. */
export const OUTCOME_LABEL: Readonly<Record<InstanceOutcome, string>> = {
  updated: "updated",
  "already-current": "already current",
  failed: "failed",
  unhealthy: "unhealthy",
  straggler: "unfinished",
  "skipped-protected": "skipped (protected)",
  "skipped-own-model": "skipped (own model)",
  "not-started": "not started",
  "rolled-back": "rolled back",
  removed: "left the scale set",
  unknown: "state unknown",
};

/** What happened to an instance, and what to check: one item of "What went wrong", one annotation. */
export interface InstanceHelp {
  readonly happened: string;
  readonly check: string;
}

/** What a failure outcome means and what to check, for the summary and the annotations. */
export const FAILURE_HELP: Readonly<Record<FailureOutcome, InstanceHelp>> = {
  failed: {
    happened: "The upgrade failed.",
    check: "the error Azure reported, in the instance view in the portal.",
  },
  unhealthy: {
    happened: "Upgraded, but not healthy when `health-timeout` ended, or unhealthy again after it.",
    check:
      "the application on the instance and its health probe (Application Health extension or load balancer probe).",
  },
  straggler: {
    happened: "Still not on the latest model when the run ended; Azure may still finish it.",
    check:
      "the provisioning state in the portal, then re-run: it waits for unfinished instances and upgrades the rest.",
  },
};

/**
 * What an instance of unknown state means and what to check: sent an upgrade that no listing since shows, or listed
 * with its extensions' read refused (its error says so; an error shown may also be one it reported before).
 */
export const UNKNOWN_HELP: InstanceHelp = {
  happened:
    "The run sent it the upgrade and could not tell at its end where it stands: no listing since showed it (the last one failed, or had no time left), or Azure refused the read of its extensions.",
  check:
    "its provisioning state and image in the portal (or `az vmss list-instances`); a re-run lists it and upgrades it if it is not on the new model.",
};

/**
 * The same for an instance the run did not upgrade: on the latest model already (or created on it during the run) and
 * failed or unhealthy there (domain/verdict.ts `troubled`). A re-run does not upgrade it either.
 */
export const UNTOUCHED_HELP: Readonly<Record<"failed" | "unhealthy", InstanceHelp>> = {
  failed: {
    happened:
      "On the latest model but failed there; this run did not upgrade it (it was on that model already), and a re-run will not either.",
    check: "the error Azure reported, in the instance view in the portal; then reimage or repair the instance.",
  },
  unhealthy: {
    happened:
      "On the latest model since before this run, and reports unhealthy; this run did not upgrade it, and a re-run will not either.",
    check:
      "the application on the instance and its health probe (Application Health extension or load balancer probe); then repair or reimage the instance.",
  },
};

/**
 * The same for an unfinished instance of one of the run's batches that is idle (provisioning Succeeded) off the latest
 * model: its manualupgrade ended and left it on the model it ran, so Azure is not still at it (a review, 2026-12-07:
 * FAILURE_HELP.straggler said "Azure may still finish it").
 */
export const LEFT_BEHIND_HELP: InstanceHelp = {
  happened:
    "Its upgrade ended without bringing it onto the latest model: it is idle (provisioning Succeeded) on the model it ran before, and Azure is not still at it.",
  check:
    "its image and extensions in the portal (`az vmss get-instance-view`) and the scale set's activity log, then re-run: it upgrades the instances not on the latest model.",
};

/**
 * The same for an unfinished instance on the latest model whose health was still waited for when the run ended (a
 * timeout, cancel or stop during its gate): FAILURE_HELP.straggler's "still not on the latest model" is not it.
 */
export const HEALTH_PENDING_HELP: InstanceHelp = {
  happened:
    "On the latest model, but the run ended before it reported healthy and before its `health-timeout` was over.",
  check:
    "its health in the portal (the application and its health probe); a re-run does not upgrade it again, and reports it unhealthy if it still is.",
};

/**
 * The same for an unfinished instance that runs the model this run rolled out while another writer changed the model
 * after its upgrade (domain/verdict.ts MODEL_CHANGED_SINCE_UPGRADE): Azure is not still at it.
 */
export const MOVED_ON_HELP: InstanceHelp = {
  happened: "Upgraded to this run's model, then left behind: another writer changed the model after its upgrade.",
  check:
    "that change (the scale set's activity log names the writer) before a re-run: upgrading the instance again puts that writer's model on it.",
};

/**
 * The same for an unfinished instance Azure rolled onto the run's image while the extension part of the change was
 * never written (domain/verdict.ts EXTENSION_NOT_WRITTEN): Azure is not still at it.
 */
export const PART_ONLY_HELP: InstanceHelp = {
  happened:
    "On the new image only: Azure rolled it onto the image this run wrote, and the run's extension change was never written to the model.",
  check:
    "why the extension write failed (the run's reason), then re-run: it writes the extension change, and Azure rolls the instances onto it.",
};

/**
 * The same for an instance a rollback sent back onto the previous model, idle there and not healthy (domain/verdict.ts
 * UNHEALTHY_SENT_BACK): FAILURE_HELP.unhealthy's "Upgraded, but not healthy" would point at the new model.
 */
export const SENT_BACK_UNHEALTHY_HELP: InstanceHelp = {
  happened:
    "Sent back onto the previous model by the rollback, and reports unhealthy there: it no longer runs the new model, and is not counted back.",
  check:
    "the application on the instance and its health probe: it ran the previous model before this run, so look at the instance itself (or what its application depends on); then repair or reimage it.",
};

/** The same for one sent back whose health there was not in when the rollback ended (HEALTH_PENDING_SENT_BACK). */
export const SENT_BACK_PENDING_HELP: InstanceHelp = {
  happened:
    "Sent back onto the previous model by the rollback, which ended before its health there was in: it no longer runs the new model, and is not counted back.",
  check:
    "its health in the portal: healthy, it is back on the previous model; if it stays unhealthy, repair or reimage it.",
};

/** The same for an instance upgraded onto another writer's model (domain/verdict.ts ModelChangedByAnotherWriter). */
export const OTHER_WRITERS_HELP: InstanceHelp = {
  happened:
    "Not on this run's model: another writer changed the scale set's model during the rollout, and the instance is on " +
    "that writer's model (its error says what changed, and what is known of the instance).",
  check: "that change (the scale set's activity log names the writer) before a re-run.",
};

/**
 * Whether the instance is on, or was left behind by, another writer's model (its error says so, the action's own
 * finding): a re-run would upgrade it onto the model as it is then.
 */
export function byOtherWriter(instance: InstanceRecord): boolean {
  const code = instance.error?.code;
  return (
    code === "ModelChangedByAnotherWriter" ||
    code === MODEL_CHANGED_SINCE_UPGRADE.code ||
    code === UNHEALTHY_MODEL_CHANGED_SINCE.code
  );
}

/** Whether the run's rollback may have put another model than the run's back (failureHelp's `modelRestored`). */
export function modelMayBeRestored(record: Pick<Partial<RolloutRecord>, "rollback">): boolean {
  return record.rollback !== undefined && record.rollback.model !== "unchanged";
}

/** Whether an unfinished instance of a batch is idle off the latest model (LEFT_BEHIND_HELP). */
function leftBehind(instance: InstanceRecord): boolean {
  return (
    instance.batch !== undefined &&
    !instance.latestModelAfter &&
    instance.provisioningState?.toLowerCase() === "succeeded" &&
    instance.error === undefined
  );
}

/** Whether a failed record is of an instance the run did not upgrade (UNTOUCHED_HELP). */
export function untouched(instance: InstanceRecord): boolean {
  // On the latest model when the run planned (or created on it since): not a target. Not "in no batch": in the
  // platform's modes Azure's roll upgrades the targets, and there are no batches (a review, 2026-12-07).
  return (
    instance.latestModelBefore &&
    instance.latestModelAfter &&
    (instance.outcome === "failed" || instance.outcome === "unhealthy")
  );
}

/**
 * How a failure outcome of this instance reads (FAILURE_HELP; UNTOUCHED_HELP for one the run did not upgrade;
 * MOVED_ON_HELP for one the model moved away from after its upgrade; PART_ONLY_HELP for one on the run's image only).
 */
export function failureHelp(
  instance: InstanceRecord,
  outcome: FailureOutcome,
  /**
   * A rollback put the previous model (or part of it) back: "the latest model" in the last listing is then that one,
   * not the run's, so neither LEFT_BEHIND_HELP nor HEALTH_PENDING_HELP can be told from it (a review, 2026-12-07).
   */
  modelRestored = false,
): InstanceHelp {
  if (outcome === "straggler")
    return instance.error?.code === MODEL_CHANGED_SINCE_UPGRADE.code
      ? MOVED_ON_HELP
      : instance.error?.code === HEALTH_PENDING_SENT_BACK.code
        ? SENT_BACK_PENDING_HELP
        : instance.error?.code === EXTENSION_NOT_WRITTEN.code
          ? PART_ONLY_HELP
          : !modelRestored && leftBehind(instance)
            ? LEFT_BEHIND_HELP
            : !modelRestored &&
                instance.latestModelAfter &&
                instance.error === undefined &&
                instance.health !== "healthy" &&
                instance.provisioningState?.toLowerCase() === "succeeded"
              ? HEALTH_PENDING_HELP
              : FAILURE_HELP.straggler;
  if (outcome === "failed" && instance.error?.code === "ModelChangedByAnotherWriter") return OTHER_WRITERS_HELP;
  if (outcome === "unhealthy" && instance.error?.code === UNHEALTHY_SENT_BACK.code) return SENT_BACK_UNHEALTHY_HELP;
  return untouched(instance) ? UNTOUCHED_HELP[outcome] : FAILURE_HELP[outcome];
}

/** Outcomes that count as a failure of the instance (the `failed-instances` output). */
export const FAILED_OUTCOMES: ReadonlySet<InstanceOutcome> = new Set(FAILURE_OUTCOMES);

export interface OutcomeCounts {
  readonly total: number;
  /**
   * Every instance but the ones protected from scale-set actions, the Flexible VMs with a model of their own and the
   * ones that left the scale set during the run:
   * the instances the run is answerable for.
   */
  readonly targeted: number;
  /** updated + already-current */
  readonly onNewModel: number;
  readonly byOutcome: Readonly<Record<InstanceOutcome, number>>;
}

export function countOutcomes(instances: readonly InstanceRecord[]): OutcomeCounts {
  const byOutcome: Record<InstanceOutcome, number> = {
    updated: 0,
    "already-current": 0,
    failed: 0,
    unhealthy: 0,
    straggler: 0,
    "skipped-protected": 0,
    "skipped-own-model": 0,
    "not-started": 0,
    "rolled-back": 0,
    removed: 0,
    unknown: 0,
  };
  for (const instance of instances) byOutcome[instance.outcome]++;
  return {
    total: instances.length,
    targeted: instances.length - byOutcome["skipped-protected"] - byOutcome["skipped-own-model"] - byOutcome.removed,
    onNewModel: byOutcome.updated + byOutcome["already-current"],
    byOutcome,
  };
}

export function sortById<T extends { readonly instanceId: string }>(items: readonly T[]): T[] {
  return [...items].sort((x, y) => compareInstanceIds(x.instanceId, y.instanceId));
}

/** Sorted IDs of the instances whose outcome is one of `outcomes`. */
export function idsWithOutcome(instances: readonly InstanceRecord[], outcomes: ReadonlySet<InstanceOutcome>): string[] {
  return sortById(instances.filter((i) => outcomes.has(i.outcome))).map((i) => i.instanceId);
}

/** `1 instance`, `3 instances`, `2 batches`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
