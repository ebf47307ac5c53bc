// The scale set as the engine sees it: its model, its instances, operations and Azure errors. Plain data, no SDK types.

export interface ImageReference {
  readonly publisher?: string;
  readonly offer?: string;
  readonly sku?: string;
  readonly version?: string;
  readonly exactVersion?: string;
  readonly id?: string;
  readonly sharedGalleryImageId?: string;
  readonly communityGalleryImageId?: string;
}

export interface ExtensionModel {
  readonly name: string;
  readonly publisher?: string;
  /** The extension type (wire `properties.type`, e.g. `CustomScript`). */
  readonly type?: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly forceUpdateTag?: string;
  /** What a writer may change besides settings (compared, never written: domain/model-match.ts). */
  readonly typeHandlerVersion?: string;
  readonly autoUpgradeMinorVersion?: boolean;
  readonly enableAutomaticUpgrade?: boolean;
  readonly suppressFailures?: boolean;
  readonly provisionAfterExtensions?: readonly string[];
}

/**
 * `Unknown`: Azure reported a mode other than these three (src/azure/mapping.ts). The engine cannot tell whether it
 * or the platform would roll the instances, so such a scale set is refused before any write (domain/change.ts).
 */
export type UpgradeMode = "Manual" | "Automatic" | "Rolling" | "Unknown";

export interface ScaleSetModel {
  readonly id: string;
  readonly name: string;
  /** The Azure region, e.g. `westeurope` (a platform image version is looked up there). */
  readonly location?: string;
  /** An Edge Zone's name, for a scale set deployed to one (its extendedLocation). */
  readonly extendedLocation?: string;
  /** Body etag, a quoted integer such as `"3"`; passed back as If-Match. */
  readonly etag?: string;
  readonly orchestrationMode: "Uniform" | "Flexible";
  readonly upgradeMode: UpgradeMode;
  readonly provisioningState?: string;
  readonly imageReference: ImageReference;
  readonly extensions: readonly ExtensionModel[];
  /** Instances report vmHealth: an Application Health extension or a load-balancer health probe is configured. */
  readonly hasHealthSignal: boolean;
  /** The scale set resource's tags (ARM: at most 50; names up to 512 characters, values up to 256). */
  readonly tags?: Readonly<Record<string, string>>;
  /** A Flexible scale set created without a VM profile: its VMs are created one by one, there is no model to roll out. */
  readonly withoutVmProfile?: boolean;
  /** Automatic OS image upgrades are on (upgradePolicy.automaticOSUpgradePolicy): Azure takes only version `latest`. */
  readonly automaticOsUpgrade?: boolean;
  /**
   * Rolling mode: Azure puts the instances a faulted rolling upgrade failed back on the model they ran before
   * (upgradePolicy.rollingUpgradePolicy.rollbackFailedInstancesOnPolicyBreach).
   */
  readonly rollbackFailedInstances?: boolean;
  /** How many instances the scale set asks for (`sku.capacity`): before a listing, the most a rollout may upgrade. */
  readonly capacity?: number;
}

/** A platform (Marketplace) image version, as the scale set's region offers it. */
export interface PlatformImageVersion {
  readonly location: string;
  readonly publisher: string;
  readonly offer: string;
  readonly sku: string;
  readonly version: string;
}

/**
 * Whether the region offers that version; when not, the newest versions it offers of the image (newest first). A
 * version offered may be deprecated by its publisher (imageDeprecationStatus): `Deprecated` (Azure deploys it no more),
 * or `ScheduledForDeprecation` at `at` (epoch ms, when Azure says).
 */
export type PlatformImageLookup =
  | {
      readonly found: true;
      readonly deprecation?: ImageDeprecation;
    }
  | { readonly found: false; readonly newest: readonly string[] };

/**
 * A platform image version's deprecation. `alternative`: what its publisher names instead (imageDeprecationStatus
 * .alternativeOption: an offer, or a plan), as Azure says it.
 */
export interface ImageDeprecation {
  readonly state: "Deprecated" | "ScheduledForDeprecation";
  readonly at?: number;
  readonly alternative?: { readonly type: "Offer" | "Plan"; readonly value: string };
}

/** A region's name as compared: `West Europe` (as a gallery names its target regions) and `westeurope` are one. */
export function regionKey(region: string): string {
  return region.replace(/\s+/g, "").toLowerCase();
}

/** The parts of a gallery image version's resource ID (`/subscriptions/…/galleries/g/images/i/versions/v`). */
export interface GalleryImageVersionId {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly gallery: string;
  readonly image: string;
  readonly version: string;
}

/** A gallery image version's resource ID in parts; undefined for any other image ID (a managed image, say). */
export function galleryImageVersionId(id: string): GalleryImageVersionId | undefined {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([^/]+)\/images\/([^/]+)\/versions\/([^/]+)$/i.exec(
      id,
    );
  if (!m) return undefined;
  const [, subscriptionId = "", resourceGroup = "", gallery = "", image = "", version = ""] = m;
  return { subscriptionId, resourceGroup, gallery, image, version };
}

/**
 * An Azure Compute Gallery image version as the plan checks it before writing: when it exists, its provisioning state
 * and the regions it is published to (with each one's replication state, when Azure says it); when not, the newest
 * versions of its image definition (newest first; empty: the definition or the gallery does not exist either).
 */
export type GalleryImageLookup =
  | {
      readonly found: true;
      readonly provisioningState?: string;
      readonly regions: readonly { readonly name: string; readonly replication?: string }[];
    }
  | { readonly found: false; readonly newest: readonly string[] };

export type HealthState = "healthy" | "unhealthy" | "unknown" | "initializing";

