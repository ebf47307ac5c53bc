// Model update: the image PATCH (If-Match on the etag; 412 → re-read, rebuild, retry; 409 → retry after a pause) and
// the extension PATCH (read-compare-write, checked after the write), each started and then waited for (Manual mode)
// or followed (Automatic/Rolling, see platform.ts).
//
// The previous model (the `previous-model` output, the rollback) is what the scale set held before this run's first
// write, captured before it is sent: a 412 after a lost answer (the SDK resends a PATCH that Azure applied) shows the
// requested values in the re-read, and those are this run's, not the previous ones.
//
// Extension writes and concurrency. The extension child resource (PATCH …/extensions/{name}) has no etag and takes no
// If-Match: @azure/arm-compute 25.1.1 VirtualMachineScaleSetExtension has no `etag`, and
// VirtualMachineScaleSetExtensionsUpdateOptionalParams no `ifMatch` (only VirtualMachineScaleSets.update and
// createOrUpdate have one, api-version 2023-09-01 on). The etag-guarded alternative, a PATCH of the scale set with
// virtualMachineProfile.extensionProfile.extensions, replaces the whole array, and GET never returns protectedSettings:
// SDKs that wrote the array back lost other extensions' protected settings (Azure/azure-sdk-for-net#2716,
// Azure/azure-sdk-for-java#1475 "Fixing the issue of VMSS API losing extension protected settings on update"). So the
// action keeps the child-resource PATCH (Azure keeps protectedSettings and the other extensions) and guards it by
// reading: just before the write it reads the scale set again and compares the extension with the one it planned on
// (another writer's change → stop, nothing written); after the write it reads again and checks that the extension
// holds exactly what was sent and that the etag moved by one write only (the etag is a quoted integer bumped on each
// model change: contract notes §2.6, the recordings) — anything else means another write came in between, which the
// run stops on and names.

import { formatDuration } from "../../shared/clock.ts";
import { isPreconditionFailed, isRetryableRefusal, isScaleSetGone } from "../../domain/azure-errors.ts";
import { describeError, errorLine, isAbort } from "../../domain/error-text.ts";
import { describeRunning } from "../../domain/in-progress.ts";
import {
  describeDrift,
  describeImage,
  extensionOf,
  holdsPart,
  holdsPatch,
  imageNotRestorable,
  joinRollback,
  type ModelChange,
} from "../../domain/change.ts";
import {
  AzureApiError,
  unreadEnd,
  type ExtensionPatch,
  type OperationOutcome,
  type PendingOperation,
  type ScaleSetModel,
} from "../../domain/scale-set.ts";
import { rollbackStillApplies } from "../../domain/rollback-plan.ts";
import { extensionsChanged, sameExtension } from "../../domain/model-match.ts";
import type { ScaleSetApi } from "../ports.ts";
import { StopError, type Run } from "../run.ts";
import { checkImageBack } from "./image-back.ts";
import { landedCopy, mayHaveLanded } from "../write-copies.ts";

/** 412 PreconditionFailed retries before giving up on a scale set that keeps changing. */
const MAX_ETAG_ATTEMPTS = 3;
/** 409 Conflict on a model write (another operation holds the scale set): retries, poll-interval doubled each time. */
const MAX_CONFLICT_RETRIES = 5;
const MAX_BACKOFF_MS = 120_000;

/**
 * Manual mode: every write is waited for before the batches start. Returns the change written (see startImageWrite).
 * `lastWriteIn`: called once the last write is in the model (Azure accepted it), while its operation may still run:
 * from then on every instance that exists is stale, and every instance created is on the new model, so the instances
 * can be listed for the batch plan meanwhile (rollout.ts, EarlyListing).
 */
export async function updateModel(
  run: Run,
  api: ScaleSetApi,
  planned: ModelChange,
  lastWriteIn?: () => void,
): Promise<ModelChange> {
  run.enter({ kind: "updating-model" });
  const started = run.now();
  const image = await startImageWrite(run, api, planned);
  const imageLast = image.change.extensionPatch === undefined;
  if (image.pending !== undefined) {
    if (imageLast) lastWriteIn?.();
    await awaitWrite(run, image.pending);
  } else if (image.landedUnseen) {
    if (imageLast) lastWriteIn?.();
    await awaitWrite(run, modelSettled(run, api));
  }
  const extension = await startExtensionWrite(run, api, image.change);
  if (extension !== undefined) {
    lastWriteIn?.();
    await awaitWrite(run, extension);
  }
  if (run.state.modelUpdated) run.log.info(`Model updated in ${formatDuration(run.now() - started)}.`);
  else run.log.info("Nothing written: the model already holds the requested values.");
  return image.change;
}

