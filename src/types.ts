// Shared types of vmss-rollout. Everything here is plain data or an interface: no I/O, no Azure SDK.
//
//   config.ts          inputs → one immutable Config (with the secrets to mask)        pure
//   cloud.ts           environment → ARM endpoint, token scope, authority, portal       pure
//   patch.ts           Config.change + model → minimal patch, before → after, rollback  pure
//   plan.ts            instances + rollout options → batches                            pure
//   verdict.ts         instance states → outcomes, max-unhealthy, result                pure
//   record.ts          the engine's state → RolloutRecord                               pure
//   azure-errors.ts, failure.ts, in-progress.ts, option-warnings.ts, ids.ts, redact.ts  small pure helpers
//   rollout.ts         the engine: drives a ScaleSetApi through the phases in rollout/
//   azure/             the only code that imports @azure/*: implements ScaleSetApi, builds credentials
//   report/            RolloutRecord → summary markdown, outputs, annotations           pure
//   main.ts            wires the above to @actions/core

// ───────────────────────────── configuration (one immutable object from one parser) ─────────────────────────────

/** A count of instances (`3`) or a percentage of the targeted instances (`20%`). */
export type Size =
  { readonly kind: "count"; readonly value: number } | { readonly kind: "percent"; readonly value: number };

export type CloudName = "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud" | "Custom";

export interface Cloud {
  readonly name: CloudName;
  /** ARM endpoint without trailing slash, e.g. https://management.azure.com */
  readonly armEndpoint: string;
  /** Token scope for ARM, e.g. https://management.azure.com/.default */
  readonly armScope: string;
  /** Entra authority host without trailing slash, e.g. https://login.microsoftonline.com */
  readonly authorityHost: string;
  /** Azure portal base URL, e.g. https://portal.azure.com */
  readonly portalUrl: string;
  /** true when the authority host is not one of Microsoft's public ones (skip instance discovery). */
  readonly customAuthority: boolean;
}

export type AuthConfig =
  | { readonly mode: "creds"; readonly clientId: string; readonly clientSecret: string; readonly tenantId: string }
  | { readonly mode: "oidc"; readonly clientId: string; readonly tenantId: string; readonly audience: string }
  | { readonly mode: "azure-cli"; readonly tenantId?: string }
  | { readonly mode: "managed-identity"; readonly clientId?: string };

export interface ExtensionChangeRequest {
  readonly name: string;
  /** Full list of https URIs that replaces settings.fileUris. */
  readonly fileUris?: readonly string[];
  /** Resolved value (`auto` is already turned into a run-unique value by the parser). */
  readonly forceUpdateTag?: string;
}

export interface ChangeRequest {
  /** Platform image version (`16.04.201801090`, `latest`). Exclusive with imageId. */
  readonly imageVersion?: string;
  /** Managed image / gallery image / gallery image version resource ID. Exclusive with imageVersion. */
  readonly imageId?: string;
  readonly extension?: ExtensionChangeRequest;
}

export interface RolloutOptions {
  readonly batchSize: Size;
  readonly canary?: Size;
  readonly pauseBetweenBatchesMs: number;
  readonly health: "auto" | "off";
  readonly healthTimeoutMs: number;
  /** Percent (0-100) of upgraded instances that may fail or turn unhealthy before no new batch starts. */
  readonly maxUnhealthyPercent: number;
  readonly rollbackOnFailure: boolean;
  /** Whole run, from start to verdict. */
  readonly timeoutMs: number;
  /** How often instance state is listed while waiting (one list call per poll). */
  readonly pollIntervalMs: number;
  readonly dryRun: boolean;
}

export interface Target {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly scaleSet: string;
}

export interface Config {
  readonly target: Target;
  readonly change: ChangeRequest;
  readonly rollout: RolloutOptions;
  readonly auth: AuthConfig;
  readonly cloud: Cloud;
  /**
   * Values to mask in the log (core.setSecret) before anything is printed: the client secret of `creds`, and the
   * query string (and `sig` value) of each extension-file-uris entry, which usually carry a SAS token.
   */
  readonly secrets: readonly string[];
}

/** Thrown by the input parser. `input` is the action input's name as written in action.yml. */
export class InputError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(`Input '${input}': ${message}`);
    this.name = "InputError";
    this.input = input;
  }
}