export interface AzureErrorInfo {
  readonly code: string;
  readonly message: string;
}

/** An Error-level status of an instance's view. */
export interface InstanceError extends AzureErrorInfo {
  /** The extension whose status it is; undefined for the instance's own statuses. */
  readonly extension?: string;
}

export interface InstanceState {
  readonly instanceId: string;
  /** e.g. `vmss1_3` */
  readonly name: string;
  /** Azure's latestModelApplied; for a Flexible VM Azure leaves it out of, the comparison with the model (model-match.ts). */
  readonly latestModelApplied: boolean;
  /** latestModelApplied is the comparison's, on the facts the listing shows, not Azure's word. */
  readonly modelCompared?: boolean;
  /**
   * Whether it runs the scale set's model could not be told, and why (Azure's refusal): a Flexible VM whose
   * latestModelApplied Azure leaves out, listed with its extensions by ID only, whose own read of its extensions was
   * refused (a 403 for that VM, say). latestModelApplied is then false; the health gate judges it on its health alone,
   * and the run reports it `unknown` (engine/record.ts), which fails the job.
   */
  readonly modelUnknown?: AzureErrorInfo;
  readonly protectedFromScaleSetActions: boolean;
  /**
   * A Flexible VM attached to the scale set with a profile of its own (modelDefinitionApplied `VirtualMachine`): the
   * scale set's model is not its model, and manualupgrade cannot bring it there. Never planned, reported as such.
   */
  readonly ownModel?: boolean;
  /** properties.provisioningState, e.g. `Succeeded`, `Updating`, `Failed`. */
  readonly provisioningState?: string;
  /** From the instance view's `PowerState/<x>` status, e.g. `running`. */
  readonly powerState?: string;
  /** From instanceView.vmHealth; undefined when the instance reports no health. */
  readonly health?: HealthState;
  /** Image the instance runs (storageProfile.imageReference, with exactVersion). */
  readonly imageReference?: ImageReference;
  /**
   * The extensions of the instance's own model, as the listing shows them (its `resources`: settings,
   * forceUpdateTag). Undefined when the listing shows none, or shows them by ID only.
   */
  readonly extensions?: readonly ExtensionModel[];
  /** The first Error-level status of the instance view or of one of its extensions (the first of `errors`). */
  readonly error?: InstanceError;
  /** Every Error-level status: the instance's own first, then its extensions'. */
  readonly errors?: readonly InstanceError[];
}

/**
 * Which instances a list call returns: every one (undefined), or only those whose latestModelApplied is true
 * (`latest`) or false (`not-latest`): the instance list's documented `$filter` values.
 */
export type InstanceFilter = "latest" | "not-latest";

export type RollingStatusCode = "RollingForward" | "RollingBack" | "Cancelled" | "Completed" | "Faulted";

export interface RollingUpgradeStatus {
  readonly code: RollingStatusCode;
  readonly startTime?: string;
  readonly successfulInstanceCount: number;
  readonly failedInstanceCount: number;
  readonly inProgressInstanceCount: number;
  readonly pendingInstanceCount: number;
  readonly error?: AzureErrorInfo;
}

/** The model patch the engine applies. Only what changes is set. */
export interface ScaleSetPatch {
  readonly imageReference?: { readonly version?: string; readonly id?: string };
}

export interface ExtensionPatch {
  readonly name: string;
  /** The complete settings object (settings are replaced as a unit by Azure). */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly forceUpdateTag?: string;
}

/** Outcome of a long-running operation (manualupgrade, …) as Azure reported it. */
export interface OperationOutcome {
  readonly status: "Succeeded" | "Failed" | "Canceled";
  readonly error?: AzureErrorInfo;
  /** Failed only in that its status could not be read (the read refused or lost after retries): how the operation
   *  itself ended is not known. */
  readonly unread?: boolean;
}

/** How an operation ended when reading it failed with `err`: unread, with the read's error (not a failure of its own). */
export function unreadEnd(err: unknown): OperationOutcome {
  const error =
    err instanceof AzureApiError
      ? { code: err.code, message: err.message }
      : { code: "Error", message: err instanceof Error ? err.message : String(err) };
  return { status: "Failed", unread: true, error };
}

/** A write Azure accepted whose long-running operation goes on. */
export interface PendingOperation {
  /** Settles when the operation ends; undefined when waiting was aborted (the operation itself goes on). Never rejects. */
  readonly done: Promise<OperationOutcome | undefined>;
}

/** Thrown by a ScaleSetApi for an HTTP error: status and ARM error code kept. */
export class AzureApiError extends Error {
  readonly statusCode: number | undefined;
  readonly code: string;
  /** ARM's `x-ms-correlation-request-id` of the failed call, when it was answered: what Azure support asks for first. */
  readonly correlationId: string | undefined;
  constructor(code: string, message: string, statusCode?: number, correlationId?: string) {
    super(message);
    this.name = "AzureApiError";
    this.code = code;
    this.statusCode = statusCode;
    this.correlationId = correlationId;
  }
}

/**
 * Thrown by a ScaleSetApi call that follows its write's operation to its end (patchScaleSet, patchExtension, writeTags)
 * when Azure took the write and the operation then ended Failed or Canceled, as its status said: `outcome` is how. Not
 * a refusal of the request, nor a read of the status that failed (those stay plain AzureApiErrors): the operation is
 * over. In Automatic and Rolling mode a model write's operation lasts the platform's roll of that model, so its end
 * says the roll is over.
 */
export class OperationEndedError extends AzureApiError {
  readonly outcome: OperationOutcome;
  constructor(outcome: OperationOutcome, message: string) {
    super(outcome.error?.code ?? `Operation${outcome.status}`, message);
    this.outcome = outcome;
  }
}