/**
 * Sends the image PATCH with If-Match on the etag read; on 412 re-reads the scale set, rebuilds the change and
 * retries. Returns the change as finally planned, and the write (undefined when no image write is needed any longer).
 */
export async function startImageWrite(
  run: Run,
  api: ScaleSetApi,
  planned: ModelChange,
): Promise<{ readonly change: ModelChange; readonly pending?: PendingOperation; readonly landedUnseen?: boolean }> {
  let change = planned;
  let conflicts = 0;
  for (let attempt = 1; ; attempt++) {
    const patch = change.scaleSetPatch;
    if (patch === undefined) return { change };
    const etag = run.state.model?.etag;
    run.state.aboutToWrite(change.previousModel);
    const sendsBefore = api.writeSends?.("scale-set");
    try {
      run.log.info(`PATCH scale set ${JSON.stringify(patch)} with If-Match ${etag ?? "(none)"}.`);
      const pending = await api.startPatchScaleSet(patch, etag, run.work);
      run.wrote("image");
      return { change, pending };
    } catch (err) {
      if (isAbort(err) || run.cancel.aborted) {
        await writeCutOff(run, api, "image", sendsBefore);
        throw err;
      }
      const conflict = err instanceof AzureApiError && err.statusCode !== undefined && isRetryableRefusal(err);
      const resentCopy = landedCopy(api, "scale-set", sendsBefore);
      if (conflict && !resentCopy) {
        conflicts++;
        await pauseAfterConflict(run, err, conflicts);
        attempt--; // a 409 is not an etag race
        continue;
      }
      // No answer after the SDK's resends, or a copy sent again and then refused (a 5xx, a 429 past the deadline, a
      // 409 while the update the first copy started still runs): the first copy may have landed, its answer lost. One
      // read says; when it did, it is this run's write (below, as after a 412). A read that fails leaves the write
      // unknown: read again at the end, and the report says so.
      const unknown = !isPreconditionFailed(err) && mayHaveLanded(api, "scale-set", sendsBefore, err);
      if (!isPreconditionFailed(err) && !unknown) throw err;
      run.log.info(
        unknown
          ? `The image PATCH failed (${errorLine(err)}) after it may have reached Azure: reading the scale set to see whether it landed.`
          : `The scale set changed since it was read (412 PreconditionFailed): reading it again (attempt ${attempt + 1}).`,
      );
      let model: ScaleSetModel;
      try {
        model = await api.getScaleSet(run.work);
      } catch (readErr) {
        // A 412 that answers the SDK's resend of a copy whose answer was lost (resentCopy) leaves the first copy as
        // unknown as any lost answer: that copy may have landed (it had, in a review's test: "nothing was written").
        if (!unknown && !resentCopy) throw readErr;
        run.writeSettled();
        run.state.writeUnknown("image");
        throw unknown ? err : readErr;
      }
      run.state.read(model);
      // Judged on the image alone: a request whose extension another writer removed meanwhile still has its image in
      // the model (planned whole, it would be refused, and this run's landed write taken for another writer's).
      const holdsOurs = holdsPart(model, run.state.request, "image");
      const steps = etagSteps(etag, model.etag);
      // A copy that may have landed went out, the model does not hold it, and the etag moved more than once: this
      // run's write may have landed and another writer's replaced it. Writing again would overwrite that writer's
      // change without knowing whether it came after this run's: nothing more is written, and the write stays unknown.
      if (resentCopy && !holdsOurs && (steps === undefined || steps > 1)) {
        run.writeSettled();
        run.state.writeUnknown("image", true);
        const reason =
          `The image PATCH's answer was lost, and the SDK's resend met another write (${errorLine(err)}; etag ` +
          `${etag ?? "(none)"} → ${model.etag ?? "(none)"}): this run's write may have landed and been replaced. The ` +
          `model now holds ${describeImage(model.imageReference)}, which the action does not overwrite; nothing more ` +
          `was written. Check the scale set's activity log for the other writer, then run the action again.`;
        // Nor would a rollback, or the inputs the summary offers for one, without overwriting it.
        run.state.rollbackSkipped(
          "Nothing is put back: another writer's image replaced what this run may have written, and the action does not overwrite it.",
          true,
        );
        throw new StopError({ kind: "failed", reason });
      }
      // Not landed: a 409 is then another operation's, as when it came on the first copy (planned again below, on this
      // model, then sent after a pause); anything else stands.
      const conflictAgain = unknown && !holdsOurs;
      // A copy may have reached Azure, and the model does not hold it when read: not "never written" (modelWriteCutOff),
      // whatever follows (an error that stands, or a pause and a retry a cancel may cut short; one that lands hides it).
      if (conflictAgain) run.state.cutOffUnseen("image");
      if (conflictAgain && !conflict) throw err;
      // A rollback overwrites only the values its record says were written: another writer's are kept.
      const origin = run.state.rollbackOrigin;
      const moved = origin && rollbackStillApplies(model, origin.origin, origin.finishing);
      if (moved !== undefined) throw new StopError({ kind: "failed", reason: moved });
      const plannedOn = run.state.plannedOn;
      // A copy that may have landed went out (its answer lost): the requested image in the model may be this run's.
      // Otherwise (one copy, refused: writeSends counted none) it is another writer's, never this run's write. An
      // adapter that does not count copies leaves the old assumption: a 412 may answer a resend.
      const applied = unknown || resentCopy || api.writeSends === undefined;
      // The request no longer fits the model another writer left (the run's extension removed, say): said as what the
      // model is, not as advice about inputs that were right when the run planned. This run's image, when the model
      // holds it and it may be this run's (applied), is accounted for as its write, as below (the report says it is in
      // the model, and offers the values before it); read again once counted, so that the other writer's change is on
      // record too (otherWriter).
      const fits = run.plan(model);
      if (!fits.ok) {
        if (holdsOurs && applied) {
          run.wrote("image");
          run.state.read(model);
        }
        throw new StopError({
          kind: "failed",
          reason:
            `The scale set's model was changed by another writer while the action wrote it (${fits.fact}): ` +
            (holdsOurs
              ? applied
                ? "this run's image is in the model (its PATCH was applied, the answer lost), and nothing more was written."
                : "another writer set the image this run asks for, and this run wrote nothing."
              : conflictAgain
                ? "this run's image is not in the model (Azure may still apply a copy it received), and nothing more was written."
                : "this run's image PATCH did not land, and nothing was written.") +
            (run.config.rollback === true
              ? " Find out who changed it: rollback: true refuses while the model no longer holds what the record says; put the values back by hand (the summary lists them) if you still mean to."
              : " Find out who changed it, then run the action again: it plans on the model as it is then."),
        });
      }
      const replanned = run.planOn(model);
      if (replanned.scaleSetPatch === undefined && applied) {
        // The model holds the requested image, and a copy of the action's PATCH may have landed: its own, applied but
        // its answer lost (the SDK resent it and met the new etag), or another writer's with the same value. Either way
        // the image before it is the one planned on, and the write is this run's to account for (and to roll back).
        run.log.info(
          `The scale set already holds the requested image (etag ${etag ?? "(none)"} → ${model.etag ?? "(none)"}): ` +
            (steps === 1
              ? "the action's PATCH was applied and its answer lost."
              : "the action's PATCH was applied and its answer lost, or another writer set the same image.") +
            " The previous model is the one read before it.",
        );
        change = run.useChange(
          {
            ...replanned,
            changes: [...change.changes.filter((c) => /imageReference/.test(c.property)), ...replanned.changes],
            previousModel: { ...replanned.previousModel, imageReference: change.previousModel.imageReference },
            // The image's way back is the one planned before the write: its previous image, or none (one that floats,
            // or that Azure would refuse), which leaves no way back at all. The extension's is the plan's on this model.
            rollback: joinRollback(
              { rollback: change.rollback.scaleSetPatch, impossible: imageNotRestorable(change) },
              { rollback: replanned.rollback.extensionPatch, impossible: replanned.rollback.impossible },
            ),
          },
          model,
          // This read may hold another writer's change made between the plan and the write: not the run's to expect.
          plannedOn && { extensions: plannedOn.extensions },
        );
        run.wrote("image");
        return { change, landedUnseen: true };
      }
      if (replanned.scaleSetPatch === undefined) {
        // The model holds the requested image, and no copy of the action's PATCH that may have landed went out (the
        // adapter counted none: the one sent was refused, 412): another writer set it. Not this run's write: the run
        // goes on as one that found the image in the model does (nothing to write for it; a rollback leaves it, that
        // writer's), on the model as it is now (the previous model is that writer's, and so is what comes before an
        // extension write that follows).
        const other = `another writer set the requested image between the action's read and its write (412 PreconditionFailed; etag ${etag ?? "(none)"} → ${model.etag ?? "(none)"})`;
        run.state.imageSetByOther(other);
        run.state.previousIs(undefined);
        const changedExtensions = plannedOn === undefined ? [] : extensionsChanged(plannedOn, model);
        run.log.warning(
          `The scale set already holds the requested image: ${other}. The action wrote no image; it goes on with the ` +
            "model as it is" +
            (changedExtensions.length > 0
              ? `, in which that writer also changed ${changedExtensions.map((name) => `extension '${name}'`).join(", ")}: its upgrades take that change to the instances too.`
              : "."),
          "Another writer changed the scale set",
        );
        return { change: replanned };
      }
      // Another writer changed the scale set and this run's write did not land: the model before it is the new one, and
      // so is the image a rollback would put back, looked up as the first plan's was (checkImageBack).
      const imageBefore = (c: ModelChange): string | undefined => c.previousModel.imageReference.version;
      change =
        imageBefore(replanned) !== imageBefore(change)
          ? await checkImageBack(run, api, model, replanned).then(() => run.planOn(model))
          : replanned;
      run.state.previousIs(change.previousModel);
      // Planned again on another writer's model: its image shows in the change's "before"; a change to an extension
      // would go to the instances with this run's upgrades without a word. Said as a warning (an annotation).
      const changedExtensions = plannedOn === undefined ? [] : extensionsChanged(plannedOn, model);
      if (changedExtensions.length > 0)
        run.log.warning(
          `The scale set changed since it was read: another writer changed ` +
            `${changedExtensions.map((name) => `extension '${name}'`).join(", ")}. The action planned again on the ` +
            "model as it is now, so its upgrades take that change to the instances too.",
          "Another writer changed the scale set",
        );
      if (conflictAgain) {
        conflicts++;
        await pauseAfterConflict(run, err as AzureApiError, conflicts);
        attempt--;
        continue;
      }
      if (attempt >= MAX_ETAG_ATTEMPTS) {
        throw new StopError({
          kind: "failed",
          reason: `The scale set changed under the action ${attempt} times in a row (412 PreconditionFailed on its etag); nothing was written. Re-run when other changes have settled.`,
        });
      }
    }
  }
}

