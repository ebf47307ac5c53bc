// The model change: from the scale set as read and the requested change to the minimal patch, the before → after
// list people read, the previous values (to roll back), or a refusal stating what Azure would refuse. Pure.

import { safeUri } from "../shared/redact.ts";
import { sameJson } from "./json.ts";
import type { ChangeRequest } from "../config/types.ts";
import type { ExtensionModel, ExtensionPatch, ImageReference, ScaleSetModel, ScaleSetPatch } from "./scale-set.ts";
import type { PreviousModel, PropertyChange } from "./record.ts";

/** The writes that make the model hold the requested values, and the writes that put the old values back. */
export interface ModelChange {
  readonly ok: true;
  /** undefined when the image already holds the requested value. */
  readonly scaleSetPatch?: ScaleSetPatch;
  /** undefined when the extension already holds the requested values. */
  readonly extensionPatch?: ExtensionPatch;
  /** Display list, SAS query strings removed. Empty when the model already holds every requested value. */
  readonly changes: readonly PropertyChange[];
  readonly previousModel: PreviousModel;
  /** Patches restoring the values read. Carry full extension settings (SAS included): never log them. */
  readonly rollback: Rollback;
}

export interface Rollback {
  readonly scaleSetPatch?: ScaleSetPatch;
  readonly extensionPatch?: ExtensionPatch;
  /**
   * Why the previous model cannot be put back at all: nothing that changed has a way back (a PATCH cannot remove a
   * forceUpdateTag that did not exist, say, and nothing else changed). No rollback is attempted then. A tag that
   * stays next to restored settings or image only re-runs the extension, so that rollback goes ahead.
   */
  readonly impossible?: string;
}

export interface Refusal {
  readonly ok: false;
  /** One sentence with the current and the requested values, and what to do about it (for a refusal of the inputs). */
  readonly reason: string;
  /**
   * What of the model the request no longer fits, as a clause, with no advice about inputs: how a change another
   * writer made reads when a run's change was planned before it (driftFrom, describeDrift).
   */
  readonly fact: string;
}

export type ChangePlan = ModelChange | Refusal;

/**
 * Where a run's request comes from, for a refusal's wording: the change inputs, or (`rollback: true`) the rollout
 * record on the scale set, whose values a user did not type.
 */
export type RequestSource = "inputs" | "record";

export function planChange(model: ScaleSetModel, request: ChangeRequest, source: RequestSource = "inputs"): ChangePlan {
  if (model.withoutVmProfile === true) {
    return refuse(
      `Scale set '${model.name}' (Flexible orchestration) has no VM profile: its VMs are created and changed one by one, ` +
        `so there is no scale-set model to roll out. vmss-rollout changes the model of a scale set that has one.`,
      "the scale set has no VM profile",
    );
  }

  if (model.upgradeMode === "Unknown") {
    // Who would roll the instances (the action in Manual mode, Azure in Automatic and Rolling) is not known.
    return refuse(
      `Scale set '${model.name}' reports an upgrade mode other than Manual, Automatic or Rolling, so vmss-rollout ` +
        `cannot tell whether it or Azure would upgrade the instances; nothing was written. Check the scale set's ` +
        `upgradePolicy.mode.`,
      "its upgrade mode is one other than Manual, Automatic or Rolling",
    );
  }

  const image = planImage(model, request);
  if (!image.ok) return image;
  const extension = planExtension(model, request, source);
  if (!extension.ok) return extension;

  return {
    ok: true,
    ...(image.patch && { scaleSetPatch: image.patch }),
    ...(extension.patch && { extensionPatch: extension.patch }),
    changes: [...image.changes, ...extension.changes],
    previousModel: {
      imageReference: model.imageReference,
      ...(extension.previous && { extension: extension.previous }),
    },
    rollback: joinRollback(image, extension),
  };
}

/**
 * A change's way back from its parts': each part's previous values, and why there is none. A change with no way back:
 * an image that cannot be put back (a rollback of the rest would leave the instances on a model that is neither,
 * which rollback: true refuses too), or nothing that can (a rollback could only upgrade instances onto the new model
 * again). An extension's tag that cannot be removed, next to an image that can be put back, does not stop it.
 */