// ───────────────────────────── the scale set as the engine sees it (no SDK types) ─────────────────────────────

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
}

export type UpgradeMode = "Manual" | "Automatic" | "Rolling";

export interface ScaleSetModel {
  readonly id: string;
  readonly name: string;
  /** Body etag, a quoted integer such as `"3"`; passed back as If-Match. */
  readonly etag?: string;
  readonly orchestrationMode: "Uniform" | "Flexible";
  readonly upgradeMode: UpgradeMode;
  readonly provisioningState?: string;
  readonly imageReference: ImageReference;
  readonly extensions: readonly ExtensionModel[];
  /** Instances report vmHealth: an Application Health extension or a load-balancer health probe is configured. */
  readonly hasHealthSignal: boolean;
}

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
  readonly latestModelApplied: boolean;
  readonly protectedFromScaleSetActions: boolean;
  /** properties.provisioningState, e.g. `Succeeded`, `Updating`, `Failed`. */
  readonly provisioningState?: string;
  /** From the instance view's `PowerState/<x>` status, e.g. `running`. */
  readonly powerState?: string;
  /** From instanceView.vmHealth; undefined when the instance reports no health. */
  readonly health?: HealthState;
  /** Image the instance runs (storageProfile.imageReference, with exactVersion). */
  readonly imageReference?: ImageReference;
  /** The first Error-level status of the instance view or of one of its extensions (the first of `errors`). */
  readonly error?: InstanceError;
  /** Every Error-level status: the instance's own first, then its extensions'. */
  readonly errors?: readonly InstanceError[];
}

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
  constructor(code: string, message: string, statusCode?: number) {
    super(message);
    this.name = "AzureApiError";
    this.code = code;
    this.statusCode = statusCode;
  }
}

/**
 * The port the engine drives. Implemented by src/azure/ against the real SDK; every method is one logical
 * ARM operation (LROs are awaited inside). `signal` aborts waiting, never the server-side operation.
 */
export interface ScaleSetApi {
  getScaleSet(signal?: AbortSignal): Promise<ScaleSetModel>;
  /** PATCH the scale set with If-Match: etag; waits for the model update. 412 → AzureApiError code PreconditionFailed. */
  patchScaleSet(patch: ScaleSetPatch, etag: string | undefined, signal?: AbortSignal): Promise<ScaleSetModel>;
  /** PATCH the extension child resource; waits for it. */
  patchExtension(patch: ExtensionPatch, signal?: AbortSignal): Promise<void>;
  /**
   * PATCH the scale set with If-Match: etag and resolve once Azure accepted the write, without waiting for its
   * operation: in Automatic and Rolling mode that operation may last until the platform has rolled every instance.
   * `signal` also ends the wait behind `done`. 412 → AzureApiError code PreconditionFailed.
   */
  startPatchScaleSet(patch: ScaleSetPatch, etag: string | undefined, signal?: AbortSignal): Promise<PendingOperation>;
  /** PATCH the extension child resource and resolve once Azure accepted it (see startPatchScaleSet). */
  startPatchExtension(patch: ExtensionPatch, signal?: AbortSignal): Promise<PendingOperation>;
  /**
   * One list call (following nextLink pages) with the instance view expanded. When Azure's throttling bucket for
   * lists will not hold the rest of the list, it waits for it between pages (within the deadline) rather than run
   * into a 429.
   */
  listInstances(signal?: AbortSignal): Promise<InstanceState[]>;
  /** POST manualupgrade for these instance IDs and wait for the operation. */
  upgradeInstances(instanceIds: readonly string[], signal?: AbortSignal): Promise<OperationOutcome>;
  /**
   * POST manualupgrade and resolve once Azure accepted it (202); an HTTP refusal (409, 400, 403 …) rejects with an
   * AzureApiError and the instances were not touched. `done` follows the operation (see startPatchScaleSet).
   */
  startUpgradeInstances(instanceIds: readonly string[], signal?: AbortSignal): Promise<PendingOperation>;
  /** GET rollingUpgrades/latest; undefined when no rolling upgrade ever ran (404). */
  getLatestRollingUpgrade(signal?: AbortSignal): Promise<RollingUpgradeStatus | undefined>;
  /**
   * The lowest count left in the throttling buckets Azure reported on reads (`x-ms-ratelimit-remaining-resource`)
   * during the last minute; undefined when none did. The engine slows its polling when it runs low.
   */
  rateLimitRemaining?(): number | undefined;
  /**
   * Epoch ms the engine must be done by: a throttled request asking to wait past it fails at once, and other
   * Retry-After waits are cut to it. The engine sets it (and moves it for a rollback); until then nothing is capped.
   */
  useDeadline?(epochMs: number): void;
}