/**
 * A 409 Conflict on a model write (the image PATCH; the PATCH of extension `extension`, which may come after it): waits
 * poll-interval (doubled each time) and lets the caller send it again.
 */
async function pauseAfterConflict(run: Run, err: AzureApiError, attempts: number, extension?: string): Promise<void> {
  const delay = Math.min(MAX_BACKOFF_MS, run.config.rollout.pollIntervalMs * 2 ** (attempts - 1));
  if (attempts > MAX_CONFLICT_RETRIES || delay >= run.timeLeft()) {
    throw new StopError({
      kind: "failed",
      reason:
        `Azure refused the ${extension === undefined ? "model" : `extension '${extension}'`} write (${err.statusCode} ${describeError({ code: err.code, message: err.message })}): another operation kept the scale set busy (${attempts} attempt(s)); ` +
        // An earlier copy that got no answer may have reached Azure (RunState.modelWriteCutOff): not "nothing".
        (run.state.modelWriteCutOff === "image" ||
        (extension !== undefined && run.state.modelWriteCutOff === "extension")
          ? "an earlier copy got no answer, and the model did not hold it when read: Azure may still apply it."
          : extension !== undefined && run.state.written.image
            ? `the extension change was not written.${imageWrittenBefore(run)}`
            : "nothing was written."),
    });
  }
  run.log.info(
    `Model write refused (${describeError({ code: err.code, message: err.message })}): trying again in ${formatDuration(delay)}.`,
  );
  await run.sleep(delay, run.work);
  run.checkTime();
}

