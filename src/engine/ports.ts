// The ports the engine drives: the scale set (implemented by src/azure/) and the log (wired by src/main.ts).

import type {
  ExtensionPatch,
  InstanceFilter,
  InstanceState,
  OperationOutcome,
  PendingOperation,
  GalleryImageLookup,
  GalleryImageVersionId,
  PlatformImageLookup,
  PlatformImageVersion,
  RollingUpgradeStatus,
  ScaleSetModel,
  ScaleSetPatch,
} from "../domain/scale-set.ts";

/**
 * The port the engine drives. Implemented by src/azure/ against the real SDK; every method is one logical
 * ARM operation (LROs are awaited inside). `signal` aborts waiting, never the server-side operation.
 */
export interface ScaleSetApi {
  getScaleSet(signal?: AbortSignal): Promise<ScaleSetModel>;
  /** PATCH the scale set with If-Match: etag; waits for the model update. 412 → AzureApiError code PreconditionFailed. */
  patchScaleSet(patch: ScaleSetPatch, etag: string | undefined, signal?: AbortSignal): Promise<ScaleSetModel>;
  /**
   * PATCH the scale set with only `tags` and If-Match: etag; waits for it. `tags` is the whole map: ARM replaces a
   * resource's tags with the PATCH's. 412 → AzureApiError code PreconditionFailed. Resolves to the model after it.
   * `last`: no write of this run follows it (the lease's release at the end), so Azure's 200 answer showing the tags
   * sent is taken as the result and its operation is not followed. Otherwise it is followed to its end: the run's next
   * write may come at once, and Azure may refuse a write to the set while an operation on it runs (409).
   */
  writeTags(
    tags: Readonly<Record<string, string>>,
    etag: string | undefined,
    signal?: AbortSignal,
    options?: { readonly last?: boolean },
  ): Promise<ScaleSetModel>;
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
   * into a 429. With `filter`, only the instances whose latestModelApplied matches (Azure's `$filter`
   * `properties/latestModelApplied eq true|false`): fewer pages, but it says nothing of the instances it leaves out.
   * A filtered listing may show more than asked, never less: each instance as it is (a Flexible scale set is listed
   * whole, since whether Azure honours the filter there is not documented; the engine asks for none there).
   */
  listInstances(signal?: AbortSignal, filter?: InstanceFilter): Promise<InstanceState[]>;
  /** POST manualupgrade for these instance IDs and wait for the operation. */
  upgradeInstances(instanceIds: readonly string[], signal?: AbortSignal): Promise<OperationOutcome>;
  /**
   * POST manualupgrade and resolve once Azure accepted it (202); an HTTP refusal (409, 400, 403 …) rejects with an
   * AzureApiError and the instances were not touched. `done` follows the operation (see startPatchScaleSet).
   */
  startUpgradeInstances(instanceIds: readonly string[], signal?: AbortSignal): Promise<PendingOperation>;
  /**
   * Whether the region offers this platform image version (VirtualMachineImages_Get; 404 → not found, and then the
   * image's newest versions there, VirtualMachineImages_List `$orderby=name desc`). Any other failure rejects (a
   * 403 where the identity may not read the catalog, say): the engine then leaves the check to the model write.
   */
  findPlatformImage?(image: PlatformImageVersion, signal?: AbortSignal): Promise<PlatformImageLookup>;
  /**
   * An Azure Compute Gallery image version by its resource ID (GalleryImageVersions_Get with the replication status,
   * in the gallery's own subscription; 404 → not found, and then the newest versions of its image definition,
   * GalleryImageVersions_ListByGalleryImage). Any other failure rejects (a 403 where the identity may not read the
   * gallery, say): the engine then leaves the check to the model write.
   */
  findGalleryImageVersion?(id: GalleryImageVersionId, signal?: AbortSignal): Promise<GalleryImageLookup>;
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
  /**
   * How many copies of a write the adapter has put on the wire so far that may have landed, each resend of the SDK's
   * retry policy counted (a copy whose answer was lost is sent again, and Azure may apply both): those that got no
   * answer or an answer other than a refusal; a copy Azure refused (a 4xx such as 409, 412 or 429, or a 503) is not
   * counted. `extension` PATCHes, `scale-set` PATCHes (the model and the tags) and `upgrade` POSTs (manualupgrade). A
   * write that failed with one such copy or more may have landed all the same. Not a call to Azure.
   */
  writeSends?(kind: WriteKind): number;
}

/** The writes ScaleSetApi.writeSends counts. */
export type WriteKind = "extension" | "scale-set" | "upgrade";

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
