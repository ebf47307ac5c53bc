// SDK shapes ↔ domain types (pure: no I/O; SDK types only). The requests' bodies from the domain's patches, and the
// SDK's models as ScaleSetModel, InstanceState, RollingUpgradeStatus.

import type {
  InstanceViewStatus,
  RollingUpgradeStatusInfo,
  VirtualMachineExtension,
  VirtualMachineScaleSet,
  VirtualMachineScaleSetExtension,
  VirtualMachineScaleSetExtensionUpdate,
  VirtualMachineScaleSetUpdate,
  VirtualMachineScaleSetVM,
} from "@azure/arm-compute";
import type {
  ExtensionModel,
  ExtensionPatch,
  HealthState,
  ImageReference,
  InstanceError,
  InstanceState,
  RollingStatusCode,
  RollingUpgradeStatus,
  ScaleSetModel,
  ScaleSetPatch,
  UpgradeMode,
} from "../domain/scale-set.ts";

// ───────────────────────────── domain → SDK ─────────────────────────────

/** The PATCH body of the scale set: only the image reference changes. */
export function scaleSetUpdateBody(patch: ScaleSetPatch): VirtualMachineScaleSetUpdate {
  return { virtualMachineProfile: { storageProfile: { imageReference: patch.imageReference } } };
}

/** The PATCH body of the extension child resource: Azure keeps what it omits (other properties, protectedSettings). */
export function extensionUpdateBody(patch: ExtensionPatch): VirtualMachineScaleSetExtensionUpdate {
  return {
    ...(patch.settings !== undefined && { settings: patch.settings }),
    ...(patch.forceUpdateTag !== undefined && { forceUpdateTag: patch.forceUpdateTag }),
  };
}

// ───────────────────────────── SDK → domain ─────────────────────────────

/** Publisher/type of the Application Health extension, whose instances report vmHealth. */
const HEALTH_EXTENSION_PUBLISHER = "microsoft.managedservices";
const HEALTH_EXTENSION_TYPES = new Set(["applicationhealthlinux", "applicationhealthwindows"]);

export function toScaleSetModel(vmss: VirtualMachineScaleSet): ScaleSetModel {
  const profile = vmss.virtualMachineProfile;
  const extensions = (profile?.extensionProfile?.extensions ?? []).map(toExtensionModel);
  const hasHealthExtension = extensions.some(
    (ext) =>
      ext.publisher?.toLowerCase() === HEALTH_EXTENSION_PUBLISHER &&
      HEALTH_EXTENSION_TYPES.has(ext.type?.toLowerCase() ?? ""),
  );
  return {
    id: vmss.id ?? "",
    name: vmss.name ?? "",
    ...(vmss.location !== undefined && { location: vmss.location }),
    ...(vmss.extendedLocation?.name !== undefined && { extendedLocation: vmss.extendedLocation.name }),
    ...(vmss.etag !== undefined && { etag: vmss.etag }),
    // Scale sets created before orchestration modes existed omit the property: they are Uniform.
    orchestrationMode: vmss.orchestrationMode === "Flexible" ? "Flexible" : "Uniform",
    upgradeMode: toUpgradeMode(vmss.upgradePolicy?.mode),
    ...(vmss.provisioningState !== undefined && { provisioningState: vmss.provisioningState }),
    imageReference: toImageReference(profile?.storageProfile?.imageReference),
    extensions,
    hasHealthSignal: hasHealthExtension || Boolean(profile?.networkProfile?.healthProbe?.id),
    ...(vmss.tags !== undefined && { tags: { ...vmss.tags } }),
    ...(profile === undefined && { withoutVmProfile: true }),
    ...(vmss.upgradePolicy?.automaticOSUpgradePolicy?.enableAutomaticOSUpgrade === true && {
      automaticOsUpgrade: true,
    }),
    ...(vmss.upgradePolicy?.rollingUpgradePolicy?.rollbackFailedInstancesOnPolicyBreach === true && {
      rollbackFailedInstances: true,
    }),
    ...(typeof vmss.sku?.capacity === "number" &&
      Number.isSafeInteger(vmss.sku.capacity) &&
      vmss.sku.capacity >= 0 && { capacity: vmss.sku.capacity }),
  };
}

const UPGRADE_MODES = ["Manual", "Automatic", "Rolling"] as const;