/** How many writes moved the etag from `before` to `after` (quoted integers); undefined when either is not one. */
function etagSteps(before: string | undefined, after: string | undefined): number | undefined {
  const n = (etag: string | undefined): number | undefined => {
    const match = /^"?(\d+)"?$/.exec(etag ?? "");
    return match ? Number(match[1]) : undefined;
  };
  const [a, b] = [n(before), n(after)];
  return a !== undefined && b !== undefined ? b - a : undefined;
}

/**
 * A write whose answer was lost: its operation is not known, so the scale set is read (once per poll) until it is
 * no longer busy. Rejects only on a 404 for the scale set (deleted: the run ends on it); undefined when the wait was
 * aborted (a cancel, the timeout); a read that failed
 * otherwise (a 403, a 404, Azure's 5xx after the retries) is an end that could not be read (`unread`, with its error),
 * as when an operation's status cannot be read: not a timeout, which it is not.
 */
export function modelSettled(run: Run, api: ScaleSetApi): PendingOperation {
  const done = (async (): Promise<OperationOutcome | undefined> => {
    for (;;) {
      const model = await api.getScaleSet(run.work);
      run.state.read(model);
      if (describeRunning(model, undefined, []) === undefined) return { status: "Succeeded" };
      await run.untilNextPoll(run.timeLeft());
    }
  })().catch((err: unknown): OperationOutcome | undefined => {
    if (isAbort(err) || run.work.aborted) return undefined;
    // 404 for the scale set: deleted meanwhile, not an end that could not be read. The run ends on it (rollout.ts).
    if (isScaleSetGone(err)) throw err;
    return unreadEnd(err);
  });
  return { done };
}

