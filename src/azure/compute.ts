// The ScaleSetApi over @azure/arm-compute: the only module that imports the Compute SDK. It maps SDK models to the
// domain types of src/types.ts and SDK errors to AzureApiError / OperationOutcome.

import {
  ComputeManagementClient,
  type ComputeManagementClientOptionalParams,
  type InstanceViewStatus,
  type RollingUpgradeStatusInfo,
  type VirtualMachineScaleSet,
  type VirtualMachineScaleSetExtension,
  type VirtualMachineScaleSetVM,
} from "@azure/arm-compute";
import {
  AzureApiError,
  type AzureErrorInfo,
  type Cloud,
  type ExtensionModel,
  type ExtensionPatch,
  type HealthState,
  type ImageReference,
  type InstanceState,
  type OperationOutcome,
  type PendingOperation,
  type RollingStatusCode,
  type RollingUpgradeStatus,
  type ScaleSetApi,
  type ScaleSetModel,
  type ScaleSetPatch,
  type Target,
} from "../types.ts";

type Credential = ConstructorParameters<typeof ComputeManagementClient>[0];
type PipelinePolicy = NonNullable<ComputeManagementClientOptionalParams["additionalPolicies"]>[number]["policy"];

export interface ComputeApiOptions {
  readonly credential: Credential;
  readonly target: Target;
  readonly cloud: Cloud;
  /** Interval between polls of Azure's long-running operations. */
  readonly pollIntervalMs: number;
  /** Epoch ms when the run's timeout is spent: no Retry-After wait goes past it. */
  readonly deadline: number;
  readonly userAgent: string;
  /** Turns a sign-in failure into one line (undefined when the error is something else). */
  readonly describeAuthError: (err: unknown) => string | undefined;
}

export function createComputeScaleSetApi(options: ComputeApiOptions): ScaleSetApi {
  const headroom = new Headroom();
  const client = new ComputeManagementClient(options.credential, options.target.subscriptionId, {
    endpoint: options.cloud.armEndpoint,
    // The SDK defaults the token scope to the public cloud whatever the endpoint: it must follow the cloud.
    credentials: { scopes: [options.cloud.armScope] },
    userAgentOptions: { userAgentPrefix: options.userAgent },
    // 500s, dropped connections and 429/503 with Retry-After are retried; the policy below keeps waits within the timeout.
    retryOptions: { maxRetries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
    additionalPolicies: [
      { policy: throttlingPolicy(options.deadline, headroom), position: "perRetry" },
    ],
  });
  const { resourceGroup: rg, scaleSet: name } = options.target;
  const interval = options.pollIntervalMs;

  // The SDK sends the request when the method is called; the poller follows the operation.
  const sendScaleSetPatch = (patch: ScaleSetPatch, etag: string | undefined, signal: AbortSignal | undefined) =>
    client.virtualMachineScaleSets.update(
      rg,
      name,
      { virtualMachineProfile: { storageProfile: { ...(patch.imageReference && { imageReference: patch.imageReference }) } } },
      { ...(etag !== undefined && { ifMatch: etag }), updateIntervalInMs: interval, abortSignal: signal },
    );
  // The extension child resource: Azure keeps what the body omits (other properties, protectedSettings).
  const sendExtensionPatch = (patch: ExtensionPatch, signal: AbortSignal | undefined) =>
    client.virtualMachineScaleSetExtensions.update(
      rg,
      name,
      patch.name,
      {
        ...(patch.settings !== undefined && { settings: patch.settings }),
        ...(patch.forceUpdateTag !== undefined && { forceUpdateTag: patch.forceUpdateTag }),
      },
      { updateIntervalInMs: interval, abortSignal: signal },
    );

  // Every call goes through `guard`: sign-in failures and HTTP errors become AzureApiError, aborts stay AbortError.
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw toApiError(err, options.describeAuthError);
    }
  };

  return {
    rateLimitRemaining: () => headroom.lowest(),

    getScaleSet: (signal) => guard(async () => toScaleSetModel(await client.virtualMachineScaleSets.get(rg, name, { abortSignal: signal }))),

    patchScaleSet: (patch, etag, signal) =>
      guard(async () => toScaleSetModel(await untilDone(sendScaleSetPatch(patch, etag, signal), signal))),

    patchExtension: (patch, signal) =>
      guard(async () => {
        await untilDone(sendExtensionPatch(patch, signal), signal);
      }),

    startPatchScaleSet: (patch, etag, signal) => guard(() => accepted(sendScaleSetPatch(patch, etag, signal), signal, options.describeAuthError)),

    startPatchExtension: (patch, signal) => guard(() => accepted(sendExtensionPatch(patch, signal), signal, options.describeAuthError)),

    listInstances: (signal) =>
      guard(async () => {
        const instances: InstanceState[] = [];
        // One logical list: the iterator follows nextLink pages.
        for await (const vm of client.virtualMachineScaleSetVMs.list(rg, name, { expand: "instanceView", abortSignal: signal })) {
          instances.push(toInstanceState(vm));
        }
        return instances;
      }),

    upgradeInstances: (instanceIds, signal) =>
      guard(async (): Promise<OperationOutcome> => {
        const poller = client.virtualMachineScaleSets.updateInstances(
          rg,
          name,
          { instanceIds: [...instanceIds] },
          { updateIntervalInMs: interval, abortSignal: signal },
        );
        try {
          await untilDone(poller, signal);
          return { status: "Succeeded" };
        } catch (err) {
          const outcome = operationOutcome(err);
          if (outcome === undefined) throw err;
          return outcome;
        }
      }),

    getLatestRollingUpgrade: (signal) =>
      guard(async () => {
        try {
          return toRollingStatus(await client.virtualMachineScaleSetRollingUpgrades.getLatest(rg, name, { abortSignal: signal }));
        } catch (err) {
          // Azure answers 404 when no rolling upgrade ever ran on the scale set.
          if (isRestError(err) && err.statusCode === 404) return undefined;
          throw err;
        }
      }),
  };
}