/**
 * Azure's upgrade mode as one of the three the engine knows. Azure matches enum values case-insensitively (ARM
 * accepts `rolling` in a PUT), so the mode is read the same way. Absent: Azure's default, Manual. Anything else
 * (another word, text with markup or line breaks, not a string) is `Unknown`, never the text itself: the mode decides
 * who rolls the instances, so an unknown one is refused before any write (domain/change.ts), and the value is not
 * carried on into the log or the summary.
 */
function toUpgradeMode(mode: unknown): UpgradeMode {
  if (mode === undefined || mode === null) return "Manual";
  if (typeof mode !== "string") return "Unknown";
  return UPGRADE_MODES.find((m) => m.toLowerCase() === mode.toLowerCase()) ?? "Unknown";
}

function toExtensionModel(ext: VirtualMachineScaleSetExtension): ExtensionModel {
  return {
    name: ext.name ?? "",
    ...(ext.publisher !== undefined && { publisher: ext.publisher }),
    ...(ext.typePropertiesType !== undefined && { type: ext.typePropertiesType }),
    ...(ext.settings !== undefined && ext.settings !== null && { settings: ext.settings as Record<string, unknown> }),
    ...(ext.forceUpdateTag !== undefined && { forceUpdateTag: ext.forceUpdateTag }),
    ...(typeof ext.typeHandlerVersion === "string" && { typeHandlerVersion: ext.typeHandlerVersion }),
    ...(typeof ext.autoUpgradeMinorVersion === "boolean" && { autoUpgradeMinorVersion: ext.autoUpgradeMinorVersion }),
    ...(typeof ext.enableAutomaticUpgrade === "boolean" && { enableAutomaticUpgrade: ext.enableAutomaticUpgrade }),
    ...(typeof ext.suppressFailures === "boolean" && { suppressFailures: ext.suppressFailures }),
    ...(Array.isArray(ext.provisionAfterExtensions) && {
      provisionAfterExtensions: ext.provisionAfterExtensions.filter((n): n is string => typeof n === "string"),
    }),
  };
}

/** An extension child resource of a VM as a list shows it, named by its ID's last segment when the item has no name
 *  (reported of the VM list's `resources`: azure-sdk-for-net#13378). */
export function toVmExtensionModel(ext: VirtualMachineExtension): ExtensionModel {
  return toExtensionModel({
    ...ext,
    name: ext.name ?? /\/extensions\/([^/]+)$/i.exec(ext.id ?? "")?.[1] ?? "",
    settings: ext.settings as unknown,
  });
}

/** An extension child resource listed with nothing but its ID (no properties at all). */
export function shownByIdOnly(ext: VirtualMachineExtension): boolean {
  return (
    ext.settings === undefined &&
    ext.publisher === undefined &&
    ext.typePropertiesType === undefined &&
    ext.provisioningState === undefined
  );
}

/**
 * The extensions a listed VM's `resources` show with their properties (the scale-set VM list of a Uniform set:
 * azure-libraries-for-java _canCreateVirtualMachineScaleSetWithCustomScriptExtension.json #27, settings and all; the
 * standalone VM list of a Flexible one). Undefined when the item has none or shows any by ID only: nothing to judge.
 */
export function shownExtensions(
  resources: readonly VirtualMachineExtension[] | undefined,
): readonly ExtensionModel[] | undefined {
  if (resources === undefined || resources.length === 0 || resources.some(shownByIdOnly)) return undefined;
  return resources.map(toVmExtensionModel);
}

export function toImageReference(ref: Partial<Record<keyof ImageReference, string>> | undefined): ImageReference {
  if (ref === undefined) return {};
  const keys: (keyof ImageReference)[] = [
    "publisher",
    "offer",
    "sku",
    "version",
    "exactVersion",
    "id",
    "sharedGalleryImageId",
    "communityGalleryImageId",
  ];
  return Object.fromEntries(keys.filter((k) => ref[k] !== undefined && ref[k] !== null).map((k) => [k, ref[k]]));
}

export function toInstanceState(vm: VirtualMachineScaleSetVM): InstanceState {
  const { power, health, error, errors } = viewFacts(vm.instanceView);
  const extensions = shownExtensions(vm.resources);
  return {
    instanceId: vm.instanceId ?? "",
    name: vm.name ?? "",
    // Only `true` is true: a string "false" must not count as on the model, nor as protected.
    latestModelApplied: vm.latestModelApplied === true,
    protectedFromScaleSetActions: vm.protectionPolicy?.protectFromScaleSetActions === true,
    ...(vm.provisioningState !== undefined && { provisioningState: vm.provisioningState }),
    ...(power !== undefined && { powerState: power }),
    ...(health !== undefined && { health }),
    ...(vm.storageProfile?.imageReference && { imageReference: toImageReference(vm.storageProfile.imageReference) }),
    ...(extensions !== undefined && { extensions }),
    ...(error !== undefined && { error, errors }),
  };
}