/**
 * The extension child resource: Azure keeps its other settings and protectedSettings. A 409 Conflict on a copy sent
 * once (another operation holds the scale set; nothing landed) is met as on the image PATCH: after a pause the
 * extension is read, compared with the one planned on and written again, up to the same limit (pauseAfterConflict).
 */
export async function startExtensionWrite(
  run: Run,
  api: ScaleSetApi,
  change: ModelChange,
): Promise<PendingOperation | undefined> {
  const patch = change.extensionPatch;
  if (patch === undefined) return undefined;
  const fields = [
    patch.settings !== undefined ? "settings.fileUris" : "",
    patch.forceUpdateTag !== undefined ? "forceUpdateTag" : "",
  ];
  // Read-compare-write (see the top of this file): the extension as planned must still be what Azure holds. Each
  // attempt compares with the extension planned on, not with a read taken after a refusal.
  const planned = run.state.model;
  const before = extensionOf(planned, patch.name);
  let conflicts = 0;
  for (;;) {
    const fresh = await api.getScaleSet(run.work);
    const now = extensionOf(fresh, patch.name);
    if (!sameExtension(before, now)) {
      throw new StopError({
        kind: "failed",
        reason:
          `The extension '${patch.name}' was changed by another writer after the action read it (etag ${planned?.etag ?? "(none)"} → ${fresh.etag ?? "(none)"}); ` +
          // A copy of this run's PATCH got no answer and is not in the model (extensionSettled): it may have landed
          // before that writer's change replaced it. Not "wrote nothing".
          (run.state.modelWriteCutOff === "extension"
            ? "a copy of the action's write got no answer and the extension does not hold it (it may have landed before that change replaced it); nothing more was written, so that change is kept."
            : "the action wrote nothing to it, so that change is kept.") +
          imageWrittenBefore(run) +
          " Re-run to apply this change on top of it.",
      });
    }
    run.state.read(fresh);
    // Another writer changed the model since the plan, outside this extension (the image, another extension): the
    // write takes no If-Match, and in Automatic and Rolling modes Azure would roll every instance onto that writer's
    // change, under this run's name. Nothing more is written. (After this run's image write, `otherWriter` judged it.)
    const moved = run.state.otherWriter ?? run.state.driftBeyondWritten(fresh);
    if (moved !== undefined && !run.state.modelUpdated) {
      throw new StopError({
        kind: "failed",
        reason:
          `The scale set's model was changed by another writer after the action read it (${describeDrift(moved)}; ` +
          `etag ${planned?.etag ?? "(none)"} → ${fresh.etag ?? "(none)"}): the action wrote nothing, so that change is ` +
          "kept. Re-run to apply this change on top of it.",
      });
    }
    if (moved !== undefined) await stopOnOtherWriter(run, api, describeDrift(moved));
    run.log.info(`PATCH extension '${patch.name}' (${fields.filter(Boolean).join(", ")}).`);
    const sendsBefore = api.writeSends?.("extension");
    let pending: PendingOperation;
    try {
      pending = await api.startPatchExtension(patch, run.work);
    } catch (err) {
      if (isAbort(err) || run.cancel.aborted) await writeCutOff(run, api, "extension", sendsBefore);
      else {
        // A copy sent once and refused (a 409) did not land: a read that fails then leaves nothing unknown.
        const maybe = mayHaveLanded(api, "extension", sendsBefore, err);
        const conflict = err instanceof AzureApiError && err.statusCode !== undefined && isRetryableRefusal(err);
        if (maybe || conflict) {
          const landed = await extensionLanded(run, api, patch, err, maybe);
          if (typeof landed === "object") return landed;
          // Refused, and no copy that may have landed went out: another operation's, as on the image PATCH.
          if (landed === "not-landed" && conflict && !maybe) {
            conflicts++;
            await pauseAfterConflict(run, err, conflicts, patch.name);
            continue;
          }
          // Refused (409) after a copy that may have landed went out, and the model read right after does not hold
          // it: judged again once the scale set is idle (extensionSettled). Landed: this run's write. As before: not
          // landed, and sent again after the 409's pause, within its limit and the run's time. (A copy with no answer
          // and no refusal, or a read that fails, stands: Azure may still apply it, modelWriteCutOff.)
          if (landed === "not-landed" && conflict && maybe) {
            const settled = await extensionSettled(run, api, patch, before);
            if (typeof settled === "object") return settled;
            if (settled === "not-landed") {
              conflicts++;
              await pauseAfterConflict(run, err, conflicts, patch.name);
              continue;
            }
            // Another writer's change is in the extension: read again at once (no pause, no conflict counted), and
            // the loop's read-compare stops on it, saying the lost copy may have landed before it. Before (a review,
            // 2026-12-07) it was paused on as a 409, and a pause refused said "nothing was written".
            if (settled === "other-writer") continue;
          }
        }
      }
      throw err;
    }
    run.wrote("extension");
    // The write is in the model as soon as Azure accepted it: checked now, in every upgrade mode.
    const sendsAfter = api.writeSends?.("extension");
    const copies = sendsBefore !== undefined && sendsAfter !== undefined ? sendsAfter - sendsBefore : undefined;
    await checkExtensionWritten(run, api, patch, fresh.etag, copies);
    return pending;
  }
}