/** Logging port (main wires it to @actions/core). Messages must already be free of secrets. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string, title?: string): void;
  error(message: string, title?: string): void;
  notice(message: string, title?: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

// ───────────────────────────── the rollout record (input of every report) ─────────────────────────────

export type RolloutResult = "succeeded" | "failed" | "unchanged" | "planned" | "rolled-back" | "cancelled";

export interface PropertyChange {
  /** Model path, e.g. `storageProfile.imageReference.version` or `extensions[customScript].settings.fileUris`. */
  readonly property: string;
  /** Display values; SAS query strings already removed. */
  readonly before: string;
  readonly after: string;
}

export interface PreviousModel {
  readonly imageReference: ImageReference;
  readonly extension?: {
    readonly name: string;
    /** SAS query strings removed. */
    readonly fileUris?: readonly string[];
    readonly forceUpdateTag?: string;
  };
}

export type InstanceOutcome =
  | "updated" // was stale, now on the latest model
  | "already-current" // on the latest model before the rollout started
  | "failed" // its upgrade failed
  | "unhealthy" // upgraded but reports unhealthy / did not turn healthy within health-timeout
  | "straggler" // still not on the latest model when the run ended (timeout, platform did not finish)
  | "skipped-protected" // protectFromScaleSetActions
  | "not-started" // left untouched (stop, cancel, dry run)
  | "rolled-back" // upgraded, then brought back onto the previous model
  | "removed"; // left the scale set during the run (scale-in): not upgraded, not a failure

export interface InstanceRecord {
  readonly instanceId: string;
  readonly name: string;
  /** latestModelApplied when the rollout planned (after the model update). */
  readonly latestModelBefore: boolean;
  /** latestModelApplied at the end. */
  readonly latestModelAfter: boolean;
  readonly outcome: InstanceOutcome;
  /** 1-based batch number, when it was planned into a batch. */
  readonly batch?: number;
  readonly provisioningState?: string;
  readonly powerState?: string;
  readonly health?: HealthState;
  /** Image the instance runs at the end (version/exactVersion or id), for display. */
  readonly image?: string;
  readonly error?: AzureErrorInfo;
}

export type BatchResult = "succeeded" | "failed" | "unhealthy" | "cancelled" | "timed-out" | "not-started" | "planned";

export interface BatchRecord {
  /** 1-based. */
  readonly index: number;
  readonly canary: boolean;
  readonly instanceIds: readonly string[];
  /** ISO time; undefined when not started. */
  readonly startedAt?: string;
  readonly durationMs?: number;
  readonly result: BatchResult;
  readonly error?: AzureErrorInfo;
}

export interface RolloutRecord {
  /** resourceId: the scale set's ARM ID; portalUrl: a link to the scale set in the Azure portal of the run's cloud. */
  readonly target: Target & { readonly resourceId: string; readonly portalUrl: string };
  readonly cloud: CloudName;
  readonly upgradeMode?: UpgradeMode;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly result: RolloutResult;
  /** One sentence a person can act on, for every result but succeeded/unchanged. */
  readonly reason?: string;
  /** Patched properties, before → after (redacted). Empty when the model already held the values. */
  readonly changes: readonly PropertyChange[];
  /** true when the action wrote the model. */
  readonly modelUpdated: boolean;
  readonly previousModel?: PreviousModel;
  readonly batches: readonly BatchRecord[];
  readonly instances: readonly InstanceRecord[];
  readonly rolling?: RollingUpgradeStatus;
  readonly rollback?: {
    readonly succeeded: boolean;
    readonly instanceIds: readonly string[];
    readonly error?: string;
  };
}
