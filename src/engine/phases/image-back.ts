// The image version a rollback would put back: looked up in the platform image catalog before the first write (by
// the survey, beside the new version's lookup) and again when another writer's change moved the model it is planned
// on (by the model update).

import { errorLine, isAbort } from "../../domain/error-text.ts";
import type { ModelChange } from "../../domain/change.ts";
import type { PlatformImageLookup, PlatformImageVersion, ScaleSetModel } from "../../domain/scale-set.ts";
import type { ScaleSetApi } from "../ports.ts";
import type { Run } from "../run.ts";

/**
 * The platform image version a rollback would put back, from the same catalog: one its publisher deprecated (or
 * whose scheduled date has passed), or one the region no longer offers, Azure would refuse (ImageVersionDeprecated,
 * PlatformImageNotFound), by rollback-on-failure or by a later `rollback: true`. The change is then planned without a
 * way back (RunState.imageBackRefused; with rollback-on-failure the warning before the write says so), rather than met
 * by a refused rollback, and the record and summary offer none. With rollback-on-failure, one scheduled for
 * deprecation within the run's time is a warning. A lookup that fails leaves it to the rollback. Not for a
 * `rollback: true` run, whose own way back is never offered as a rollback (checkImageVersion checks what it writes).
 */
export async function checkImageBack(
  run: Run,
  api: ScaleSetApi,
  model: ScaleSetModel,
  change: ModelChange,
  early?: ImageBackLookup,
): Promise<void> {
  const image = imageBackOf(run, api, model, change);
  if (image === undefined) return;
  const { location, publisher, offer, sku, version } = image;
  const urn = `${publisher}:${offer}:${sku}:${version}`;
  const answer = await (early?.key === imageKey(image) ? early : startLookup(run, api, image)).answer;
  if ("error" in answer) {
    if (isAbort(answer.error)) throw answer.error;
    run.log.info(`Could not check that a rollback could put back ${urn} in ${location} (${errorLine(answer.error)}).`);
    return;
  }
  const lookup = answer.lookup;
  const deprecation = lookup.found ? lookup.deprecation : undefined;
  const at = deprecation?.at;
  const why =
    deprecation !== undefined && (deprecation.state === "Deprecated" || (at !== undefined && at <= run.now()))
      ? `the image version before, '${urn}', is deprecated by its publisher, and Azure deploys no instance from it (ImageVersionDeprecated)`
      : !lookup.found && lookup.newest.length > 0
        ? `the image version before, '${urn}', is no longer offered in ${location}`
        : undefined;
  const onFailure = run.config.rollout.rollbackOnFailure;
  if (why === undefined) {
    if (!onFailure || at === undefined || at > run.deadline + run.config.rollout.healthTimeoutMs) return;
    const message = `The image version a rollback-on-failure would put back, '${urn}', is scheduled for deprecation on ${new Date(at).toISOString()}, within this run's time: a rollback after then would be refused (ImageVersionDeprecated).`;
    if (run.state.firstWarning("rollback-on-failure may not act", message))
      run.log.warning(message, "rollback-on-failure may not act");
    return;
  }
  // The change planned from now on has no way back (with rollback-on-failure, optionWarnings says so before the write).
  run.state.imageBackBlocked(version, why);
  if (!onFailure) run.log.info(`This change has no way back: ${why}.`);
}

/** The catalog's answer about the version a rollback would put back, started before it is needed. */
export interface ImageBackLookup {
  /** The image looked up (imageKey). */
  readonly key: string;
  /** Never rejects: a failed lookup is its error. */
  readonly answer: Promise<{ readonly lookup: PlatformImageLookup } | { readonly error: unknown }>;
}

/** The platform image version a rollback of `change` would put back, when there is one to look up (checkImageBack). */
function imageBackOf(
  run: Run,
  api: ScaleSetApi,
  model: ScaleSetModel,
  change: ModelChange,
): PlatformImageVersion | undefined {
  const version = change.rollback.scaleSetPatch?.imageReference?.version;
  const { publisher, offer, sku } = model.imageReference;
  const { location } = model;
  if (run.config.rollback || api.findPlatformImage === undefined) return undefined;
  if (version === undefined || version.toLowerCase() === "latest") return undefined;
  if (publisher === undefined || offer === undefined || sku === undefined || location === undefined) return undefined;
  return { location, publisher, offer, sku, version };
}

function imageKey(image: PlatformImageVersion): string {
  return [image.location, image.publisher, image.offer, image.sku, image.version].join("\n").toLowerCase();
}

/** Starts the lookup checkImageBack reads; undefined when there is nothing to look up. */
export function lookUpImageBack(
  run: Run,
  api: ScaleSetApi,
  model: ScaleSetModel,
  change: ModelChange,
): ImageBackLookup | undefined {
  const image = imageBackOf(run, api, model, change);
  return image === undefined ? undefined : startLookup(run, api, image);
}

function startLookup(run: Run, api: ScaleSetApi, image: PlatformImageVersion): ImageBackLookup {
  const find = api.findPlatformImage?.bind(api) ?? (() => Promise.reject(new Error("no image catalog")));
  return {
    key: imageKey(image),
    answer: find(image, run.work).then(
      (lookup) => ({ lookup }),
      (error: unknown) => ({ error }),
    ),
  };
}
