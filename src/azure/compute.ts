// The ScaleSetApi over @azure/arm-compute: the only module that drives the Compute SDK. Mapping (mapping.ts), failures
// (errors.ts), the list's throttling budget (list-budget.ts), the read retry (retry.ts, pipeline.ts) and long-running
// operations (operations.ts) are their own modules; this one wires them into the port the engine drives.

import type { VirtualMachineScaleSet, VirtualMachineScaleSetUpdate } from "@azure/arm-compute";
import { computeClient, type ComputeClient, type ComputeCredential } from "./compute-client.ts";
import { formatDuration } from "../shared/clock.ts";
import { errorLine } from "../domain/error-text.ts";
import {
  AzureApiError,
  OperationEndedError,
  regionKey,
  type InstanceState,
  type OperationOutcome,
  type ScaleSetPatch,
} from "../domain/scale-set.ts";
import type { ExtensionPatch, ImageDeprecation, InstanceFilter, ScaleSetModel } from "../domain/scale-set.ts";
import { fileUrisOf } from "../domain/change.ts";
import { queryTokensRead, sasSecretsRead } from "../shared/redact.ts";
import type { Cloud, Target } from "../config/types.ts";
import type { Logger, ScaleSetApi, WriteKind } from "../engine/ports.ts";
import { abortError, isRestError, toApiError } from "./errors.ts";
import { Headroom, ListBudget } from "./list-budget.ts";
import {
  extensionUpdateBody,
  scaleSetUpdateBody,
  toInstanceState,
  toRollingStatus,
  toScaleSetModel,
} from "./mapping.ts";
import { listFlexibleInstances, type FlexibleListDeps } from "./flexible.ts";
import { OperationPolls } from "./operation-pace.ts";
import {
  accepted,
  follow,
  OperationEnded,
  OperationErrors,
  type RawAnswer,
  tagsAnswerIsFinal,
  withoutResultRead,
} from "./operations.ts";
import { installPolicies } from "./pipeline.ts";
import { DEFAULT_RETRY_TIMING, type RetryTiming } from "./retry.ts";

export interface ComputeApiOptions {
  readonly credential: ComputeCredential;
  readonly target: Target;
  readonly cloud: Cloud;
  /** How often a long-running operation's status is read when its end may be near (see OperationPolls). */
  readonly fastOperationPollMs: number;
  /** How often it is read otherwise (the action's poll-interval). */
  readonly slowOperationPollMs: number;
  readonly userAgent: string;
  /** For the waits for Azure's throttling bucket of instance lists and the retries of reads. */
  readonly logger: Logger;
  /** Turns a sign-in failure into one line (undefined when the error is something else). */
  readonly describeAuthError: (err: unknown) => string | undefined;
  /** The backoff of reads and its clock (tests make it fast); DEFAULT_RETRY_TIMING otherwise. */
  readonly retry?: Partial<RetryTiming>;
  /**
   * The refill of the instance list's bucket assumed until one is measured, per minute: Azure's published 10 unless
   * told otherwise (tests against an emulator whose clock runs faster tell its rate).
   */
  readonly listRefillPerMinute?: number;
  /**
   * Masks a secret in the job log: the SAS tokens of the fileUris of every scale-set model read (the model as it was
   * before the run, which a rollback writes back, holds tokens the inputs never named).
   */
  readonly mask?: (secret: string) => void;
  /** Hides a value from what the action prints, without a runner mask: the query tokens of those fileUris. */
  readonly hide?: (secret: string) => void;
}

/** The instance list's `$filter` values (Azure's REST spec for VirtualMachineScaleSetVMs_List allows these). */
const LIST_FILTERS: Record<InstanceFilter, string> = {
  latest: "properties/latestModelApplied eq true",
  "not-latest": "properties/latestModelApplied eq false",
};

