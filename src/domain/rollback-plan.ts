// A rollback run (`rollback: true`): the change request it becomes, from the rollout record on the scale set, or why
// there is none. Pure. The run then goes through the same phases as a rollout (plan, model update, batches, gates,
// verification, report); only its change request comes from here.
//
// - The request is the record's previous values (the change undone). When the record is itself a rollback's, it is
//   not undone (that would bring back what was rolled back; a re-run of a rollback job must never do that): the
//   request is its current values, which finishes an interrupted rollback and finds nothing to do after a finished one.
// - The model must still hold the values the record says its run wrote; a property that holds something else was
//   changed since by another writer, and a rollback would overwrite that change: refused, nothing written. A model
//   that holds the previous values already (a rollback-on-failure that restored it and then failed on the instances)
//   is no other writer's change: the run brings the instances onto it.
// - Refused too: no record, a damaged one, a change with no way back (notRestorable), and a change its own run
//   already rolled back (rollback-on-failure).

import { safeUri } from "../shared/redact.ts";
import type { ChangeRequest } from "../config/types.ts";
import type { ScaleSetModel } from "./scale-set.ts";
import { extensionOf } from "./change.ts";
import {
  decodeRecord,
  describeIdentity,
  displayChange,
  RECORD_TAG,
  type RecordedChange,
  type RolloutTagRecord,
} from "./rollout-tags.ts";

