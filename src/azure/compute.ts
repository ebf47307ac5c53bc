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
import { formatDuration, sleep } from "../shared/clock.ts";
import { isAbort } from "../domain/error-text.ts";
import { OperationPolls, type Pace } from "./operation-pace.ts";
import {
  AzureApiError,
  type AzureErrorInfo,
  type ExtensionModel,
  type ExtensionPatch,
  type HealthState,
  type ImageReference,
  type InstanceError,
  type InstanceState,
  type OperationOutcome,
  type PendingOperation,
  type RollingStatusCode,
  type RollingUpgradeStatus,
  type ScaleSetModel,
  type ScaleSetPatch,
} from "../domain/scale-set.ts";
import type { Cloud, Target } from "../config/types.ts";
import type { Logger, ScaleSetApi } from "../engine/ports.ts";

type Credential = ConstructorParameters<typeof ComputeManagementClient>[0];
type PipelinePolicy = NonNullable<ComputeManagementClientOptionalParams["additionalPolicies"]>[number]["policy"];

export interface ComputeApiOptions {
  readonly credential: Credential;
  readonly target: Target;
  readonly cloud: Cloud;
  /** How often a long-running operation's status is read when its end may be near (see OperationPolls). */
  readonly fastOperationPollMs: number;
  /** How often it is read otherwise (the action's poll-interval). */
  readonly slowOperationPollMs: number;
  readonly userAgent: string;
  /** For the waits for Azure's throttling bucket of instance lists. */
  readonly logger: Logger;
  /** The clock of those waits (when pages were answered, how long to wait). Default: real time; tests move their own. */
  readonly listClock?: ListClock;
  /** Turns a sign-in failure into one line (undefined when the error is something else). */
  readonly describeAuthError: (err: unknown) => string | undefined;
}