export function joinRollback(
  image: { readonly rollback?: ScaleSetPatch | undefined; readonly impossible?: string | undefined },
  extension: { readonly rollback?: ExtensionPatch | undefined; readonly impossible?: string | undefined },
): Rollback {
  const impossible = image.impossible ?? (!image.rollback && !extension.rollback ? extension.impossible : undefined);
  return {
    ...(image.rollback && { scaleSetPatch: image.rollback }),
    ...(extension.rollback && { extensionPatch: extension.rollback }),
    ...(impossible !== undefined && { impossible }),
  };
}

/**
 * Why the image before a change cannot be put back (floatingBefore, no version before, or Azure would refuse it:
 * withoutImageRollback), when the change sets the image; undefined when it can, or the image is not changed.
 */
export function imageNotRestorable(change: ModelChange): string | undefined {
  const setsImage = change.changes.some((c) => /imageReference/.test(c.property));
  return setsImage && change.rollback.scaleSetPatch === undefined ? change.rollback.impossible : undefined;
}

/**
 * `change` without its way back to the image before (`why`, a clause as Rollback.impossible's: Azure would refuse that
 * image now). No rollback is done then, as for an image that floats (planChange).
 */
export function withoutImageRollback(change: ModelChange, why: string): ModelChange {
  const { scaleSetPatch: _image, ...rest } = change.rollback;
  return { ...change, rollback: { ...rest, impossible: why } };
}

/** `true` when the plan writes nothing. */
export function isNoOp(change: ModelChange): boolean {
  return change.scaleSetPatch === undefined && change.extensionPatch === undefined;
}

/** What of a run's change the model no longer holds (driftFrom). */
export type ModelDrift =
  /** The change no longer fits the model at all: what of it, as a clause (planChange's refusal, its `fact`). */
  | { readonly kind: "refused"; readonly fact: string }
  /**
   * The image is another than the run's: it is now `image`. `beyond`: the run did not write the image (an
   * extension-only run), and it changed from what the run's write left (RunState.driftBeyondWritten).
   */
  | { readonly kind: "image"; readonly image: ImageReference; readonly beyond?: boolean }
  /**
   * The extension `name` no longer holds the run's values; `beyond`: it changed from what the run's write left, one
   * the run did not write (`true`) or the run's own in what the run did not set (`"own"`: another setting of it).
   */
  | { readonly kind: "extension"; readonly name: string; readonly beyond?: boolean | "own" };

/**
 * Whether another writer changed what a run wrote: planned again on the model as it is now, the run's `request` would
 * write something again, on the parts asked about (`image`, `extension`: both unless said). Undefined: the model holds
 * them.
 */
export function driftFrom(
  model: ScaleSetModel,
  request: ChangeRequest,
  parts: { readonly image: boolean; readonly extension: boolean } = { image: true, extension: true },
): ModelDrift | undefined {
  const plan = planChange(model, request);
  if (!plan.ok) return { kind: "refused", fact: plan.fact };
  if (parts.image && plan.scaleSetPatch !== undefined) return { kind: "image", image: model.imageReference };
  if (parts.extension && plan.extensionPatch !== undefined)
    return { kind: "extension", name: plan.extensionPatch.name };
  return undefined;
}

/**
 * Whether the model holds the `part` of `request` (its image, or its extension's values), judged on that part alone:
 * another writer's change that makes the rest of the request no longer fit (its extension removed) does not make a
 * written image "not held". For a write of unknown outcome: did it land?
 */
export function holdsPart(model: ScaleSetModel, request: ChangeRequest, part: "image" | "extension"): boolean {
  const { extension, ...image } = request;
  const only: ChangeRequest = part === "image" ? image : extension === undefined ? {} : { extension };
  return driftFrom(model, only, { image: part === "image", extension: part === "extension" }) === undefined;
}

/** How another writer's change to the model reads in a stop's reason. */
export function describeDrift(drift: ModelDrift): string {
  switch (drift.kind) {
    case "image":
      return `its image is now ${describeImage(drift.image)}${drift.beyond === true ? ", which this run did not write" : ""}`;
    case "extension":
      return drift.beyond === true
        ? `extension '${drift.name}' changed, which this run did not write`
        : drift.beyond === "own"
          ? `extension '${drift.name}' changed beyond what this run wrote to it`
          : `extension '${drift.name}' no longer holds this run's values`;
    case "refused":
      return `it no longer holds this run's values: ${drift.fact}`;
  }
}

/**
 * The image `request` sets, when an instance listed on the latest model (`image`) clearly runs another: the scale set's
 * model is no longer the one the request wrote (another writer changed it, and the instance was upgraded onto that).
 * Undefined when they agree, or when either says nothing to compare (no image in the request or in the listing).
 */