export type RollbackPlan =
  | {
      readonly ok: true;
      /** What the run rolls out: the values the rollback puts back. */
      readonly request: ChangeRequest;
      /** The record whose change is undone (or, with `finishing`, the rollback that is finished). */
      readonly origin: RolloutTagRecord;
      /** The record is a rollback's: the run finishes it rather than undo it. */
      readonly finishing: boolean;
      /** Changes of the record left as they are (a forceUpdateTag that had no value before), in words. */
      readonly kept: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

const BY_INPUTS =
  "To roll back anyway, run the action with the change inputs set to the values to go back to (image-version or image-id, extension-name with extension-file-uris and/or force-update-tag)";

/** The rollback of the record on `model`'s tags. */
export function planRollback(model: ScaleSetModel): RollbackPlan {
  const decoded = decodeRecord(model.tags ?? {});
  if (decoded.kind === "none") {
    return refuse(
      `rollback: true found no rollout record on scale set '${model.name}' (no ${RECORD_TAG} tag): the action records each change it makes there, ` +
        `so either it has not changed this scale set since it started to, or the tags were removed. Nothing was written. ${BY_INPUTS}.`,
    );
  }
  if (decoded.kind === "damaged") {
    return refuse(
      `rollback: true cannot use the rollout record on scale set '${model.name}': it is ${decoded.reason}. Nothing was written. ${BY_INPUTS}.`,
    );
  }
  return planRollbackOf(model, decoded.record);
}

/** The rollback of `record` on `model` (see planRollback). */
function planRollbackOf(model: ScaleSetModel, record: RolloutTagRecord): RollbackPlan {
  const who = describeIdentity(record);
  const finishing = record.rollbackOf !== undefined;
  if (!finishing && record.outcome === "rolled-back") {
    return refuse(
      `The last change recorded on scale set '${model.name}' (by ${who}) was already rolled back by that run itself (rollback-on-failure): there is nothing to undo. Nothing was written.`,
    );
  }
  // A run that did not end as it meant to (failed, cancelled, or still in progress as far as the record says) may have
  // left a part unwritten: that part still on its "before" value is not another writer's change. One that ended done
  // wrote every part, so a part back on "before" is another writer's (a review, 2026-12-06: a finished rollback's image
  // put back by hand was "finished" again over it).
  const halfDone = record.outcome !== "succeeded" && record.outcome !== "reverted";
  if (finishing) {
    // A part the rollback did not get to write (its run failed or was cut off after an earlier part) still holds its
    // "before" value (the change first undone): finished now too.
    const moved = drifted(model, record, (c) => halfDone && holds(model, c, "before"));
    if (moved !== undefined) return refuse(moved);
    return { ok: true, request: requestOf(record.changes, "after"), origin: record, finishing, kept: [] };
  }

  // A forceUpdateTag that had no value cannot be removed, but left next to restored values it only re-runs the
  // extension (as rollback-on-failure does); anything else that cannot be put back refuses the whole rollback.
  const leftAlone = (c: RecordedChange) => c.property === "force-update-tag" && c.before === undefined;
  const restorable = record.changes.filter((c) => c.notRestorable === undefined);
  const blocking = record.changes.filter(
    (c) => c.notRestorable !== undefined && !(leftAlone(c) && restorable.length > 0),
  );
  if (blocking.length > 0) {
    const why = blocking.map((c) => `${displayChange(c).property}: ${c.notRestorable ?? ""}`);
    return refuse(
      `The last change recorded on scale set '${model.name}' (by ${who}) cannot be undone from the record: ${why.join("; ")}. Nothing was written. ${BY_INPUTS}` +
        (blocking.some((c) => c.property === "extension-file-uris")
          ? " (with the SAS tokens added back to the file URIs)."
          : "."),
    );
  }
  // The model back on the previous values already (a rollback-on-failure that put the model back and then failed on
  // the instances; a person who reverted the model): nothing of another writer to overwrite, the run finishes it by
  // bringing the instances onto the model as it is.
  const alreadyBack = restorable.every((c) => holds(model, c, "before"));
  // Partly back (a rollback-on-failure that put the image back and then failed on the extension): the parts already
  // on their previous values are no other writer's change either; the rest is put back.
  const moved = alreadyBack
    ? undefined
    : drifted(model, record, (c) => halfDone && c.notRestorable === undefined && holds(model, c, "before"));
  if (moved !== undefined) return refuse(moved);
  const kept = record.changes
    .filter((c) => c.notRestorable !== undefined)
    .map((c) => `${displayChange(c).property} stays ${displayChange(c).after} (${c.notRestorable ?? ""})`);
  return { ok: true, request: requestOf(restorable, "before"), origin: record, finishing, kept };
}

/**
 * Whether `model` still allows the rollback planned from `origin` to write `request`: each recorded property holds
 * what the record's run wrote, or already what the rollback writes (its own write landed). Used when the model is
 * read again before the write (a 412): anything else is another writer's change, never to be overwritten.
 */
export function rollbackStillApplies(
  model: ScaleSetModel,
  origin: RolloutTagRecord,
  finishing: boolean,
): string | undefined {
  const side = finishing ? "after" : "before";
  const moved = origin.changes.filter(
    (c) => !holds(model, c, "after") && !(c.notRestorable === undefined && holds(model, c, side)),
  );
  if (moved.length === 0) return undefined;
  return (
    `The scale set's model changed while the rollback was about to write it: ${moved.map((c) => `${displayChange(c).property} is now ${current(model, c)}`).join("; ")}. ` +
    "Another writer changed it, and the rollback does not overwrite that change: nothing was written."
  );
}

/** Why the model no longer holds what the record's run wrote (another writer's change); undefined when it does. */
function drifted(
  model: ScaleSetModel,
  record: RolloutTagRecord,
  alsoFine: (c: RecordedChange) => boolean = () => false,
): string | undefined {
  const who = describeIdentity(record);
  const drift = record.changes.filter((c) => !holds(model, c, "after") && !alsoFine(c));
  if (drift.length > 0) {
    const what = drift.map((c) => {
      const shown = displayChange(c);
      return `${shown.property} is ${current(model, c)}, not ${shown.after}`;
    });
    return (
      `The scale set's model no longer holds what ${who} wrote: ${what.join("; ")}. Another writer changed it since, and a rollback would overwrite that change: nothing was written. ` +
      `Check the scale set's activity log for that change; to roll back anyway, run the action with the change inputs set to the values to go back to.`
    );
  }
  return undefined;
}

function requestOf(changes: readonly RecordedChange[], side: "before" | "after"): ChangeRequest {
  let request: { imageVersion?: string; imageId?: string } = {};
  let extension: { name: string; fileUris?: readonly string[]; forceUpdateTag?: string } | undefined;
  for (const c of changes) {
    const value = c[side];
    if (value === undefined) continue;
    switch (c.property) {
      case "image-version":
        request = { ...request, imageVersion: value as string };
        break;
      case "image-id":
        request = { ...request, imageId: value as string };
        break;
      case "extension-file-uris":
        extension = { ...(extension ?? { name: c.extension }), fileUris: value as readonly string[] };
        break;
      case "force-update-tag":
        extension = { ...(extension ?? { name: c.extension }), forceUpdateTag: value as string };
        break;
    }
  }
  return { ...request, ...(extension && { extension: extension }) };
}

/** Whether the model holds the change's `side` value (file URIs compared without their queries). */
function holds(model: ScaleSetModel, change: RecordedChange, side: "before" | "after"): boolean {
  const image = model.imageReference;
  switch (change.property) {
    case "image-version":
      return image.version === change[side];
    case "image-id":
      return image.id !== undefined && image.id.toLowerCase() === change[side]?.toLowerCase();
    case "extension-file-uris": {
      const uris = fileUris(model, change.extension);
      const wanted = change[side];
      return (
        uris !== undefined &&
        wanted !== undefined &&
        uris.length === wanted.length &&
        uris.every((u, i) => safeUri(u) === wanted[i])
      );
    }
    case "force-update-tag":
      return extensionOf(model, change.extension)?.forceUpdateTag === change[side];
  }
}

/** What the model holds for the change's property, in words. */
function current(model: ScaleSetModel, change: RecordedChange): string {
  switch (change.property) {
    case "image-version":
      return model.imageReference.version ?? "(none)";
    case "image-id":
      return model.imageReference.id ?? "(none)";
    case "extension-file-uris": {
      if (extensionOf(model, change.extension) === undefined) return `(no extension '${change.extension}')`;
      const uris = fileUris(model, change.extension);
      return uris === undefined || uris.length === 0 ? "(none)" : uris.map(safeUri).join(", ");
    }
    case "force-update-tag": {
      const ext = extensionOf(model, change.extension);
      return ext === undefined ? `(no extension '${change.extension}')` : (ext.forceUpdateTag ?? "(none)");
    }
  }
}

function fileUris(model: ScaleSetModel, name: string): string[] | undefined {
  const uris = extensionOf(model, name)?.settings?.["fileUris"];
  return Array.isArray(uris) ? uris.map(String) : undefined;
}

function refuse(reason: string): RollbackPlan {
  return { ok: false, reason };
}