/** An instance view's facts: power state, vmHealth, Error-level statuses (its own, then its extensions'). The scale-set
 *  VM's and the standalone VM's instance views share these properties. */
export function viewFacts(
  view:
    | {
        statuses?: InstanceViewStatus[];
        extensions?: { name?: string; statuses?: InstanceViewStatus[] }[];
        vmHealth?: { status?: { code?: string } };
      }
    | undefined,
): { power?: string; health?: HealthState; error?: InstanceError; errors: InstanceError[] } {
  const power = view?.statuses?.find((s) => s.code?.startsWith("PowerState/"))?.code?.slice("PowerState/".length);
  const health = toHealth(view?.vmHealth?.status?.code);
  const errors = [...statusErrors(view?.statuses ?? []), ...extensionErrors(view?.extensions ?? [])];
  const error = errors[0];
  return {
    ...(power !== undefined && { power }),
    ...(health !== undefined && { health }),
    ...(error !== undefined && { error }),
    errors,
  };
}

function toHealth(code: string | undefined): HealthState | undefined {
  // `HealthState/healthy` | `HealthState/unhealthy` | `HealthState/unknown` | `HealthState/initializing`
  const state = code?.split("/")[1]?.toLowerCase();
  switch (state) {
    case "healthy":
    case "unhealthy":
    case "unknown":
    case "initializing":
      return state;
    default:
      return undefined;
  }
}

function statusErrors(statuses: readonly InstanceViewStatus[]): InstanceError[] {
  return statuses
    .filter((s) => s.level === "Error")
    .map((s) => ({ code: statusErrorCode(s.code), message: s.message ?? s.displayStatus ?? "" }));
}

function extensionErrors(extensions: readonly { name?: string; statuses?: InstanceViewStatus[] }[]): InstanceError[] {
  return extensions.flatMap((ext) => {
    const name = ext.name ?? "?";
    return statusErrors(ext.statuses ?? []).map((e) => ({
      ...e,
      extension: name,
      message: `Extension '${name}': ${e.message}`,
    }));
  });
}

/** `ProvisioningState/failed/VMExtensionProvisioningError` → `VMExtensionProvisioningError`. */
function statusErrorCode(code: string | undefined): string {
  const parts = (code ?? "").split("/");
  return parts.length >= 3 ? parts.slice(2).join("/") : code || "Error";
}

const ROLLING_CODES: readonly RollingStatusCode[] = [
  "RollingForward",
  "RollingBack",
  "Cancelled",
  "Completed",
  "Faulted",
];

export function toRollingStatus(info: RollingUpgradeStatusInfo): RollingUpgradeStatus | undefined {
  const code = ROLLING_CODES.find((c) => c === info.runningStatus?.code);
  if (code === undefined) return undefined;
  const progress = info.progress;
  const started = time(info.runningStatus?.startTime);
  const errorCode = text(info.error?.code);
  return {
    code,
    ...(started !== undefined && { startTime: started }),
    successfulInstanceCount: count(progress?.successfulInstanceCount),
    failedInstanceCount: count(progress?.failedInstanceCount),
    inProgressInstanceCount: count(progress?.inProgressInstanceCount),
    pendingInstanceCount: count(progress?.pendingInstanceCount),
    ...(errorCode && { error: { code: errorCode, message: text(info.error?.message) ?? "" } }),
  };
}

// The SDK's types say what Azure should send; the JSON it deserialises is not checked against them (a string where a
// number belongs passes through, `?? 0` keeps it). What the engine counts with and the report prints is made to be
// what its type says here, at the edge.

/** An instance count: a non-negative safe integer, or 0 for anything else (a string, a fraction, NaN, a negative). */
function count(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** Text, or undefined for anything else (a number, an object). */
function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** An ISO time from a Date or a date string; undefined when there is none or it is not a valid time. */
function time(value: unknown): string | undefined {
  if (!(value instanceof Date) && typeof value !== "string") return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