interface Poller<T> {
  submitted(): Promise<void>;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
}

/** Waits for the operation. pollUntilDone with the signal (not a bare await) so an abort also cuts the wait between polls. */
function untilDone<T>(poller: Poller<T>, signal: AbortSignal | undefined): Promise<T> {
  return poller.pollUntilDone(signal ? { abortSignal: signal } : undefined);
}

/**
 * Resolves once the initial request was answered (an HTTP error rejects); `done` follows the operation and never
 * rejects: an aborted wait is undefined, anything else that ends it (a poll refused, sign-in lost) a Failed outcome.
 */
async function accepted<T>(
  poller: Poller<T>,
  signal: AbortSignal | undefined,
  describeAuthError: (err: unknown) => string | undefined,
): Promise<PendingOperation> {
  await poller.submitted();
  const done = untilDone(poller, signal).then(
    (): OperationOutcome => ({ status: "Succeeded" }),
    (err: unknown): OperationOutcome | undefined => {
      if (isAbort(err)) return undefined;
      const outcome = operationOutcome(err);
      if (outcome !== undefined) return outcome;
      const error = toApiError(err, describeAuthError);
      if (error instanceof AzureApiError) return { status: "Failed", error: { code: error.code, message: error.message } };
      return { status: "Failed", error: { code: "Error", message: error instanceof Error ? error.message : String(error) } };
    },
  );
  return { done };
}

// ───────────────────────────── SDK models → domain ─────────────────────────────

/** Publisher/type of the Application Health extension, whose instances report vmHealth. */
const HEALTH_EXTENSION_PUBLISHER = "microsoft.managedservices";
const HEALTH_EXTENSION_TYPES = new Set(["applicationhealthlinux", "applicationhealthwindows"]);

function toScaleSetModel(vmss: VirtualMachineScaleSet): ScaleSetModel {
  const profile = vmss.virtualMachineProfile;
  const extensions = (profile?.extensionProfile?.extensions ?? []).map(toExtensionModel);
  const hasHealthExtension = extensions.some(
    (ext) => ext.publisher?.toLowerCase() === HEALTH_EXTENSION_PUBLISHER && HEALTH_EXTENSION_TYPES.has(ext.type?.toLowerCase() ?? ""),
  );
  const policy = vmss.upgradePolicy?.rollingUpgradePolicy;
  return {
    id: vmss.id ?? "",
    name: vmss.name ?? "",
    location: vmss.location,
    ...(vmss.etag !== undefined && { etag: vmss.etag }),
    // Scale sets created before orchestration modes existed omit the property: they are Uniform.
    orchestrationMode: vmss.orchestrationMode === "Flexible" ? "Flexible" : "Uniform",
    upgradeMode: vmss.upgradePolicy?.mode ?? "Manual",
    ...(policy && { rollingUpgradePolicy: { ...policy } }),
    ...(vmss.provisioningState !== undefined && { provisioningState: vmss.provisioningState }),
    ...(vmss.sku?.capacity !== undefined && { capacity: vmss.sku.capacity }),
    imageReference: toImageReference(profile?.storageProfile?.imageReference),
    extensions,
    hasHealthSignal: hasHealthExtension || Boolean(profile?.networkProfile?.healthProbe?.id),
  };
}