/** What a stop before (or at) the extension write says of this run's image write before it; "" when there was none. */
function imageWrittenBefore(run: Run): string {
  if (!run.state.written.image) return "";
  return run.state.platformRolls()
    ? " The image change was written to the model before it, and Azure rolled the instances onto it."
    : " The image change was written to the model before it; no instance was upgraded onto it.";
}

/**
 * Stops before the extension's write on another writer's change to the model since this run's image write. Where the
 * platform rolled that image out, the instances are listed again first: the model moved under them, and the report
 * shows them as they are now (the last poll showed them on the latest model). A listing that fails leaves that poll's.
 */
async function stopOnOtherWriter(run: Run, api: ScaleSetApi, drift: string): Promise<never> {
  const platform = run.state.platformRolls();
  if (platform) {
    try {
      await run.list(api, run.work);
    } catch (err) {
      if (isAbort(err)) throw err;
    }
  }
  throw new StopError({
    kind: "failed",
    reason:
      `Stopped before the extension write: the scale set's model was changed by another writer after this run's image write (${drift}). ` +
      (platform
        ? "Nothing more was written: in this mode the write would have made Azure roll every instance onto that writer's model, under this run's name. The instances Azure had rolled onto this run's image are no longer on the latest model. "
        : "Nothing more was written, and no instance was upgraded. ") +
      "Find out who changed it, then run the action again: it plans on the model as it is then.",
  });
}

/**
 * A model write the run's abort (cancel, deadline) cut off while it was in flight: the request may have reached Azure
 * and been applied, its answer never read. One read of the scale set says: when the model holds what the write sent
 * (this run's request, on the part written), the write is counted as this run's (the record says the model was
 * updated, the previous model is the one captured before it, and a rollback after a timeout puts it back; the same
 * assumption as a 412 after a lost answer: another writer setting the very same values is taken for this run).
 * Either way the verification lists the instances after now. A read that fails leaves the write uncounted and says so.
 */
async function writeCutOff(
  run: Run,
  api: ScaleSetApi,
  what: "image" | "extension",
  sendsBefore: number | undefined,
): Promise<void> {
  // Cut off before any copy left (the adapter counted none): nothing reached Azure, nothing is unknown.
  if (api.writeSends !== undefined && !landedCopy(api, what === "image" ? "scale-set" : "extension", sendsBefore))
    return;
  run.writeSettled();
  run.state.writeUnknown(what);
  try {
    // Not in the model when read: Azure may still apply a request it had received. The run reads once more at its end
    // (settleUnknownWrite), and the report says what the last read showed.
    await settleUnknownWrite(run, api, run.cutOffReadSignal());
  } catch {
    run.log.warning(
      `The ${what} write was cut off while Azure had it, and the scale set could not be read again: whether the model holds it is unknown. Check the scale set's model.`,
    );
  }
}