/** How many of an image's newest versions a refusal of a version that does not exist names. */
const NEWEST_SHOWN = 5;
/** The most gallery image versions listed to find the newest (a gallery may hold thousands). */
const MAX_VERSIONS_READ = 1_000;

/** Waits for the list's throttling bucket at least this long are logged (shorter ones at debug level). */
const NOTABLE_WAIT_MS = 1_000;

export function createComputeScaleSetApi(options: ComputeApiOptions): ScaleSetApi {
  const timing: RetryTiming = { ...DEFAULT_RETRY_TIMING, ...options.retry };
  const now = timing.now;
  const headroom = new Headroom();
  const lists = new ListBudget(
    options.listRefillPerMinute === undefined ? undefined : options.listRefillPerMinute / 60_000,
  );
  const operations = new OperationPolls(options.fastOperationPollMs, options.slowOperationPollMs);
  const operationErrors = new OperationErrors();
  // Set by the engine (useDeadline); until then no wait is capped (and reads are tried a bounded number of times).
  let deadline = Number.POSITIVE_INFINITY;
  const client = computeClient(options.credential, options.target.subscriptionId, {
    endpoint: options.cloud.armEndpoint,
    // The SDK defaults the token scope to the public cloud whatever the endpoint: it must follow the cloud.
    credentials: { scopes: [options.cloud.armScope] },
    userAgentOptions: { userAgentPrefix: options.userAgent },
    // The SDK's retry policy, kept for writes only (reads: retry.ts). Its two strategies, whatever the method:
    // - 429/503 carrying Retry-After / retry-after-ms / x-ms-retry-after-ms: sent again after exactly that wait (capped
    //   at the deadline by the watching policy in pipeline.ts, which fails a write asked to wait past it);
    // - 408, 5xx except 501/505, and requests that got no answer (ECONNRESET, ETIMEDOUT, ESOCKETTIMEDOUT, ECONNREFUSED,
    //   ENOENT, ENOTFOUND): sent again after min(30 s, 1 s × 2^n) less up to half (jitter);
    // up to 4 times (5 attempts). So a PATCH or a manualupgrade POST whose response was lost (connection reset after
    // Azure took it) IS sent again by the SDK: a PATCH with If-Match then meets the etag its first copy bumped (412
    // PreconditionFailed), a manualupgrade may start twice (or meet 409 Conflict). Checked in
    // @typespec/ts-http-runtime 0.3 (retryPolicy.js, exponentialRetryStrategy.js: no look at the method) and
    // test/integration/azure-adapter.test.ts ("the SDK sends a write again after a connection reset").
    retryOptions: { maxRetries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
  });
  // Every copy of a write put on the wire (the SDK's resends included): see ScaleSetApi.writeSends.
  const sends: Record<WriteKind, number> = { extension: 0, "scale-set": 0, upgrade: 0 };
  installPolicies(client.pipeline, () => deadline, timing, options.logger, {
    headroom,
    lists,
    operations,
    operationErrors,
    sent: (method, url) => {
      const path = new URL(url).pathname;
      if (method === "PATCH" && /\/extensions\/[^/]+$/i.test(path)) sends.extension++;
      else if (method === "PATCH" && /\/virtualMachineScaleSets\/[^/]+$/i.test(path)) sends["scale-set"]++;
      else if (method === "POST" && /\/manualupgrade$/i.test(path)) sends.upgrade++;
    },
  });
  const { resourceGroup: rg, scaleSet: name } = options.target;
  // A client for a gallery's subscription, when not the scale set's (findGalleryImageVersion).
  const galleryClients = new Map<string, ComputeClient>();
  const galleryClient = (subscriptionId: string): ComputeClient => {
    if (subscriptionId.toLowerCase() === options.target.subscriptionId.toLowerCase()) return client;
    let other = galleryClients.get(subscriptionId.toLowerCase());
    if (other === undefined) {
      other = computeClient(options.credential, subscriptionId, {
        endpoint: options.cloud.armEndpoint,
        credentials: { scopes: [options.cloud.armScope] },
        userAgentOptions: { userAgentPrefix: options.userAgent },
        retryOptions: { maxRetries: 4, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
      });
      // The same read retry and deadline as the main client's: a throttled read waits no longer than the run may.
      installPolicies(other.pipeline, () => deadline, timing, options.logger, {
        headroom,
        lists,
        operations,
        operationErrors,
        sent: () => undefined,
      });
      galleryClients.set(subscriptionId.toLowerCase(), other);
    }
    return other;
  };

  // The SDK sends the request when the method is called; follow() reads the operation's status at its own pace.
  // One PATCH of the scale set for both the model and the tags, always with If-Match when an etag is known.
  const sendUpdate = (
    body: VirtualMachineScaleSetUpdate,
    etag: string | undefined,
    signal: AbortSignal | undefined,
    onResponse?: (answer: RawAnswer) => void,
  ) =>
    client.virtualMachineScaleSets.update(rg, name, body, {
      ...(etag !== undefined && { ifMatch: etag }),
      abortSignal: signal,
      ...(onResponse !== undefined && { onResponse }),
    });
  const sendScaleSetPatch = (patch: ScaleSetPatch, etag: string | undefined, signal: AbortSignal | undefined) =>
    sendUpdate(scaleSetUpdateBody(patch), etag, signal);
  const sendExtensionPatch = (patch: ExtensionPatch, signal: AbortSignal | undefined) =>
    client.virtualMachineScaleSetExtensions.update(rg, name, patch.name, extensionUpdateBody(patch), {
      abortSignal: signal,
    });
  // Its result is void: the read of its Location after it succeeded is left out (withoutResultRead).
  const sendUpgrade = (instanceIds: readonly string[], signal: AbortSignal | undefined) =>
    withoutResultRead(
      client.virtualMachineScaleSets.updateInstances(
        rg,
        name,
        { instanceIds: [...instanceIds] },
        { abortSignal: signal },
      ),
    );

  /** Waits `ms` (within the deadline) for the instance list's bucket, saying so. */
  const waitForListBucket = async (ms: number, signal: AbortSignal | undefined): Promise<void> => {
    const wait = Math.min(ms, Math.max(0, deadline - now()));
    if (wait <= 0) return;
    const message = `Waiting ${formatDuration(wait)} for Azure's throttling bucket for instance lists (HighCostGetVMScaleSet) to hold the rest of the list.`;
    if (wait >= NOTABLE_WAIT_MS) options.logger.info(message);
    else options.logger.debug(message);
    await timing.sleep(wait, signal ?? new AbortController().signal);
    if (signal?.aborted) throw abortError();
  };

  // The orchestration mode, learnt from the first read of the scale set: a Flexible set's instances are listed by
  // flexible.ts (its identity is the VM name, which manualupgrade takes: the other calls need no change).
  let flexible = false;
  let toldCompared = false;
  let toldOneByOne = false;
  const missingBefore = new Set<string>();
  const extensionsSeen: FlexibleListDeps["extensionsSeen"] = new Map();
  const refusalsSaid = new Set<string>();
  const masked = new Set<string>();
  // Every model read: its extensions' SAS tokens are masked before anything can quote them.
  const modelOf = (vmss: VirtualMachineScaleSet): ScaleSetModel => {
    const model = toScaleSetModel(vmss);
    const uris = model.extensions.flatMap((ext) => fileUrisOf(ext) ?? []);
    for (const secret of sasSecretsRead(uris)) {
      if (masked.has(secret)) continue;
      masked.add(secret);
      options.mask?.(secret);
    }
    for (const token of queryTokensRead(uris)) {
      if (masked.has(token)) continue;
      masked.add(token);
      options.hide?.(token);
    }
    return model;
  };
  const readModel = async (signal: AbortSignal | undefined) => {
    const model = modelOf(await client.virtualMachineScaleSets.get(rg, name, { abortSignal: signal }));
    flexible = model.orchestrationMode === "Flexible";
    return model;
  };

  const listFlexible = (signal: AbortSignal | undefined) =>
    listFlexibleInstances(
      {
        client,
        subscriptionId: options.target.subscriptionId,
        resourceGroup: rg,
        scaleSet: name,
        betweenPages: (more, s) => waitForListBucket(lists.restWaitMs(now(), more), s),
        getModel: readModel,
        missingBefore,
        extensionsSeen,
        readOneByOne: (count) => {
          if (toldOneByOne) return;
          toldOneByOne = true;
          options.logger.info(
            `Azure lists the VMs of this Flexible scale set with their extensions by ID only, without their settings: the extensions of each VM that runs the model's image are read one by one (VirtualMachineExtensions.List, ${count} VM(s) in this listing), and again only once something has changed the VM.`,
          );
        },
        // One VM's extension read refused: Azure's answer to that request (a 403 for that VM, a 404, a 5xx after the
        // SDK's retries) leaves that VM's model unknown. A sign-in failure or a request with no answer is not one VM's.
        refusal: (err, vm) => {
          const refused = toApiError(err, options.describeAuthError);
          if (
            !(refused instanceof AzureApiError) ||
            refused.statusCode === undefined ||
            refused.statusCode === 401 ||
            refused.code === "AuthenticationFailed"
          )
            return undefined;
          // Read again at each listing (flexible.ts): warned once per VM and refusal code, not once per poll.
          const said = `${vm.toLowerCase()}|${refused.code}`;
          if (!refusalsSaid.has(said)) {
            refusalsSaid.add(said);
            options.logger.warning(
              `The read of VM ${vm}'s extensions was refused (${errorLine(refused)}): whether it runs the scale set's model is not known. The run goes on and reads it again at each listing; the VM is reported with its state unknown, and the job fails unless a later read shows it on the model.`,
            );
          }
          return { code: refused.code, message: refused.message };
        },
        compared: (count) => {
          if (toldCompared) return;
          toldCompared = true;
          options.logger.info(
            `Azure does not report latestModelApplied for ${count} VM(s) of this Flexible scale set: each is compared with the model (image and exact version; each extension's settings and forceUpdateTag, and its other properties where the list shows them) instead, and counts as on it only when all of that matches.`,
          );
        },
      },
      signal,
    );

  // Every call goes through `guard`: sign-in failures, HTTP errors and failed operations become AzureApiError, aborts
  // stay AbortError.
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (err instanceof OperationEnded) throw new OperationEndedError(err.outcome, err.message);
      throw toApiError(err, options.describeAuthError);
    }
  };

  return {
    rateLimitRemaining: () => headroom.lowest(now()),

    writeSends: (kind) => sends[kind],

    useDeadline: (epochMs) => {
      deadline = epochMs;
    },

    getScaleSet: (signal) => guard(() => readModel(signal)),

    patchScaleSet: (patch, etag, signal) =>
      guard(async () =>
        modelOf(await follow(sendScaleSetPatch(patch, etag, signal), signal, operations.pace(), operationErrors)),
      ),

    // The scale set's tags (the lease, the rollout record) as a tags-only PATCH of the scale set with If-Match, not
    // ARM's Tags API (Microsoft.Resources/tags), which takes no If-Match: only an etag-guarded write lets exactly one
    // of two runs take the lease. A tags-only PATCH leaves the virtual machine profile as it was, so no instance turns
    // stale and no upgrade mode rolls anything for it. Whether Azure takes it while a model update or rolling upgrade
    // runs is not documented (the emulator answers 409 Conflict): engine/lease.ts holds either way. Evidence:
    // emulator/README.md, "Tags and the lease". The run's last one: Azure's 200 answer, showing the tags sent, is the
    // write's result, its operation not followed (tagsAnswerIsFinal).
    writeTags: (tags, etag, signal, options) =>
      guard(async () =>
        modelOf(
          await follow(
            sendUpdate(
              { tags: { ...tags } },
              etag,
              signal,
              options?.last === true ? tagsAnswerIsFinal(tags) : undefined,
            ),
            signal,
            operations.pace(),
            operationErrors,
          ),
        ),
      ),

    patchExtension: (patch, signal) =>
      guard(async () => {
        await follow(sendExtensionPatch(patch, signal), signal, operations.pace(), operationErrors);
      }),

    startPatchScaleSet: (patch, etag, signal) =>
      guard(() =>
        accepted(
          sendScaleSetPatch(patch, etag, signal),
          signal,
          operations.pace(),
          operationErrors,
          options.describeAuthError,
        ),
      ),

    startPatchExtension: (patch, signal) =>
      guard(() =>
        accepted(
          sendExtensionPatch(patch, signal),
          signal,
          operations.pace(),
          operationErrors,
          options.describeAuthError,
        ),
      ),

    listInstances: (signal, filter) =>
      guard(async () => {
        // Flexible: listed whole, the filter unsent (undocumented there; more than asked is safe, see the port).
        if (flexible) return listFlexible(signal);
        const instances: InstanceState[] = [];
        // One logical list: the pages follow nextLink (each page a GET, retried by the read retry). Each page takes a
        // token of the list's throttling bucket (HighCostGetVMScaleSet); once the first page has told what the bucket
        // holds, the rest of the list waits for it instead of running into a 429 (see ListBudget). The first page is
        // not held back: the engine paces its lists, and a 429 there is retried after the Retry-After Azure sends.
        for await (const page of client.virtualMachineScaleSetVMs
          .list(rg, name, {
            expand: "instanceView",
            ...(filter !== undefined && { filter: LIST_FILTERS[filter] }),
            abortSignal: signal,
          })
          .byPage()) {
          for (const vm of page) instances.push(toInstanceState(vm));
          const more = page.continuationToken !== undefined && page.continuationToken !== "";
          await waitForListBucket(lists.restWaitMs(now(), more), signal);
        }
        return instances;
      }),

    upgradeInstances: (instanceIds, signal) =>
      guard(async (): Promise<OperationOutcome> => {
        try {
          await follow(sendUpgrade(instanceIds, signal), signal, operations.pace("upgrade"), operationErrors);
          return { status: "Succeeded" };
        } catch (err) {
          if (err instanceof OperationEnded) return err.outcome;
          throw err;
        }
      }),

    startUpgradeInstances: (instanceIds, signal) =>
      guard(() =>
        accepted(
          sendUpgrade(instanceIds, signal),
          signal,
          operations.pace("upgrade"),
          operationErrors,
          options.describeAuthError,
        ),
      ),

    findPlatformImage: (image, signal) =>
      guard(async () => {
        const { location, publisher, offer, sku, version } = image;
        try {
          const found = await client.virtualMachineImages.get(location, publisher, offer, sku, version, {
            abortSignal: signal,
          });
          return { found: true, ...deprecationOf(found.imageDeprecationStatus) };
        } catch (err) {
          // `{"code":"NotFound","message":"Artifact: VMImage was not found."}` (az vm image show, azure-cli#22796).
          if (!(isRestError(err) && err.statusCode === 404)) throw err;
        }
        // The newest versions there: `$top` with `$orderby=name desc`, as az vm create asks for `latest`
        // (azure-cli_test_vmss_add_application.yaml). A 404 here: the region has no such image at all.
        try {
          const versions = await client.virtualMachineImages.list(location, publisher, offer, sku, {
            top: NEWEST_SHOWN,
            orderby: "name desc",
            abortSignal: signal,
          });
          // At most NEWEST_SHOWN even from an endpoint that ignores $top.
          return { found: false, newest: versions.slice(0, NEWEST_SHOWN).map((v) => v.name) };
        } catch (err) {
          if (isRestError(err) && err.statusCode === 404) return { found: false, newest: [] };
          throw err;
        }
      }),

    findGalleryImageVersion: (id, signal) =>
      guard(async () => {
        // The gallery may be in another subscription than the scale set (a central image subscription): a client of
        // its own there, made once, with the same sign-in and cloud (one read, so the SDK's own retries suffice).
        const gallery = galleryClient(id.subscriptionId);
        const { resourceGroup, gallery: galleryName, image, version } = id;
        try {
          const found = await gallery.galleryImageVersions.get(resourceGroup, galleryName, image, version, {
            expand: "ReplicationStatus",
            abortSignal: signal,
          });
          const replication = new Map(
            (found.replicationStatus?.summary ?? []).map((r) => [regionKey(r.region ?? ""), r.state]),
          );
          return {
            found: true,
            ...(found.provisioningState !== undefined && { provisioningState: found.provisioningState }),
            regions: (found.publishingProfile?.targetRegions ?? []).map((r) => {
              const state = replication.get(regionKey(r.name));
              return { name: r.name, ...(state !== undefined && { replication: state }) };
            }),
          };
        } catch (err) {
          if (!isGoneResource(err)) throw err;
        }
        // Its image definition's newest versions (the list has no $orderby: sorted here, as version numbers).
        try {
          const names: string[] = [];
          for await (const v of gallery.galleryImageVersions.listByGalleryImage(resourceGroup, galleryName, image, {
            abortSignal: signal,
          })) {
            if (v.name !== undefined) names.push(v.name);
            // A large gallery: the newest are named from the first thousand versions listed (the list has no order).
            if (names.length >= MAX_VERSIONS_READ) break;
          }
          return { found: false, newest: names.sort(byVersionDesc).slice(0, NEWEST_SHOWN) };
        } catch (err) {
          // The image definition, or the gallery, does not exist either.
          if (isGoneResource(err)) return { found: false, newest: [] };
          throw err;
        }
      }),

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

/** Gallery image versions (`Major.Minor.Patch`) newest first, compared as numbers. */
function byVersionDesc(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return b < a ? -1 : b > a ? 1 : 0;
}

/**
 * A 404 that says the resource is not there (its gallery, definition, version or resource group), not one that says
 * the subscription cannot be seen (SubscriptionNotFound: a gallery in a subscription this identity cannot read, which
 * the check then leaves to the model write) or that the path is not served.
 */
function isGoneResource(err: unknown): boolean {
  return (
    isRestError(err) &&
    err.statusCode === 404 &&
    [
      "ResourceNotFound",
      "NotFound",
      "ParentResourceNotFound",
      "ResourceGroupNotFound",
      "GalleryImageNotFound",
    ].includes(err.code ?? "")
  );
}

/**
 * A platform image version's deprecation as VirtualMachineImages_Get shows it (`imageDeprecationStatus.imageState`:
 * Active, ScheduledForDeprecation or Deprecated; azure-cli#25313). Anything else, or none, is no deprecation. The
 * publisher's `alternativeOption` (type Offer or Plan, with its name; the spec's ImageDeprecationStatus) is kept when
 * it names one (type None, or no value, names nothing).
 */
function deprecationOf(
  status:
    | { imageState?: string; scheduledDeprecationTime?: Date; alternativeOption?: { type?: string; value?: string } }
    | undefined,
): { deprecation?: ImageDeprecation } {
  const state = status?.imageState;
  if (state !== "Deprecated" && state !== "ScheduledForDeprecation") return {};
  const at = status?.scheduledDeprecationTime?.getTime();
  const { type, value } = status?.alternativeOption ?? {};
  const alternative: ImageDeprecation["alternative"] =
    (type === "Offer" || type === "Plan") && typeof value === "string" && value.trim() !== ""
      ? { type, value: value.trim() }
      : undefined;
  return {
    deprecation: {
      state,
      ...(at !== undefined && Number.isFinite(at) && { at }),
      ...(alternative && { alternative }),
    },
  };
}