/** The time the instance list's throttling bucket is followed by (see ListBudget). */
export interface ListClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export function createComputeScaleSetApi(options: ComputeApiOptions): ScaleSetApi {
  const listClock: ListClock = options.listClock ?? { now: Date.now, sleep };
  const headroom = new Headroom();
  const lists = new ListBudget();
  const operations = new OperationPolls(options.fastOperationPollMs, options.slowOperationPollMs);
  // Set by the engine (useDeadline); until then no wait is capped.
  let deadline = Number.POSITIVE_INFINITY;
  const client = new ComputeManagementClient(options.credential, options.target.subscriptionId, {
    endpoint: options.cloud.armEndpoint,
    // The SDK defaults the token scope to the public cloud whatever the endpoint: it must follow the cloud.
    credentials: { scopes: [options.cloud.armScope] },
    userAgentOptions: { userAgentPrefix: options.userAgent },
    // 500s, dropped connections and 429/503 with Retry-After are retried; the policy below keeps waits within the timeout.
    retryOptions: { maxRetries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
    additionalPolicies: [
      {
        policy: throttlingPolicy(
          () => deadline,
          headroom,
          lists,
          operations,
          () => listClock.now(),
        ),
        position: "perRetry",
      },
    ],
  });
  const { resourceGroup: rg, scaleSet: name } = options.target;

  // The SDK sends the request when the method is called; follow() reads the operation's status at its own pace.
  const sendScaleSetPatch = (patch: ScaleSetPatch, etag: string | undefined, signal: AbortSignal | undefined) =>
    client.virtualMachineScaleSets.update(
      rg,
      name,
      { virtualMachineProfile: { storageProfile: { imageReference: patch.imageReference } } },
      { ...(etag !== undefined && { ifMatch: etag }), abortSignal: signal },
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
      { abortSignal: signal },
    );

  // Every call goes through `guard`: sign-in failures and HTTP errors become AzureApiError, aborts stay AbortError.
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw toApiError(err, options.describeAuthError);
    }
  };

  const sendUpgrade = (instanceIds: readonly string[], signal: AbortSignal | undefined) =>
    client.virtualMachineScaleSets.updateInstances(
      rg,
      name,
      { instanceIds: [...instanceIds] },
      { abortSignal: signal },
    );

  return {
    rateLimitRemaining: () => headroom.lowest(),

    useDeadline: (epochMs) => {
      deadline = epochMs;
    },

    getScaleSet: (signal) =>
      guard(async () => toScaleSetModel(await client.virtualMachineScaleSets.get(rg, name, { abortSignal: signal }))),

    patchScaleSet: (patch, etag, signal) =>
      guard(async () =>
        toScaleSetModel(await follow(sendScaleSetPatch(patch, etag, signal), signal, operations.pace())),
      ),

    patchExtension: (patch, signal) =>
      guard(async () => {
        await follow(sendExtensionPatch(patch, signal), signal, operations.pace());
      }),

    startPatchScaleSet: (patch, etag, signal) =>
      guard(() =>
        accepted(sendScaleSetPatch(patch, etag, signal), signal, operations.pace(), options.describeAuthError),
      ),

    startPatchExtension: (patch, signal) =>
      guard(() => accepted(sendExtensionPatch(patch, signal), signal, operations.pace(), options.describeAuthError)),

    listInstances: (signal) =>
      guard(async () => {
        const instances: InstanceState[] = [];
        // One logical list: the pages follow nextLink. Each page takes a token of the list's throttling bucket; once the
        // first page has told what the bucket holds, the rest of the list waits for it instead of running into a 429.
        for await (const page of client.virtualMachineScaleSetVMs
          .list(rg, name, { expand: "instanceView", abortSignal: signal })
          .byPage()) {
          for (const vm of page) instances.push(toInstanceState(vm));
          const wait = Math.min(lists.restWaitMs(listClock.now()), Math.max(0, deadline - Date.now()));
          if (wait <= 0) continue;
          const message = `Waiting ${formatDuration(wait)} for Azure's throttling bucket for instance lists (HighCostGetVMScaleSet) to hold the rest of the list.`;
          if (wait >= NOTABLE_WAIT_MS) options.logger.info(message);
          else options.logger.debug(message);
          await listClock.sleep(wait, signal ?? new AbortController().signal);
          if (signal?.aborted) throw abortError();
        }
        return instances;
      }),

    upgradeInstances: (instanceIds, signal) =>
      guard(async (): Promise<OperationOutcome> => {
        try {
          await follow(sendUpgrade(instanceIds, signal), signal, operations.pace("upgrade"));
          return { status: "Succeeded" };
        } catch (err) {
          const outcome = operationOutcome(err);
          if (outcome === undefined) throw err;
          return outcome;
        }
      }),

    startUpgradeInstances: (instanceIds, signal) =>
      guard(() =>
        accepted(sendUpgrade(instanceIds, signal), signal, operations.pace("upgrade"), options.describeAuthError),
      ),

    getLatestRollingUpgrade: (signal) =>
      guard(async () => {
        try {
          return toRollingStatus(
            await client.virtualMachineScaleSetRollingUpgrades.getLatest(rg, name, { abortSignal: signal }),
          );
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
  poll(options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  readonly isDone: boolean;
  readonly result?: T | undefined;
}

/**
 * Follows an operation until it ends, reading its status when `pace` says (the SDK's poller would read it at one fixed
 * interval). Resolves with its result; rejects as the SDK does when it failed or was canceled, or on abort.
 */
async function follow<T>(poller: Poller<T>, signal: AbortSignal | undefined, pace: Pace): Promise<T> {
  const options = signal ? { abortSignal: signal } : undefined;
  await poller.submitted();
  const started = Date.now();
  await poller.poll(options);
  while (!poller.isDone) {
    await sleep(pace.nextMs(Date.now() - started), signal ?? new AbortController().signal);
    if (signal?.aborted) throw abortError();
    await poller.poll(options);
  }
  pace.ended(Date.now() - started);
  return poller.result as T;
}

function abortError(): Error {
  return Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
}

/**
 * Resolves once the initial request was answered (an HTTP error rejects); `done` follows the operation and never
 * rejects: an aborted wait is undefined, anything else that ends it (a poll refused, sign-in lost) a Failed outcome.
 */
async function accepted<T>(
  poller: Poller<T>,
  signal: AbortSignal | undefined,
  pace: Pace,
  describeAuthError: (err: unknown) => string | undefined,
): Promise<PendingOperation> {
  await poller.submitted();
  const done = follow(poller, signal, pace).then(
    (): OperationOutcome => ({ status: "Succeeded" }),
    (err: unknown): OperationOutcome | undefined => {
      if (isAbort(err)) return undefined;
      const outcome = operationOutcome(err);
      if (outcome !== undefined) return outcome;
      const error = toApiError(err, describeAuthError);
      if (error instanceof AzureApiError)
        return { status: "Failed", error: { code: error.code, message: error.message } };
      return {
        status: "Failed",
        error: { code: "Error", message: error instanceof Error ? error.message : String(error) },
      };
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
    (ext) =>
      ext.publisher?.toLowerCase() === HEALTH_EXTENSION_PUBLISHER &&
      HEALTH_EXTENSION_TYPES.has(ext.type?.toLowerCase() ?? ""),
  );
  return {
    id: vmss.id ?? "",
    name: vmss.name ?? "",
    ...(vmss.etag !== undefined && { etag: vmss.etag }),
    // Scale sets created before orchestration modes existed omit the property: they are Uniform.
    orchestrationMode: vmss.orchestrationMode === "Flexible" ? "Flexible" : "Uniform",
    upgradeMode: vmss.upgradePolicy?.mode ?? "Manual",
    ...(vmss.provisioningState !== undefined && { provisioningState: vmss.provisioningState }),
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
    ...(ext.settings !== undefined && ext.settings !== null && { settings: ext.settings as Record<string, unknown> }),
    ...(ext.forceUpdateTag !== undefined && { forceUpdateTag: ext.forceUpdateTag }),
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
  const errors = [...statusErrors(view?.statuses ?? []), ...extensionErrors(view?.extensions ?? [])];
  const error = errors[0];
  return {
    instanceId: vm.instanceId ?? "",
    name: vm.name ?? "",
    latestModelApplied: vm.latestModelApplied ?? false,
    protectedFromScaleSetActions: vm.protectionPolicy?.protectFromScaleSetActions ?? false,
    ...(vm.provisioningState !== undefined && { provisioningState: vm.provisioningState }),
    ...(power !== undefined && { powerState: power }),
    ...(health !== undefined && { health }),
    ...(vm.storageProfile?.imageReference && { imageReference: toImageReference(vm.storageProfile.imageReference) }),
    ...(error !== undefined && { error, errors }),
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

function toApiError(err: unknown, describeAuthError: (err: unknown) => string | undefined): unknown {
  if (isAbort(err) || err instanceof AzureApiError) return err;
  const signIn = describeAuthError(err);
  if (signIn !== undefined)
    return new AzureApiError("AuthenticationFailed", signIn, isRestError(err) ? err.statusCode : undefined);
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
 * A pipeline policy that records the throttling headroom of reads (so the engine can slow its polling and wait for
 * the list bucket) and keeps Retry-After within the engine's deadline. It runs per retry, below the SDK's retry
 * policy, so it sees (and may rewrite) every raw response:
 * - a throttled response (429/503) asking to wait past the deadline fails now, saying so, instead of sleeping into
 *   the timeout (the SDK's retry waits whatever Retry-After says, uncapped);
 * - any other Retry-After (an operation poll's pace) is capped at the time left.
 */
function throttlingPolicy(
  deadline: () => number,
  headroom: Headroom,
  lists: ListBudget,
  operations: OperationPolls,
  listNow: () => number,
): PipelinePolicy {
  return {
    name: "vmssRolloutThrottling",
    sendRequest: async (request, next) => {
      const response = await next(request);
      // Reads only: the engine paces its polling (all GETs) by this; the write buckets are another matter.
      if (request.method === "GET") {
        const header = response.headers.get("x-ms-ratelimit-remaining-resource") ?? "";
        headroom.record(header);
        const url = new URL(request.url);
        // The instance list (and each of its nextLink pages): GET …/virtualMachineScaleSets/{name}/virtualMachines.
        if (/\/virtualMachines$/i.test(url.pathname))
          lists.page(!/skiptoken/i.test(url.search), lowestOf(header), listNow());
        // An operation's status: its throttling bucket and the pace Azure asks for (capped below).
        if (/\/operations\/[^/]+$/i.test(url.pathname))
          operations.answered(lowestOf(header), retryAfterMs(response.headers));
      }
      const waitMs = retryAfterMs(response.headers);
      const leftMs = Math.max(0, deadline() - Date.now());
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

/** `policy;count,policy;count` → the smallest count; undefined when the header has none. */
function lowestOf(header: string): number | undefined {
  const counts = header
    .split(",")
    .map((entry) => Number(entry.trim().split(";")[1]))
    .filter((n) => Number.isFinite(n));
  return counts.length > 0 ? Math.min(...counts) : undefined;
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
      if (policy && count !== undefined && Number.isFinite(remaining))
        this.#seen.set(policy, { remaining, at: Date.now() });
    }
  }

  /** The smallest count left among the buckets heard of lately; undefined when none. */
  lowest(): number | undefined {
    const recent = [...this.#seen.values()]
      .filter((s) => Date.now() - s.at < Headroom.FORGET_AFTER_MS)
      .map((s) => s.remaining);
    return recent.length > 0 ? Math.min(...recent) : undefined;
  }
}

/** Waits for the list's throttling bucket at least this long are logged (shorter ones at debug level). */
const NOTABLE_WAIT_MS = 1_000;

/**
 * The instance list's throttling bucket (HighCostGetVMScaleSet: every page of a list takes a token). From the counts
 * Azure reports on list pages it knows what one list costs (the pages of the last one) and, from how much the bucket
 * refilled between two lists, how fast it refills; so, after a list's first page, it can tell how long to wait until
 * the rest of the list fits, instead of running into a 429 halfway through it.
 */
class ListBudget {
  /** Azure's published refill of HighCostGetVMScaleSet: 10 a minute per scale set. Used until one is measured. */
  static readonly PUBLISHED_REFILL_PER_MS = 10 / 60_000;
  /** Pages of the list in progress, and of the last complete one. */
  #pages = 0;
  #lastPages = 0;
  #last: { remaining: number; at: number } | undefined;
  #refillPerMs: number | undefined;
  /** The most the bucket was seen to hold (a lower bound of its size). */
  #fullest = 0;

  /** A list page was answered; `first`: it starts a new list. */
  page(first: boolean, remaining: number | undefined, at: number): void {
    if (first) {
      if (this.#pages > 0) this.#lastPages = this.#pages;
      this.#pages = 0;
    }
    this.#pages++;
    if (remaining === undefined) return;
    const before = remaining + 1; // what the bucket held when this page took its token
    if (first && this.#last !== undefined && at > this.#last.at) {
      // Counts are whole tokens (rounded down), so the refill seen is off by up to one: count one less, to be safe.
      const refilled = before - this.#last.remaining - 1;
      if (refilled > 0) {
        const rate = refilled / (at - this.#last.at);
        // A bucket that may have filled up refilled less than it could have: then the rate is only a lower bound.
        this.#refillPerMs = before >= this.#fullest ? Math.max(this.#refillPerMs ?? 0, rate) : rate;
      }
    }
    this.#fullest = Math.max(this.#fullest, before);
    this.#last = { remaining, at };
  }

  /**
   * Milliseconds until the pages the list in progress still needs (as many as the last list had, less the pages read)
   * fit in the bucket; 0 when they do or nothing is known.
   */
  restWaitMs(now: number): number {
    const rest = this.#lastPages - this.#pages;
    if (this.#last === undefined || rest <= 0) return 0;
    const rate = this.#refillPerMs ?? ListBudget.PUBLISHED_REFILL_PER_MS;
    const expected = this.#last.remaining + rate * (now - this.#last.at);
    return expected >= rest ? 0 : Math.ceil((rest - expected) / rate);
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
