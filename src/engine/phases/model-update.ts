// Model update: the image PATCH (If-Match on the etag; 412 → re-read, rebuild, retry) and the extension PATCH, each
// started and then waited for (Manual mode) or followed (Automatic/Rolling, see platform.ts).

import { formatDuration } from "../../shared/clock.ts";
import { isPreconditionFailed } from "../../domain/azure-errors.ts";
import { describeError } from "../../domain/error-text.ts";
import { planChange, type ModelChange } from "../../domain/change.ts";
import type { PendingOperation } from "../../domain/scale-set.ts";
import type { ScaleSetApi } from "../ports.ts";
import { StopError, type Run } from "../run.ts";

/** 412 PreconditionFailed retries before giving up on a scale set that keeps changing. */
const MAX_ETAG_ATTEMPTS = 3;

/** Manual mode: every write is waited for before the batches start. Returns the change written (see startImageWrite). */
export async function updateModel(run: Run, api: ScaleSetApi, planned: ModelChange): Promise<ModelChange> {
  run.enter({ kind: "updating-model" });
  const started = run.now();
  const image = await startImageWrite(run, api, planned);
  if (image.pending !== undefined) await awaitWrite(run, image.pending);
  const extension = await startExtensionWrite(run, api, image.change);
  if (extension !== undefined) await awaitWrite(run, extension);
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
): Promise<{ readonly change: ModelChange; readonly pending?: PendingOperation }> {
  let change = planned;
  for (let attempt = 1; ; attempt++) {
    const patch = change.scaleSetPatch;
    if (patch === undefined) return { change };
    try {
      const etag = run.state.model?.etag;
      run.log.info(`PATCH scale set ${JSON.stringify(patch)} with If-Match ${etag ?? "(none)"}.`);
      run.writeStarting();
      const pending = await api.startPatchScaleSet(patch, etag, run.work);
      run.wrote("image");
      return { change, pending };
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      if (attempt >= MAX_ETAG_ATTEMPTS) {
        throw new StopError({
          kind: "failed",
          reason: `The scale set changed under the action ${attempt} times in a row (412 PreconditionFailed on its etag); nothing was written. Re-run when other changes have settled.`,
        });
      }
      run.log.info(
        `The scale set changed since it was read (412 PreconditionFailed): reading it again (attempt ${attempt + 1}).`,
      );
      const model = await api.getScaleSet(run.work);
      run.state.read(model);
      change = run.useChange(planChange(model, run.config.change));
    }
  }
}

/** The extension child resource: Azure keeps its other settings and protectedSettings. */
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
  run.log.info(`PATCH extension '${patch.name}' (${fields.filter(Boolean).join(", ")}).`);
  run.writeStarting();
  const pending = await api.startPatchExtension(patch, run.work);
  run.wrote("extension");
  return pending;
}

async function awaitWrite(run: Run, pending: PendingOperation): Promise<void> {
  const outcome = await pending.done;
  if (outcome === undefined) throw run.interrupted(); // the wait was aborted: cancel or timeout
  if (outcome.status !== "Succeeded") {
    throw new StopError({
      kind: "failed",
      reason: `The model update ${outcome.status.toLowerCase()}${outcome.error ? `: ${describeError(outcome.error)}` : "."}`,
    });
  }
}
