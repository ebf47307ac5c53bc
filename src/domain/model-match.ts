// Is a VM on the scale set's model, when Azure does not say (a Flexible VM whose latestModelApplied Azure leaves out)?
// Has an extension changed between two reads of the model, or does an instance show another writer's? Compared on the
// image (reference and exact version) and each extension's settings, forceUpdateTag, publisher, type, handler version
// and the flags a writer may change (autoUpgradeMinorVersion, enableAutomaticUpgrade, suppressFailures,
// provisionAfterExtensions). protectedSettings are never read back (Azure keeps them to itself), so never compared.
// Pure. For a VM judged on the model, an image, settings or forceUpdateTag it does not show counts as a difference:
// unknown is never "on the model".

import { sameJson } from "./json.ts";
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
    const differs = extensionDifference(wanted, has, "on-model");
    if (differs !== undefined) return differs;
  }
  return undefined;
}

/**
 * The first extension a VM shows otherwise than `expected` holds it (another forceUpdateTag, other settings, another
 * handler version…), as a clause (`extension 'x' has other settings`). Only what the listing shows is compared: an
 * extension on one side only (a scale-set VM may carry extensions of its own; a listing may leave some out), or any
 * property the listing leaves out (a list has been reported to leave out an extension's properties: azure-cli#26019,
 * of `enableAutomaticUpgrade`) says nothing; unknown is never another writer's change. Assumed: where the listing
 * shows them, they are the instance's model's as Azure holds them (the scale-set VM list of
 * azure-libraries-for-java _canCreateVirtualMachineScaleSetWithCustomScriptExtension.json #27 shows the settings,
 * publisher, type, `typeHandlerVersion: "1.4"` and `autoUpgradeMinorVersion: true` the model was given).
 */
export function otherExtensionThan(
  expected: readonly ExtensionModel[],
  shown: readonly ExtensionModel[],
): string | undefined {
  for (const wanted of expected) {
    const has = shown.find((ext) => sameName(ext, wanted));
    if (has === undefined) continue;
    const differs = extensionDifference(wanted, has, "shown");
    if (differs !== undefined) return differs;
  }
  return undefined;
}

/**
 * The extensions (named as `after` or else `before` spells them) that differ in anything compared (settings,
 * forceUpdateTag, publisher, type, handler version, flags) or in presence between two reads of the model: what
 * changed in them in between.
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
    if (!sameExtension(a, b)) changed.push((b ?? a)?.name ?? name);
  }
  return changed;
}

/** Two reads of the model hold the same extension (or neither holds it): equal in everything compared. */
export function sameExtension(a: ExtensionModel | undefined, b: ExtensionModel | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return extensionDifference(a, b, "models") === undefined;
}

/** Whether `shown` holds every extension of `expected`, each with the same settings and forceUpdateTag (strictly:
 *  one left out, or shown without what `expected` has, does not) and nothing else it shows otherwise. */
export function showsExtensions(
  expected: readonly ExtensionModel[],
  shown: readonly ExtensionModel[] | undefined,
): boolean {
  if (expected.length === 0) return true;
  if (shown === undefined) return false;
  return expected.every((wanted) => {
    const has = shown.find((ext) => sameName(ext, wanted));
    return has !== undefined && extensionDifference(wanted, has, "on-model") === undefined;
  });
}

function sameName(a: ExtensionModel, b: ExtensionModel): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase();
}

/**
 * How `has` differs from `wanted`, as a clause, or undefined. Three ways to judge, by what `has` is:
 * - `models`: another read of the model. Everything compared, a property on one side only included.
 * - `on-model`: a VM that must be on the model (positive evidence). Settings and forceUpdateTag must be shown and
 *   equal; the other properties are compared where the VM shows them (a listing may leave them out: azure-cli#26019).
 * - `shown`: a VM that may show another writer's change (negative evidence): only what it shows is compared.
 * Handler versions of a VM compare on major.minor (what a writer sets; `autoUpgradeMinorVersion` concerns the
 * handler the guest runs, reported in the instance view, not here: assumed, the recording above shows the model's
 * "1.4"); flags left out are false; provisionAfterExtensions compare as a set of names, case-insensitively.
 */
function extensionDifference(
  wanted: ExtensionModel,
  has: ExtensionModel,
  judge: "models" | "on-model" | "shown",
): string | undefined {
  for (const [key, fact] of Object.entries(EXTENSION_FACTS) as [keyof typeof EXTENSION_FACTS, ExtensionFact][]) {
    const strict = judge === "models" || (judge === "on-model" && fact.mustShow);
    if (!strict && has[key] === undefined) continue;
    if (!sameJson(fact.key(wanted, judge), fact.key(has, judge)))
      return `extension '${wanted.name}' has ${fact.differs}`;
  }
  return undefined;
}

interface ExtensionFact {
  /** What a VM on the model must show (positive evidence): only settings and forceUpdateTag. */
  readonly mustShow: boolean;
  /** The value as compared (JSON, sameJson): equal keys, equal facts. */
  readonly key: (ext: ExtensionModel, judge: "models" | "on-model" | "shown") => unknown;
  readonly differs: string;
}

const text = (v: string | undefined): string => (v ?? "").toLowerCase();
const flag = (name: "autoUpgradeMinorVersion" | "enableAutomaticUpgrade" | "suppressFailures"): ExtensionFact => ({
  mustShow: false,
  key: (ext) => ext[name] ?? false,
  differs: `another ${name}`,
});

/**
 * Every property of ExtensionModel but its name, and how it is compared, in the order differences are named. A
 * property added to ExtensionModel does not compile until it is given a line here.
 */
const EXTENSION_FACTS: { readonly [K in Exclude<keyof ExtensionModel, "name">]-?: ExtensionFact } = {
  forceUpdateTag: { mustShow: true, key: (ext) => ext.forceUpdateTag ?? "", differs: "another forceUpdateTag" },
  settings: { mustShow: true, key: (ext) => ext.settings ?? {}, differs: "other settings" },
  publisher: { mustShow: false, key: (ext) => text(ext.publisher), differs: "another publisher" },
  type: { mustShow: false, key: (ext) => text(ext.type), differs: "another type" },
  typeHandlerVersion: {
    mustShow: false,
    key: (ext, judge) => handlerVersion(ext.typeHandlerVersion, judge === "models"),
    differs: "another typeHandlerVersion",
  },
  autoUpgradeMinorVersion: flag("autoUpgradeMinorVersion"),
  enableAutomaticUpgrade: flag("enableAutomaticUpgrade"),
  suppressFailures: flag("suppressFailures"),
  provisionAfterExtensions: {
    mustShow: false,
    key: (ext) => [...new Set((ext.provisionAfterExtensions ?? []).map((n) => n.toLowerCase()))].sort(),
    differs: "another provisionAfterExtensions",
  },
};

/** A handler version as compared: whole between two reads of the model, else its major.minor ("1.4" of "1.4.0"). */
function handlerVersion(version: string | undefined, whole: boolean): string {
  const v = (version ?? "").trim().toLowerCase();
  return whole ? v : v.split(".").slice(0, 2).join(".");
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