function toExtensionModel(ext: VirtualMachineScaleSetExtension): ExtensionModel {
  return {
    name: ext.name ?? "",
    ...(ext.publisher !== undefined && { publisher: ext.publisher }),
    ...(ext.typePropertiesType !== undefined && { type: ext.typePropertiesType }),
    ...(ext.typeHandlerVersion !== undefined && { typeHandlerVersion: ext.typeHandlerVersion }),
    ...(ext.settings !== undefined && ext.settings !== null && { settings: ext.settings as Record<string, unknown> }),
    ...(ext.forceUpdateTag !== undefined && { forceUpdateTag: ext.forceUpdateTag }),
    ...(ext.provisioningState !== undefined && { provisioningState: ext.provisioningState }),
  };
}

function toImageReference(ref: Partial<Record<keyof ImageReference, string>> | undefined): ImageReference {
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

function toInstanceState(vm: VirtualMachineScaleSetVM): InstanceState {
  const view = vm.instanceView;
  const power = view?.statuses?.find((s) => s.code?.startsWith("PowerState/"))?.code?.slice("PowerState/".length);
  const health = toHealth(view?.vmHealth?.status?.code);
  const error = firstError(view?.statuses ?? []) ?? extensionError(view?.extensions ?? []);
  return {
    instanceId: vm.instanceId ?? "",
    name: vm.name ?? "",
    latestModelApplied: vm.latestModelApplied ?? false,
    protectedFromScaleSetActions: vm.protectionPolicy?.protectFromScaleSetActions ?? false,
    ...(vm.provisioningState !== undefined && { provisioningState: vm.provisioningState }),
    ...(power !== undefined && { powerState: power }),
    ...(health !== undefined && { health }),
    ...(vm.storageProfile?.imageReference && { imageReference: toImageReference(vm.storageProfile.imageReference) }),
    ...(error !== undefined && { error }),
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

function firstError(statuses: readonly InstanceViewStatus[]): AzureErrorInfo | undefined {
  const status = statuses.find((s) => s.level === "Error");
  if (status === undefined) return undefined;
  return { code: statusErrorCode(status.code), message: status.message ?? status.displayStatus ?? "" };
}

function extensionError(extensions: readonly { name?: string; statuses?: InstanceViewStatus[] }[]): AzureErrorInfo | undefined {
  for (const ext of extensions) {
    const error = firstError(ext.statuses ?? []);
    if (error !== undefined) return { ...error, message: `Extension '${ext.name ?? "?"}': ${error.message}` };
  }
  return undefined;
}

/** `ProvisioningState/failed/VMExtensionProvisioningError` → `VMExtensionProvisioningError`. */
function statusErrorCode(code: string | undefined): string {
  const parts = (code ?? "").split("/");
  return parts.length >= 3 ? parts.slice(2).join("/") : code || "Error";
}

const ROLLING_CODES: readonly RollingStatusCode[] = ["RollingForward", "RollingBack", "Cancelled", "Completed", "Faulted"];

function toRollingStatus(info: RollingUpgradeStatusInfo): RollingUpgradeStatus | undefined {
  const code = ROLLING_CODES.find((c) => c === info.runningStatus?.code);
  if (code === undefined) return undefined;
  const progress = info.progress;
  return {
    code,
    ...(info.runningStatus?.startTime && { startTime: new Date(info.runningStatus.startTime).toISOString() }),
    successfulInstanceCount: progress?.successfulInstanceCount ?? 0,
    failedInstanceCount: progress?.failedInstanceCount ?? 0,
    inProgressInstanceCount: progress?.inProgressInstanceCount ?? 0,
    pendingInstanceCount: progress?.pendingInstanceCount ?? 0,
    ...(info.error?.code && { error: { code: info.error.code, message: info.error.message ?? "" } }),
  };
}

// ───────────────────────────── errors ─────────────────────────────

interface RestErrorLike extends Error {
  readonly statusCode?: number;
  readonly code?: string;
}

function isRestError(err: unknown): err is RestErrorLike {
  return err instanceof Error && err.name === "RestError";
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

function toApiError(err: unknown, describeAuthError: (err: unknown) => string | undefined): unknown {
  if (isAbort(err) || err instanceof AzureApiError) return err;
  const signIn = describeAuthError(err);
  if (signIn !== undefined) return new AzureApiError("AuthenticationFailed", signIn, isRestError(err) ? err.statusCode : undefined);
  if (isRestError(err)) {
    return new AzureApiError(err.code ?? `Http${err.statusCode ?? ""}`, err.message, err.statusCode);
  }
  const failed = lroFailure(err);
  if (failed !== undefined) return new AzureApiError(failed.code, failed.message);
  return err;
}

/**
 * A long-running operation that ended Failed or Canceled. core-lro throws a plain Error whose message is
 * `The long-running operation has failed. <code>. <message>`; the code survives only in that text.
 */
function operationOutcome(err: unknown): OperationOutcome | undefined {
  if (err instanceof Error && err.message === "Operation was canceled") return { status: "Canceled" };
  const error = lroFailure(err);
  return error === undefined ? undefined : { status: "Failed", error };
}

const LRO_FAILED = "The long-running operation has failed";

function lroFailure(err: unknown): AzureErrorInfo | undefined {
  if (!(err instanceof Error) || !err.message.startsWith(LRO_FAILED)) return undefined;
  const match = /^\. ([^\s.]+)\. ([\s\S]*)$/.exec(err.message.slice(LRO_FAILED.length));
  if (match === null) return { code: "OperationFailed", message: err.message };
  return { code: match[1] ?? "OperationFailed", message: match[2] ?? "" };
}

// ───────────────────────────── throttling ─────────────────────────────

/**
 * A pipeline policy that records the throttling headroom of reads (so the engine can slow its polling) and keeps
 * Retry-After within the run's deadline. It runs per retry, below the SDK's retry
 * policy, so it sees (and may rewrite) every raw response:
 * - a throttled response (429/503) asking to wait past the deadline fails now, saying so, instead of sleeping into
 *   the timeout (the SDK's retry waits whatever Retry-After says, uncapped);
 * - any other Retry-After (an operation poll's pace) is capped at the time left.
 */
function throttlingPolicy(deadline: number, headroom: Headroom): PipelinePolicy {
  return {
    name: "vmssRolloutThrottling",
    sendRequest: async (request, next) => {
      const response = await next(request);
      // Reads only: the engine paces its polling (all GETs) by this; the write buckets are another matter.
      if (request.method === "GET") headroom.record(response.headers.get("x-ms-ratelimit-remaining-resource") ?? "");
      const waitMs = retryAfterMs(response.headers);
      const leftMs = Math.max(0, deadline - Date.now());
      if (waitMs === undefined || waitMs <= leftMs) return response;
      if (response.status === 429 || response.status === 503) {
        throw new AzureApiError(
          "TooManyRequests",
          `Azure throttled the request (HTTP ${response.status}) and asked to wait ${Math.ceil(waitMs / 1000)}s, ` +
            `more than the ${Math.floor(leftMs / 1000)}s left before the timeout.`,
          response.status,
        );
      }
      response.headers.delete("retry-after-ms");
      response.headers.delete("x-ms-retry-after-ms");
      response.headers.set("retry-after", String(Math.floor(leftMs / 1000)));
      return response;
    },
  };
}

/**
 * What Azure's throttling buckets have left, per policy, from `x-ms-ratelimit-remaining-resource`
 * (`Microsoft.Compute/HighCostGetVMScaleSet3Min;107,Microsoft.Compute/HighCostGetVMScaleSet30Min;827`). A bucket not
 * heard of for a minute has refilled meanwhile and no longer counts.
 */
class Headroom {
  static readonly FORGET_AFTER_MS = 60_000;
  readonly #seen = new Map<string, { remaining: number; at: number }>();

  record(header: string): void {
    for (const entry of header.split(",")) {
      const [policy, count] = entry.trim().split(";");
      const remaining = Number(count);
      if (policy && count !== undefined && Number.isFinite(remaining)) this.#seen.set(policy, { remaining, at: Date.now() });
    }
  }

  /** The smallest count left among the buckets heard of lately; undefined when none. */
  lowest(): number | undefined {
    const recent = [...this.#seen.values()].filter((s) => Date.now() - s.at < Headroom.FORGET_AFTER_MS).map((s) => s.remaining);
    return recent.length > 0 ? Math.min(...recent) : undefined;
  }
}

function retryAfterMs(headers: { get(name: string): string | undefined }): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const ms = Number(headers.get(name));
    if (headers.get(name) && Number.isFinite(ms)) return ms;
  }
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