/**
 * The extension PATCH failed with no answer (a connection lost after the SDK's resends), with 409, or with any error
 * after the SDK sent it more than once: the SDK resends a PATCH whose answer was lost, and while the first copy's
 * model update runs Azure refuses the resend with 409 (or the resend meets a 5xx, a 429). One read
 * says which: when the extension holds exactly what was sent (it did not before: the run planned a change of it), the
 * write landed and is this run's (as the image path's 412 after a lost answer); its operation is not known, so the
 * scale set is read until it is no longer busy. Otherwise "not-landed" (the model read does not hold it) or "unread" (the
 * read failed): the error stands (nothing was written), or a 409 is tried again (startExtensionWrite). The etag
 * is not checked here: how many copies Azure applied is unknown. Assumption, as for the image: another writer setting
 * the very same values in that moment is taken for this run.
 */
async function extensionLanded(
  run: Run,
  api: ScaleSetApi,
  patch: ExtensionPatch,
  err: unknown,
  mayHaveLanded: boolean,
): Promise<PendingOperation | "unread" | "not-landed" | "other-writer"> {
  let model: ScaleSetModel;
  try {
    model = await api.getScaleSet(run.work);
  } catch {
    // Whether it landed is unknown: read again at the end (settleUnknownWrite), and the report says so.
    if (mayHaveLanded) {
      run.writeSettled();
      run.state.writeUnknown("extension");
    }
    return "unread";
  }
  run.state.read(model);
  if (!holdsPatch(model, patch)) {
    // A copy may have reached Azure, and the model does not hold it when read: not "never written" (modelWriteCutOff).
    if (mayHaveLanded) run.state.cutOffUnseen("extension");
    return "not-landed";
  }
  run.log.info(
    `The extension PATCH ${err instanceof AzureApiError && err.statusCode !== undefined ? `was refused (${err.statusCode} ${err.code})` : "got no answer"}, ` +
      `but extension '${patch.name}' holds exactly what the action sent: Azure applied it (an earlier copy whose answer was lost).`,
  );
  run.wrote("extension");
  return modelSettled(run, api);
}

/**
 * A copy of the extension PATCH that may have landed (no answer) went out, the SDK's resend was refused 409, and the
 * model read right after did not hold it: which is it? Assumed of Azure (contract notes §2.6; the recordings: a PATCH's
 * 200 shows the new model with `Updating`, and a GET after it the same): a write Azure takes is in the model the moment
 * it is accepted, and its operation runs after; a 409 Conflict "…conflict with a concurrent request…" answers a write
 * while an operation holds the scale set (the first copy's, or another one's: the 409 does not say whose). So the
 * scale set is read until no operation runs on it (modelSettled, once per poll) and judged on that read: the extension
 * holds exactly what was sent → this run's write (it did not before: the run planned a change of it); the extension as
 * planned on → the copy did not land (whatever held the scale set has ended, and with it any copy Azure was taking),
 * and the caller sends it again after the 409's pause, its read-compare-write guarding against another writer as on
 * the first copy (a PATCH of the child resource takes no If-Match: see the top of this file); anything else → another
 * writer's change ("other-writer"), on which the caller's read stops at once, no pause (nothing is written over it), the copy left as unseen. "unread"
 * when a read failed (the copy stays unseen: read again at the end, settleUnknownWrite).
 */
async function extensionSettled(
  run: Run,
  api: ScaleSetApi,
  patch: ExtensionPatch,
  before: ReturnType<typeof extensionOf>,
): Promise<PendingOperation | "unread" | "not-landed" | "other-writer"> {
  run.log.info(
    `The extension PATCH may have reached Azure (a copy got no answer; its resend was refused 409), and the model does not hold it: reading the scale set until no operation runs on it.`,
  );
  const idle = await modelSettled(run, api).done;
  if (idle === undefined) throw run.interrupted(); // the wait was aborted: cancel or timeout
  const model = run.state.model;
  if (idle.unread || model === undefined) return "unread";
  if (holdsPatch(model, patch)) {
    run.log.info(
      `Extension '${patch.name}' now holds exactly what the action sent: Azure applied the copy whose answer was lost.`,
    );
    run.wrote("extension");
    return { done: Promise.resolve(idle) };
  }
  if (!sameExtension(before, extensionOf(model, patch.name))) return "other-writer";
  run.log.info(`Extension '${patch.name}' is as it was: the copy did not land.`);
  run.state.cutOffDidNotLand("extension");
  return "not-landed";
}

