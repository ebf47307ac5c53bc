// Is a VM on the scale set's model, when Azure does not say (a Flexible VM whose latestModelApplied Azure leaves out)?
// Compared on what vmss-rollout changes: the image (reference and exact version) and each extension's settings and
// forceUpdateTag. Pure. A fact the VM does not show counts as a difference: unknown is never "on the model".

import type { ExtensionModel, ImageReference, ScaleSetModel } from "./scale-set.ts";

/** What a VM shows of its own configuration (the standalone VM API: storageProfile, extension child resources). */
export interface VmConfiguration {
  readonly imageReference?: ImageReference;
  /** undefined: the listing did not show the VM's extensions. */
  readonly extensions?: readonly ExtensionModel[];
}

/** Why a VM is not on the model (the first difference found), or undefined when it matches on every compared fact. */
export function modelDifference(model: ScaleSetModel, vm: VmConfiguration): string | undefined {
  const image = imageDifference(model.imageReference, vm.imageReference);
  if (image !== undefined) return image;
  if (model.extensions.length === 0) return undefined;
  if (vm.extensions === undefined) return "its extensions are not shown";
  for (const wanted of model.extensions) {
    const has = vm.extensions.find((ext) => sameName(ext, wanted));
    if (has === undefined) return `extension '${wanted.name}' is missing`;
    const differs = extensionDifference(wanted, has);
    if (differs !== undefined) return differs;
  }
  return undefined;
}

/**
 * The first extension a VM shows with another forceUpdateTag or other settings than `expected` holds for it, as a
 * clause (`extension 'x' has other settings`). Only what the listing shows is compared: an extension on one side only
 * (a scale-set VM may carry extensions of its own; a listing may leave some out), settings or a forceUpdateTag the
 * listing leaves out (a list has been reported to leave out an extension's properties: azure-cli#26019, of
 * `enableAutomaticUpgrade`) say nothing; unknown is never another writer's change. Assumed: where the listing shows
 * them, they are the instance's model's as Azure holds them (the scale-set VM list of
 * azure-libraries-for-java _canCreateVirtualMachineScaleSetWithCustomScriptExtension.json #27 shows the settings the
 * model was given).
 */
export function otherExtensionThan(
  expected: readonly ExtensionModel[],
  shown: readonly ExtensionModel[],
): string | undefined {
  for (const wanted of expected) {
    const has = shown.find((ext) => sameName(ext, wanted));
    if (has === undefined) continue;
    const differs = extensionDifference(wanted, {
      ...has,
      ...(has.forceUpdateTag === undefined && { forceUpdateTag: wanted.forceUpdateTag }),
      ...(has.settings === undefined && { settings: wanted.settings }),
    });
    if (differs !== undefined) return differs;
  }
  return undefined;
}

/**
 * The extensions (named as `after` or else `before` spells them) whose settings, forceUpdateTag, publisher, type or
 * presence differ between two reads of the model: what changed in them in between.
 */
export function extensionsChanged(
  before: { readonly extensions: readonly ExtensionModel[] },
  after: { readonly extensions: readonly ExtensionModel[] },
): string[] {
  const byName = (list: readonly ExtensionModel[]) => new Map(list.map((e) => [e.name.toLowerCase(), e]));
  const was = byName(before.extensions);
  const now = byName(after.extensions);
  const changed: string[] = [];
  for (const name of new Set([...was.keys(), ...now.keys()])) {
    const a = was.get(name);
    const b = now.get(name);
    // Named case-insensitively, as ARM does.
    const same = a !== undefined && b !== undefined && canonical({ ...a, name: "" }) === canonical({ ...b, name: "" });
    if (!same) changed.push((b ?? a)?.name ?? name);
  }
  return changed;
}

/** Whether `shown` holds every extension of `expected`, each with the same settings and forceUpdateTag (strictly:
 *  one left out, or shown without what `expected` has, does not). */
export function showsExtensions(
  expected: readonly ExtensionModel[],
  shown: readonly ExtensionModel[] | undefined,
): boolean {
  if (expected.length === 0) return true;
  if (shown === undefined) return false;
  return expected.every((wanted) => {
    const has = shown.find((ext) => sameName(ext, wanted));
    return has !== undefined && extensionDifference(wanted, has) === undefined;
  });
}

function sameName(a: ExtensionModel, b: ExtensionModel): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase();
}

function extensionDifference(wanted: ExtensionModel, has: ExtensionModel): string | undefined {
  if ((has.forceUpdateTag ?? "") !== (wanted.forceUpdateTag ?? ""))
    return `extension '${wanted.name}' has another forceUpdateTag`;
  if (canonical(has.settings ?? {}) !== canonical(wanted.settings ?? {}))
    return `extension '${wanted.name}' has other settings`;
  return undefined;
}

/** true when the VM runs the model's image (reference and exact version), whatever its extensions. */
export function runsModelImage(model: ScaleSetModel, imageReference: ImageReference | undefined): boolean {
  return imageDifference(model.imageReference, imageReference) === undefined;
}

/** true when the VM matches the model on every compared fact. */
export function matchesModel(model: ScaleSetModel, vm: VmConfiguration): boolean {
  return modelDifference(model, vm) === undefined;
}

function imageDifference(wanted: ImageReference, actual: ImageReference | undefined): string | undefined {
  if (actual === undefined) return "its image is not shown";
  const same = (a: string | undefined, b: string | undefined): boolean =>
    (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
  // Resource IDs (image, shared or community gallery) compare case-insensitively, as ARM does.
  for (const key of ["id", "sharedGalleryImageId", "communityGalleryImageId"] as const) {
    if (wanted[key] !== undefined || actual[key] !== undefined) {
      return same(wanted[key], actual[key]) ? undefined : `runs image ${actual[key] ?? "(another kind)"}`;
    }
  }
  for (const key of ["publisher", "offer", "sku"] as const) {
    if (!same(wanted[key], actual[key])) return `runs ${key} ${actual[key] ?? "(none)"}`;
  }
  // `latest` names no version to compare with: the VM's exact version cannot be judged. A VM whose own model is
  // `latest` too (created or upgraded under it: it shows `version: latest` with an exactVersion) is on it; one that
  // still names a version of its own is not (a change from a pinned version to `latest`), as Azure's latestModelApplied
  // says of a Uniform instance.
  if (wanted.version === undefined) return undefined;
  if (wanted.version.toLowerCase() === "latest") {
    return actual.version?.toLowerCase() === "latest"
      ? undefined
      : `runs image version ${actual.version ?? "(unknown)"}`;
  }
  // A VM whose own model still names `latest` is not on a model pinned to a version, whatever version `latest` gave
  // it: Azure's latestModelApplied says so of a Uniform instance (its profile floats, the model's does not).
  if (actual.version?.toLowerCase() === "latest") return `names image version latest, not ${wanted.version}`;
  const runs = actual.exactVersion ?? actual.version;
  return runs === wanted.version ? undefined : `runs image version ${runs ?? "(unknown)"}`;
}

/** JSON with object keys sorted: settings equal whatever the order Azure returns their keys in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