export function otherImageThan(image: ImageReference | undefined, request: ChangeRequest): string | undefined {
  if (image === undefined) return undefined;
  if (request.imageVersion !== undefined && image.version !== undefined && image.id === undefined)
    return image.version.toLowerCase() === request.imageVersion.toLowerCase() ? undefined : request.imageVersion;
  if (request.imageId !== undefined && image.id !== undefined)
    return image.id.toLowerCase() === request.imageId.toLowerCase() ? undefined : request.imageId;
  return undefined;
}

/** How an image reference reads in a message: `Canonical:UbuntuServer:18.04-LTS:latest` or the ID. */
export function describeImage(ref: ImageReference): string {
  if (ref.id) return ref.id;
  if (ref.sharedGalleryImageId) return ref.sharedGalleryImageId;
  if (ref.communityGalleryImageId) return ref.communityGalleryImageId;
  const version = ref.version === "latest" && ref.exactVersion ? `latest (${ref.exactVersion})` : ref.version;
  return [ref.publisher, ref.offer, ref.sku, version].map((part) => part ?? "?").join(":");
}

// ───────────────────────────── image ─────────────────────────────

type Part<T> =
  | {
      readonly ok: true;
      readonly patch?: T;
      readonly rollback?: T;
      readonly impossible?: string;
      readonly changes: readonly PropertyChange[];
    }
  | Refusal;