/**
 * After the extension write: the extension holds exactly what was sent, and the etag moved by this write alone.
 * Otherwise another write came in around it (its change may be lost, or may have replaced this one): stop and say so.
 */
async function checkExtensionWritten(
  run: Run,
  api: ScaleSetApi,
  patch: ExtensionPatch,
  etagBefore: string | undefined,
  copies: number | undefined,
): Promise<void> {
  let after: ScaleSetModel;
  try {
    after = await api.getScaleSet(run.work);
  } catch (err) {
    if (isAbort(err)) return;
    throw err;
  }
  run.state.read(after);
  const holds = holdsPatch(after, patch);
  const steps = etagSteps(etagBefore, after.etag);
  if (holds && (steps === undefined || steps === 1)) return;
  // The SDK sent the PATCH more than once (a lost answer, resent) and Azure applied each copy: the etag moved once a
  // copy, and the extension holds what was sent. That is this run's write alone (another writer's would move it more).
  if (holds && steps !== undefined && copies !== undefined && steps >= 1 && steps <= copies) {
    run.log.info(
      `The extension PATCH was sent ${copies} times (its answer lost, resent) and Azure applied each copy (etag ${etagBefore ?? "(none)"} → ${after.etag ?? "(none)"}): no other writer.`,
    );
    return;
  }
  throw new StopError({
    kind: "failed",
    reason:
      `Another write to the scale set came in while the action wrote the extension '${patch.name}' ` +
      `(etag ${etagBefore ?? "(none)"} → ${after.etag ?? "(none)"}${holds ? "" : "; the extension no longer holds what the action wrote"}): ` +
      "check the scale set's model (its activity log names the writer) before re-running; " +
      (run.state.model?.upgradeMode === "Manual"
        ? "no instance was upgraded."
        : `in ${run.state.model?.upgradeMode ?? "this"} mode Azure may already be rolling the model out to the instances.`),
  });
}

async function awaitWrite(run: Run, pending: PendingOperation): Promise<void> {
  const outcome = await pending.done;
  if (outcome === undefined) throw run.interrupted(); // the wait was aborted: cancel or timeout
  run.writeSettled();
  if (outcome.unread) {
    // Azure took the write; only reading how its operation ended failed. Not called a failed update: the model holds
    // the change, and the report lists the instances as they are.
    throw new StopError({
      kind: "failed",
      reason:
        `Azure took the model update, but how it ended could not be read${outcome.error ? ` (${describeError(outcome.error)})` : ""}: ` +
        `the scale set's model holds the change; its instances are listed as they are. Run again to finish the rollout.`,
    });
  }
  if (outcome.status !== "Succeeded") {
    throw new StopError({
      kind: "failed",
      reason: `The model update ${outcome.status.toLowerCase()}${outcome.error ? `: ${describeError(outcome.error)}` : ""}.`,
    });
  }
}

/**
 * A model write cut off in flight (RunState.modelWriteUnknown), read: when the model holds what it sent, it is this
 * run's write (the record counts it, a rollback puts it back). Right after the cut-off (writeCutOff) and, when that read
 * failed, once more before the run ends (rollout.ts). A read that fails rejects, and the write stays unknown. At the
 * end, a cut-off write the first read did not find (RunState.modelWriteCutOff) is looked for once more: Azure may have
 * applied it since.
 */
export async function settleUnknownWrite(run: Run, api: ScaleSetApi, signal: AbortSignal): Promise<void> {
  const unknown = run.state.writeUnknownSettleable ? run.state.modelWriteUnknown : undefined;
  const what = unknown ?? run.state.modelWriteCutOff;
  if (what === undefined) return;
  const model = await api.getScaleSet(signal);
  run.state.read(model);
  if (unknown !== undefined) run.state.writeUnknownSettled();
  if (holdsPart(model, run.state.request, what)) {
    run.log.info(
      `The ${what} write got no answer (cut off, or its answer lost), but the scale set's model holds it: Azure applied it.`,
    );
    run.wrote(what);
    return;
  }
  run.log.info(
    `The ${what} write got no answer (cut off, or its answer lost); the scale set's model does not hold it (Azure may still apply a request it had received).`,
  );
  // Whatever read says so (right after the write, or at the end when that read failed): not "never written".
  run.state.cutOffUnseen(what);
}