function planImage(model: ScaleSetModel, request: ChangeRequest): Part<ScaleSetPatch> {
  const current = model.imageReference;
  const kind = imageKind(current);
  const pinned = pinnedVersion(request);
  if (model.automaticOsUpgrade === true && pinned !== undefined) {
    return refuse(
      `Cannot set ${pinned.input} '${pinned.value}': scale set '${model.name}' has automatic OS image upgrades on ` +
        `(upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade), and Azure then takes only the image version ` +
        `'latest'${pinned.input === "image-id" ? ` (for image-id: the gallery image's ID without /versions/…, which stands for its latest version)` : ""}. ` +
        `Publish the new version and let automatic OS upgrades roll it out, or turn them off first.`,
      "automatic OS image upgrades are on (upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade), with which " +
        `Azure takes only the image version 'latest', not ${pinned.input === "image-id" ? "this run's image ID" : `'${pinned.value}'`}`,
    );
  }

  if (request.imageVersion !== undefined) {
    if (kind !== "platform") {
      return refuse(
        `Cannot set image-version '${request.imageVersion}': scale set '${model.name}' runs ${kindLabel(kind)} '${describeImage(current)}', ` +
          `and Azure does not allow switching the image type of a scale set.` +
          (kind === "id" ? ` Use image-id for a new image ID.` : ` ${NO_SHARED_GALLERY}`),
        `it runs ${kindLabel(kind)} '${describeImage(current)}', on which Azure takes no image version`,
      );
    }
    // `latest` in any case is the same floating version (Azure takes the value case-insensitively; assumed, as the
    // option warning that says nothing is written compares it so): no write of `Latest` → `latest`.
    const bothLatest = current.version?.toLowerCase() === "latest" && request.imageVersion.toLowerCase() === "latest";
    if (current.version === request.imageVersion || bothLatest) return unchanged();
    const back = floatingBefore(current, request);
    return {
      ok: true,
      patch: { imageReference: { version: request.imageVersion } },
      ...(back !== undefined
        ? { impossible: back }
        : current.version !== undefined
          ? { rollback: { imageReference: { version: current.version } } }
          : { impossible: `the scale set had no image version before, and a PATCH cannot remove one` }),
      changes: [
        {
          property: "storageProfile.imageReference.version",
          before: current.version ?? "(none)",
          after: request.imageVersion,
        },
      ],
    };
  }

  if (request.imageId !== undefined) {
    if (kind !== "id") {
      return refuse(
        `Cannot set image-id '${request.imageId}': scale set '${model.name}' runs ${kindLabel(kind)} '${describeImage(current)}', ` +
          `and Azure does not allow switching the image type of a scale set.` +
          (kind === "platform" ? ` Use image-version for a new platform image version.` : ` ${NO_SHARED_GALLERY}`),
        `it runs ${kindLabel(kind)} '${describeImage(current)}', on which Azure takes no image ID`,
      );
    }
    // ARM resource IDs compare case-insensitively.
    if (current.id?.toLowerCase() === request.imageId.toLowerCase()) return unchanged();
    const back = floatingBefore(current, request);
    return {
      ok: true,
      patch: { imageReference: { id: request.imageId } },
      ...(back !== undefined ? { impossible: back } : { rollback: { imageReference: { id: current.id } } }),
      changes: [
        { property: "storageProfile.imageReference.id", before: current.id ?? "(none)", after: request.imageId },
      ],
    };
  }

  return unchanged();
}

/**
 * Whether an image reference names no fixed image but the newest version, which Azure resolves each time it creates,
 * upgrades or reimages an instance: version `latest`, or a gallery image's ID without a version (or `…/versions/latest`).
 * A managed image's ID (`…/images/<name>` outside a gallery) is one image.
 */
export function floatsToLatest(ref: ImageReference): boolean {
  if (ref.id !== undefined) {
    if (!/\/providers\/Microsoft\.Compute\/galleries\//i.test(ref.id)) return false;
    const version = imageIdVersion(ref.id);
    return version === undefined || version.toLowerCase() === "latest";
  }
  return ref.version?.toLowerCase() === "latest";
}

/**
 * Why putting `current` back cannot undo a change to a fixed version: `current` floats to the newest version
 * (floatsToLatest), which Azure resolves when it upgrades an instance, so a rollback would upgrade the instances onto
 * the newest version, maybe the very one the run rolled out, and call them back. Undefined when `current` is fixed, or
 * the request floats too. Said as a clause: it follows "cannot undo this change (…)".
 */
export function floatingBefore(current: ImageReference, request: ChangeRequest): string | undefined {
  if (!floatsToLatest(current)) return undefined;
  const wanted: ImageReference =
    request.imageId !== undefined ? { id: request.imageId } : { version: request.imageVersion ?? "latest" };
  if (floatsToLatest(wanted)) return undefined;
  // Another image altogether (another gallery image, a managed image): the newest version of the one before is not
  // the run's, so putting it back does undo the change.
  const definition = (id: string): string => id.replace(/\/versions\/[^/]+$/i, "").toLowerCase();
  if (current.id !== undefined && (wanted.id === undefined || definition(current.id) !== definition(wanted.id)))
    return undefined;
  return current.id !== undefined
    ? "the model named the gallery image without a version before, its newest version, which Azure picks when it " +
        "upgrades an instance: putting it back could upgrade the instances onto this run's version again; to go back, " +
        "set image-id to the ID of the version the instances ran"
    : "the model named image version 'latest' before, which Azure resolves to the newest version when it upgrades an " +
        "instance: putting it back could upgrade the instances onto this run's version again; to go back, set " +
        "image-version to the version the instances ran";
}

/** The version an image ID names (a gallery image version's ID: `…/versions/1.2.3`), undefined for an image's. */
export function imageIdVersion(id: string): string | undefined {
  return /\/versions\/([^/]+)$/i.exec(id)?.[1];
}

/** The input that names an image version other than `latest` (a gallery image version's ID included), if one does. */
function pinnedVersion(request: ChangeRequest): { input: string; value: string } | undefined {
  const { imageVersion, imageId } = request;
  if (imageVersion !== undefined && imageVersion.toLowerCase() !== "latest")
    return { input: "image-version", value: imageVersion };
  const idVersion = imageId === undefined ? undefined : imageIdVersion(imageId);
  if (imageId !== undefined && idVersion !== undefined && idVersion.toLowerCase() !== "latest")
    return { input: "image-id", value: imageId };
  return undefined;
}

/** Why a scale set on a shared or community gallery image cannot be rolled out by image (the inputs take no such ID). */
const NO_SHARED_GALLERY =
  "vmss-rollout does not change a shared or community gallery image (neither image-version nor image-id takes one): change it with the Azure CLI or a template.";

type ImageKind = "platform" | "id" | "shared-gallery" | "community-gallery";

function imageKind(ref: ImageReference): ImageKind {
  if (ref.id) return "id";
  if (ref.sharedGalleryImageId) return "shared-gallery";
  if (ref.communityGalleryImageId) return "community-gallery";
  return "platform";
}

function kindLabel(kind: ImageKind): string {
  switch (kind) {
    case "platform":
      return "the platform image";
    case "id":
      return "the image ID";
    case "shared-gallery":
      return "the shared gallery image";
    case "community-gallery":
      return "the community gallery image";
  }
}

// ───────────────────────────── extension ─────────────────────────────

type ExtensionPart =
  | {
      readonly ok: true;
      readonly patch?: ExtensionPatch;
      readonly rollback?: ExtensionPatch;
      readonly impossible?: string;
      readonly changes: readonly PropertyChange[];
      readonly previous?: NonNullable<PreviousModel["extension"]>;
    }
  | Refusal;

function planExtension(model: ScaleSetModel, request: ChangeRequest, source: RequestSource): ExtensionPart {
  const wanted = request.extension;
  if (wanted === undefined) return unchanged();

  // Extension names are ARM child-resource names, which compare case-insensitively.
  const current = extensionOf(model, wanted.name);
  if (current === undefined) {
    const names = model.extensions.map((ext) => ext.name);
    const has = names.length > 0 ? `it has ${names.map((n) => `'${n}'`).join(", ")}` : "it has no extensions";
    return refuse(
      source === "record"
        ? `Extension '${wanted.name}', whose values the rollout record says to put back, no longer exists on scale set ` +
            `'${model.name}' (${has}); vmss-rollout changes existing extensions only, so there is nothing to roll back there.`
        : `extension-name '${wanted.name}' does not exist on scale set '${model.name}' (${has}); ` +
            `vmss-rollout changes existing extensions only: set extension-name to ` +
            (names.length > 0 ? `one of those.` : `an extension the scale set has, once it has one.`),
      `extension '${wanted.name}' is not on the scale set (${has})`,
    );
  }

  const currentUris = fileUrisOf(current);
  // fileUris asked of an extension whose kind takes none (its health, monitoring or sign-in extension named by
  // mistake): Azure takes the settings, the extension ignores them, and a run reported a success that changed nothing
  // on the VMs. One that holds fileUris already, or of a kind not in the table, is taken at its word.
  const kind = current.type;
  if (source !== "record" && wanted.fileUris !== undefined && currentUris === undefined && takesNoFileUris(current)) {
    const scripts = model.extensions
      .filter((ext) => ext !== current && !takesNoFileUris(ext))
      .map((ext) => `'${ext.name}'`);
    return refuse(
      `extension-name '${current.name}' is an extension of type ${kind ?? ""}, which takes no fileUris: written into its ` +
        `settings, they would download and run nothing. Set extension-name to the extension that runs your script ` +
        (scripts.length > 0 ? `(the scale set also has ${scripts.join(", ")})` : `(a Custom Script extension)`) +
        `, or leave extension-file-uris out.`,
      `extension '${current.name}' (${kind ?? ""}) takes no fileUris`,
    );
  }
  const changes: PropertyChange[] = [];
  let settings: Readonly<Record<string, unknown>> | undefined;
  let forceUpdateTag: string | undefined;

  if (wanted.fileUris !== undefined && !sameList(currentUris, wanted.fileUris)) {
    // Azure replaces `settings` as a unit: send every other setting unchanged next to the new fileUris.
    settings = { ...current.settings, fileUris: [...wanted.fileUris] };
    changes.push({
      property: `extensions[${current.name}].settings.fileUris`,
      before: displayUris(currentUris),
      after: displayUris(wanted.fileUris),
    });
  }
  if (wanted.forceUpdateTag !== undefined && wanted.forceUpdateTag !== current.forceUpdateTag) {
    forceUpdateTag = wanted.forceUpdateTag;
    changes.push({
      property: `extensions[${current.name}].forceUpdateTag`,
      before: current.forceUpdateTag ?? "(none)",
      after: wanted.forceUpdateTag,
    });
  }

  const previous = {
    name: current.name,
    ...(currentUris !== undefined && { fileUris: currentUris.map(safeUri) }),
    ...(current.forceUpdateTag !== undefined && { forceUpdateTag: current.forceUpdateTag }),
  };
  if (settings === undefined && forceUpdateTag === undefined) return { ok: true, changes, previous };

  // A PATCH cannot remove a tag: when there was none, only the settings are restored (the new tag stays, which only
  // re-runs the extension); when nothing but the tag changed, there is nothing to restore.
  const restoreTag = forceUpdateTag !== undefined && current.forceUpdateTag !== undefined;
  const impossible =
    settings === undefined && !restoreTag
      ? `extension '${current.name}' had no forceUpdateTag before the run, and a PATCH cannot remove one`
      : undefined;
  return {
    ok: true,
    patch: {
      name: current.name,
      ...(settings && { settings }),
      ...(forceUpdateTag !== undefined && { forceUpdateTag }),
    },
    ...((settings || restoreTag) && {
      rollback: {
        name: current.name,
        ...(settings && { settings: current.settings ?? {} }),
        ...(restoreTag && { forceUpdateTag: current.forceUpdateTag }),
      },
    }),
    ...(impossible !== undefined && { impossible }),
    changes,
    previous,
  };
}

/**
 * Extension types that take no `fileUris` in their settings: Microsoft's own health, monitoring, security, sign-in and
 * disk extensions, as their documentation gives their settings (none of them reads fileUris). Compared by type,
 * whatever the case. Assumed, not exhaustive: a type not listed (Custom Script, DSC, a publisher's own) is taken at
 * its word.
 */
const NO_FILE_URIS = new Set(
  [
    "ApplicationHealthLinux",
    "ApplicationHealthWindows",
    "AzureMonitorLinuxAgent",
    "AzureMonitorWindowsAgent",
    "MicrosoftMonitoringAgent",
    "OmsAgentForLinux",
    "DependencyAgentLinux",
    "DependencyAgentWindows",
    "KeyVaultForLinux",
    "KeyVaultForWindows",
    "AADSSHLoginForLinux",
    "AADLoginForWindows",
    "VMAccessForLinux",
    "VMAccessAgent",
    "IaaSAntimalware",
    "AzureDiskEncryption",
    "AzureDiskEncryptionForLinux",
    "NetworkWatcherAgentLinux",
    "NetworkWatcherAgentWindows",
    "GuestAttestation",
    "ConfigurationforLinux",
    "ConfigurationforWindows",
    "LinuxDiagnostic",
    "IaaSDiagnostics",
  ].map((type) => type.toLowerCase()),
);

function takesNoFileUris(ext: ExtensionModel): boolean {
  return ext.type !== undefined && NO_FILE_URIS.has(ext.type.toLowerCase());
}

/** The extension's public `settings.fileUris` as read (undefined: it has none there). */
export function fileUrisOf(ext: ExtensionModel): string[] | undefined {
  const uris = ext.settings?.["fileUris"];
  return Array.isArray(uris) ? uris.map(String) : undefined;
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((value, i) => value === b[i]);
}

function displayUris(uris: readonly string[] | undefined): string {
  if (uris === undefined || uris.length === 0) return "(none)";
  return uris.map(safeUri).join(", ");
}

// ───────────────────────────── helpers ─────────────────────────────

function refuse(reason: string, fact: string): Refusal {
  return { ok: false, reason, fact };
}

function unchanged(): { readonly ok: true; readonly changes: readonly PropertyChange[] } {
  return { ok: true, changes: [] };
}

/** The model's image is the one `patch` sets (each property it names; a gallery ID in any case, as Azure reads it). */
export function holdsImage(model: Pick<ScaleSetModel, "imageReference">, patch: ScaleSetPatch): boolean {
  const ref = model.imageReference;
  const want = patch.imageReference ?? {};
  return (
    (want.version === undefined || ref.version === want.version) &&
    (want.id === undefined || ref.id?.toLowerCase() === want.id.toLowerCase())
  );
}

/** What a rollback put back into the model: the image's previous values, the extension's (each when it put it back). */
export interface PutBack {
  readonly image?: ScaleSetPatch | undefined;
  readonly extension?: ExtensionPatch | undefined;
}

/** Why the model no longer holds what a rollback put back (`put`), in words; undefined when it does. */
export function movedFromPutBack(model: ScaleSetModel, put: PutBack): string | undefined {
  if (put.image !== undefined && !holdsImage(model, put.image))
    return `the model's image is now ${describeImage(model.imageReference)}, not the previous one the rollback put back`;
  if (put.extension !== undefined && !holdsPatch(model, put.extension))
    return `extension '${put.extension.name}' no longer holds the previous values the rollback put back`;
  return undefined;
}

/** The model's extension of that name (Azure matches extension names in any case). */
export function extensionOf(model: ScaleSetModel | undefined, name: string): ExtensionModel | undefined {
  return model?.extensions.find((e) => e.name.toLowerCase() === name.toLowerCase());
}

/** The extension of `model` holds exactly what `patch` sent. */
export function holdsPatch(model: ScaleSetModel, patch: ExtensionPatch): boolean {
  const ext = extensionOf(model, patch.name);
  return (
    ext !== undefined &&
    (patch.settings === undefined || sameJson(ext.settings, patch.settings)) &&
    (patch.forceUpdateTag === undefined || ext.forceUpdateTag === patch.forceUpdateTag)
  );
}
