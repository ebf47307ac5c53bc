// Public types of the emulator (re-exported by index.ts). See README.md for how to use them.
// The emulator is a product of its own: it shares no code with the action (src/), so its wire vocabulary is here.

/** An instance's Application Health state as the emulator reports it (`vmHealth.status.code` HealthState/<state>). */
export type HealthState = "healthy" | "unhealthy" | "unknown" | "initializing";

/** `runningStatus.code` of a rolling upgrade (REST spec: RollingUpgradeStatusCode). */
export type RollingStatusCode = "RollingForward" | "RollingBack" | "Cancelled" | "Completed" | "Faulted";

export interface ExtensionSeed {
  readonly name: string;
  readonly publisher: string;
  readonly type: string;
  readonly typeHandlerVersion: string;
  readonly settings?: Record<string, unknown>;
  readonly protectedSettings?: Record<string, unknown>;
  readonly forceUpdateTag?: string;
}

export type ImageSeed =
  | { readonly publisher: string; readonly offer: string; readonly sku: string; readonly version: string }
  | { readonly id: string };

export interface RollingUpgradePolicySeed {
  readonly maxBatchInstancePercent?: number;
  readonly maxUnhealthyInstancePercent?: number;
  readonly maxUnhealthyUpgradedInstancePercent?: number;
  readonly pauseTimeBetweenBatches?: string;
  readonly prioritizeUnhealthyInstances?: boolean;
  readonly rollbackFailedInstancesOnPolicyBreach?: boolean;
}

export interface ScaleSetSeed {
  readonly name: string;
  /** Default `rg-demo`. */
  readonly resourceGroup?: string;
  /** Default `westeurope`. */
  readonly location?: string;
  /** Default 4; instance IDs are "0", "1", … */
  readonly instances?: number;
  /** Default `Manual`. */
  readonly upgradeMode?: "Manual" | "Automatic" | "Rolling";
  /**
   * Default `Uniform`. `Flexible`: VMs are named `<name>_<8 hex>` (their instance ID in manualupgrade is the name), the
   * standalone VM API lists them with full detail, and the scale-set VM API gives limited detail (README "Flexible").
   */
  readonly orchestrationMode?: "Uniform" | "Flexible";
  /**
   * Flexible only: whether the scale-set VM list carries `latestModelApplied` (`reported`) or leaves it out
   * (`absent`, the default). No public source settles which Azure does; both are served so clients handle both.
   */
  readonly latestModelApplied?: "reported" | "absent";
  /**
   * Flexible only: this many more VMs attached to the set with a profile of their own (`modelDefinitionApplied:
   * VirtualMachine`), named `<name>_attached<N>`: never on the scale set's model, and manualupgrade refuses them.
   */
  readonly attachedVms?: number;
  /** Default: Canonical ubuntu-24_04-lts server 24.04.202409120. */
  readonly image?: ImageSeed;
  /** Default: one CustomScript extension named `customScript`. Pass [] for none. */
  readonly extensions?: readonly ExtensionSeed[];
  /** Adds an ApplicationHealthLinux extension named `healthExtension`; instances then report vmHealth. */
  readonly healthExtension?: boolean;
  /**
   * How the application answers the health extension's probe (learn.microsoft.com "Using Application Health extension
   * with Virtual Machine Scale Sets"): `rich` (the default) has an `initializing` state while a VM starts; `binary`
   * (an HTTP 200 or not) has none, so a starting VM reports `unhealthy` until its application answers.
   */
  readonly healthStates?: "rich" | "binary";
  /**
   * Simulated seconds the application takes to answer its probe once an upgrade has ended (default 0), scaled by
   * speed: meanwhile the instance reports `initializing` (`rich`) or `unhealthy` (`binary`), then its health.
   */
  readonly appStartSeconds?: number;
  /** Instance IDs with protectionPolicy.protectFromScaleSetActions = true. */
  readonly protectedInstances?: readonly string[];
  readonly rollingUpgradePolicy?: RollingUpgradePolicySeed;
  /** Simulated per-instance upgrade time in seconds (default 30), scaled by speed. */
  readonly instanceUpgradeSeconds?: number;
  /** Availability zones of the set; instances are spread over them. */
  readonly zones?: readonly string[];
  /** The set's tags (default none); held to Azure's limits like a write's (see README "Tags"). */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Statuses instances report for their extensions from the start, by instance ID then extension name, e.g.
   * `{ "0": { monitoringAgent: "failed" } }` (see ExtensionStatus). Other extensions report `succeeded`.
   */
  readonly extensionStatuses?: Readonly<Record<string, Readonly<Record<string, ExtensionStatus>>>>;
}

/**
 * What an extension on an instance reports in the instance view (`extensions[].statuses`), independently of the
 * instance's provisioning state — e.g. an unrelated monitoring agent in Error (or one with `suppressFailures`) on an
 * instance provisioned `Succeeded`:
 * - `succeeded`: `ProvisioningState/succeeded`, level Info, "Provisioning succeeded" (the default);
 * - `failed`: `ProvisioningState/failed/1`, level Error, "Provisioning failed", message "Enable failed: …" (or `message`);
 * - `transitioning`: `ProvisioningState/transitioning`, level Info, "Transitioning".
 * The status stays until it is set again; upgrades of the instance do not change it (see README "Faults").
 */
export type ExtensionStatus = ExtensionState | { readonly state: ExtensionState; readonly message?: string };

export type ExtensionState = "succeeded" | "failed" | "transitioning";

/**
 * Simulated milliseconds an ARM request takes before its answer is computed (scaled by `speed`, like every simulated
 * duration). A number applies to every ARM request; an object distinguishes lists, whose pages cost Azure hundreds of
 * milliseconds each on large scale sets.
 */
export type LatencyOption =
  | number
  | {
      /** ARM requests that are not lists (GET/PATCH of the set, manualupgrade, operation polls, …). Default 0. */
      readonly default?: number;
      /** The first page of a list (`VirtualMachineScaleSetVMs.List`, `VirtualMachineScaleSetExtensions.List`). Default: `default`. */
      readonly list?: number;
      /** Each following page of a list (a `nextLink` request, with `$skiptoken`). Default: `list`. */
      readonly page?: number;
    };

export interface EmulatorOptions {
  /** Default: one sample set `vmss-demo` in `rg-demo` (see ScaleSetSeed defaults). */
  readonly scaleSets?: readonly ScaleSetSeed[];
  /** Factor on every simulated duration: 1 = Azure-like, tests ~0.001, the demo ~0.02. Default 1. */
  readonly speed?: number;
  /** VM list page size (nextLink paging). Default 50. */
  readonly pageSize?: number;
  /** Per-request latency of ARM requests in simulated milliseconds (see LatencyOption). Default 0. */
  readonly latencyMs?: LatencyOption;
  /** Token audiences ARM accepts, compared exactly. Default: the emulator's endpoint with and without the trailing
   *  slash (`https://127.0.0.1:<port>/`, `https://127.0.0.1:<port>`), as each Azure cloud accepts only its own. */
  readonly armAudiences?: readonly string[];
  /** Opt-in token-bucket throttle with Azure's published Compute limits. Default false. */
  readonly throttle?: boolean;
  /** The token buckets' clock (epoch milliseconds, wall time): refills follow it. Default Date.now. Tests pass a clock
   *  of their own to freeze refills (and move it on themselves). */
  readonly throttleNow?: () => number;
  /**
   * Every wait of simulated time goes through this (a model update, each phase of an instance upgrade, a pause between
   * rolling batches, a batch of current instances in an OS rolling upgrade, a delete, create or power action, request
   * latency, an operation ended by a fault after `afterSeconds`, …): `seconds` is the simulated duration, `timer` the
   * emulator's own wait for it (`seconds` × speed of wall time), and the wait ends when the promise returned resolves.
   * Default `(seconds, timer) => timer()`. Tests pass their own to hold a wait until they let it go (a moment to act at
   * that a slow machine cannot make them miss), or to note when each wait begins and ends. It must not reject. Waits
   * of real time (hangRequest, Retry-After, GitHub's holdRequests) are not simulated and do not go through it.
   */
  readonly sleep?: (seconds: number, timer: () => Promise<void>) => Promise<void>;
  /** Access-token lifetime in (real) seconds. Default 3600. */
  readonly tokenLifetimeSeconds?: number;
  /** Retry-After (seconds) sent on operation polls. Default: none. */
  readonly pollRetryAfterSeconds?: number;
  /** Simulated duration of a model update (PUT/PATCH of the set or an extension) in seconds. Default 5. */
  readonly modelUpdateSeconds?: number;
  /** Federated credential of the service principal. Defaults: subject `repo:octo/app:ref:refs/tags/v1`,
   *  audience `api://AzureADTokenExchange` (issuer is always GitHub's). */
  readonly federatedCredential?: { readonly subject?: string; readonly audience?: string };
  /** `sub` of the GitHub OIDC tokens the emulator issues. Default: the federated credential's subject. */
  readonly githubSubject?: string;
  /** Lifetime of the GitHub OIDC tokens in (real) seconds. Default 300. */
  readonly githubTokenLifetimeSeconds?: number;
  /** `owner/repo` of GitHub's Deployments API (see Emulator.github). Default `octo/app`. */
  readonly githubRepository?: string;
  /**
   * The platform (Marketplace) image catalog, in every region: `publisher:offer:sku` (any case) → the versions it
   * offers. For an image listed here, VirtualMachineImages_Get of another version is 404, and a model write naming
   * one is refused 404 PlatformImageNotFound, as Azure does. An image not listed offers every version (so a scenario
   * need not list the versions it rolls out); its version list holds the versions the scale sets name.
   */
  readonly platformImages?: Readonly<Record<string, readonly string[]>>;
  /**
   * Platform image versions the publisher deprecated: `publisher:offer:sku:version` (any case) → the state
   * `VirtualMachineImages_Get` shows in `imageDeprecationStatus` (`scheduledDeprecationTime` an ISO time). A model write
   * naming a `Deprecated` one is refused 404 `ImageVersionDeprecated`, as Azure refuses a VM create with one.
   */
  readonly deprecatedImages?: Readonly<
    Record<
      string,
      {
        readonly imageState: "ScheduledForDeprecation" | "Deprecated";
        readonly scheduledDeprecationTime?: string;
        /** What the publisher names instead (ImageDeprecationStatus.alternativeOption: type None, Offer or Plan). */
        readonly alternativeOption?: { readonly type: "None" | "Offer" | "Plan"; readonly value?: string };
      }
    >
  >;
  /**
   * The standalone VM list (`VirtualMachines.List`, how a Flexible set's VMs are read) shows each VM's extensions by
   * ID only, no properties, as reported of that list (ansible/ansible#38279: "only the id is set, when the vms are
   * retrieved through the list function"; azure-sdk-for-net#13378). Their settings then come only from
   * `VirtualMachineExtensions.List` (`GET …/virtualMachines/{vm}/extensions`) or a GET of the VM. Default false: the
   * list shows them with their properties, as azure-cli#26019 (2023) describes `az vm list`'s output.
   */
  readonly vmListExtensionsById?: boolean;
  /**
   * Azure Compute Gallery image definitions, by resource ID (`/subscriptions/…/galleries/{g}/images/{i}`, any case) →
   * their versions (version name → GalleryVersionSeed). For a definition listed here, GalleryImageVersions_Get of
   * another version is 404, and a model write naming a version it does not have, not published to the scale set's
   * region or still replicating there is refused (404 GalleryImageNotFound). A definition not listed has every version,
   * published to every scale set's region (so a scenario need not list the versions it rolls out).
   */
  readonly galleryImages?: Readonly<Record<string, Readonly<Record<string, GalleryVersionSeed>>>>;
}

/** One gallery image version (EmulatorOptions.galleryImages). */
export interface GalleryVersionSeed {
  /** Its target regions (names as Azure shows them, e.g. `West Europe`; compared without spaces, in any case). */
  readonly regions: readonly string[];
  /** Regions of `regions` it is still replicating to (replication state `Replicating`). Default none. */
  readonly replicating?: readonly string[];
  /** Its provisioningState. Default `Succeeded`. */
  readonly provisioningState?: string;
}

export interface RequestLogEntry {
  /** 1-based order of arrival. */
  readonly seq: number;
  readonly method: string;
  /** Path as sent (case kept), without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Request headers, lower-case names, Authorization removed. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON or form body (client_secret / client_assertion replaced by "***"), undefined when empty. */
  readonly body: unknown;
  /** Response status; 0 when the connection was dropped on purpose. */
  readonly status: number;
  /** e.g. `VirtualMachineScaleSets.Update`, `Entra.Token`; `Unknown` for unmatched routes. */
  readonly operation: string;
  /** ARM error code of an error response. */
  readonly errorCode?: string;
  readonly startedAt: string;
  readonly durationMs: number;
}

export interface InstanceSnapshot {
  readonly instanceId: string;
  readonly name: string;
  readonly latestModelApplied: boolean;
  /** storageProfile.imageReference the instance runs, with exactVersion for platform images. */
  readonly imageReference: Readonly<Record<string, string>>;
  /** Extension name → { settings, forceUpdateTag } the instance runs. */
  readonly extensions: Readonly<Record<string, { readonly settings?: unknown; readonly forceUpdateTag?: string }>>;
  readonly provisioningState: string;
  readonly powerState: string;
  /** Only while the instance reports vmHealth: with a health signal, and not stopped or deallocated. */
  readonly health?: HealthState;
  /** Extension name → the state its status reports (see ExtensionStatus). */
  readonly extensionStates: Readonly<Record<string, ExtensionState>>;
  readonly protected: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

/** A value an instance's provisioningState, powerState or health took (Emulator.instanceHistory). */
export interface InstanceStatusChange {
  readonly field: "provisioningState" | "powerState" | "health";
  readonly value: string;
  /** Orders the changes of every instance (of every scale set): a later change has a greater `seq`. */
  readonly seq: number;
}

export interface OperationSnapshot {
  readonly id: string;
  /** The ARM operation that started it, e.g. `VirtualMachineScaleSets.UpdateInstances`. */
  readonly operation: string;
  readonly status: "InProgress" | "Succeeded" | "Failed" | "Canceled";
  readonly instanceIds?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
  readonly startTime: string;
  readonly endTime?: string;
}

export interface RollingUpgradeSnapshot {
  readonly code: "RollingForward" | "RollingBack" | "Cancelled" | "Completed" | "Faulted";
  readonly successfulInstanceCount: number;
  readonly failedInstanceCount: number;
  readonly inProgressInstanceCount: number;
  readonly pendingInstanceCount: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ScaleSetSnapshot {
  readonly name: string;
  readonly resourceGroup: string;
  readonly deleted: boolean;
  /** The scale set as GET returns it (wire JSON, incl. etag and properties.provisioningState). */
  readonly model: Record<string, unknown>;
  readonly instances: readonly InstanceSnapshot[];
  readonly operations: readonly OperationSnapshot[];
  readonly rollingUpgrade?: RollingUpgradeSnapshot;
}

export interface InstancePatch {
  /** What the health signal reports; shown only while the instance is not stopped or deallocated. */
  readonly health?: HealthState;
  readonly protected?: boolean;
  /** `stopped`, `deallocating` and `deallocated` instances report no vmHealth (the Application Health extension
   *  reports from inside the VM); it shows again when they run. */
  readonly powerState?: string;
  readonly provisioningState?: string;
  /** Extension name → its status from now on (see ExtensionStatus); `null` goes back to `succeeded`. */
  readonly extensions?: Readonly<Record<string, ExtensionStatus | null>>;
}

/** Which requests a request-level fault hits. Operation names as in counters(), e.g. `VirtualMachineScaleSetVMs.List`. */
export interface RequestMatch {
  /** Default: any ARM request. */
  readonly operation?: string;
  /** How many matching requests it hits (default 1). */
  readonly times?: number;
  /** Matching requests to let through first (default 0). */
  readonly after?: number;
  /**
   * Only requests whose path contains this (case-insensitive), e.g. `/virtualMachines/vmss1_1a2b3c4d/` for one
   * Flexible VM's requests. Default: any path.
   */
  readonly path?: string;
}

/** When a request-triggered event happens: around the `after`+1-th request matching `operation` (default: any ARM
 *  request), just `before` its handler runs or just `after` (default: after; the answer is then already computed,
 *  so the client reads the state from before the event). Once. */
export interface TriggerMatch {
  readonly operation?: string;
  readonly after?: number;
  readonly when?: "before" | "after";
}

/** How an operation ends by fault: `Canceled`/`Failed` with `error` (default OperationPreempted), at once or after
 *  `afterSeconds` simulated seconds (× speed) if it is still running then. */
export interface OperationEnd {
  readonly status: "Canceled" | "Failed";
  readonly error?: { readonly code: string; readonly message: string };
  readonly afterSeconds?: number;
}

/**
 * Another client's write of the scale set's model, unconditional (no If-Match), as a person in the portal or another
 * pipeline would make it: `patch` is merged into the set's resource like a PATCH of the set (RFC 7396: objects
 * merge, arrays replace); `extension` is merged into that extension's `properties` like a PATCH of the extension child
 * resource (`settings` replaced as a unit). Either way the set's etag is bumped and instances not yet on the new model
 * become stale; no operation is started (the other writer's model update is assumed to be over by the next request).
 */
export interface ConcurrentWrite {
  readonly patch?: Readonly<Record<string, unknown>>;
  readonly extension?: { readonly name: string; readonly properties: Readonly<Record<string, unknown>> };
}

export interface FaultControls {
  /** The instance's next upgrade fails: its operation ends `Failed` (VMExtensionProvisioningError by default), the
   *  instance shows provisioningState Failed and the error in its instance view. */
  failUpgrade(
    instanceId: string,
    options?: { scaleSet?: string; code?: string; message?: string; times?: number },
  ): void;
  /** Instances that upgrade to this image (version, exactVersion or id) report vmHealth unhealthy afterwards. */
  unhealthyAfterUpgrade(image: string, options?: { scaleSet?: string; instanceIds?: readonly string[] }): void;
  /** The instance's next upgrade never finishes (stays Updating, its operation InProgress). */
  hangUpgrade(instanceId: string, options?: { scaleSet?: string }): void;
  /**
   * The next upgrade of the instance succeeds (operation and instance `Succeeded`) but leaves its OS image as it was:
   * it takes the rest of the model (extensions). The gate's case where only the instance's own facts tell the truth:
   * `latestModelApplied` false, and a Flexible VM's image differs from the model.
   */
  keepOldImage(instanceId: string, options?: { scaleSet?: string }): void;
  /** 429 with Retry-After (whole seconds, rounded up) and x-ms-retry-after-ms (exact), Azure's throttling body and
   *  x-ms-ratelimit-remaining-resource. `retryAfterSeconds` (default 1) is the wall-clock wait the client is told, not
   *  scaled by speed; `null`: neither header (the SDK's retry policy does not retry such a 429 at all). */
  throttle(match?: RequestMatch & { retryAfterSeconds?: number | null }): void;
  /** The request is held without an answer for `seconds` (real seconds; default: until the emulator stops), then
   *  handled and answered if the client is still there. Nothing of it is processed while it is held.
   *  `afterProcessing`: handled (a write applied) at once, and its answer held instead: a client that gives up
   *  meanwhile never learns that Azure took it. */
  hangRequest(match?: RequestMatch & { seconds?: number; afterProcessing?: boolean }): void;
  /** Runs `action` around a matching request (see TriggerMatch), e.g. to install another fault when a batch starts. */
  onRequest(at: TriggerMatch, action: () => void): void;
  /** Another writer changes the model around a matching request (see ConcurrentWrite, TriggerMatch). */
  concurrentWrite(write: ConcurrentWrite, at?: TriggerMatch & { scaleSet?: string }): void;
  /** The running operation matching `operation` (or, with `running: false` or none running, the next one started)
   *  ends `Failed` with `code` (default InternalExecutionError), at once or after `afterSeconds` simulated seconds. */
  failOperation(options?: {
    operation?: string;
    code?: string;
    message?: string;
    afterSeconds?: number;
    running?: boolean;
  }): void;
  /** 500 InternalServerError (the SDK retries these). */
  serverError(match?: RequestMatch): void;
  /** The connection is destroyed without a response (ECONNRESET on the client): before the request is processed,
   *  or with `afterProcessing` after it was (a write is applied, its answer lost). */
  dropConnection(match?: RequestMatch & { afterProcessing?: boolean }): void;
  /** 409 Conflict, as when another operation is running on the resource. */
  conflict(match?: RequestMatch): void;
  /** The next long-running operation started by `operation` (default: any) ends with OperationPreempted, and so
   *  does the one running now if there is one. */
  preemptOperation(options?: {
    operation?: string;
    status?: "Canceled" | "Failed";
    /** Simulated seconds (× speed) after which it ends, if still running. */
    afterSeconds?: number;
    /** false: leave a running one alone and end the next one started. Default true. */
    running?: boolean;
  }): void;
  /** Deletes the scale set now (or, with `at`, around a matching request): running operations end Canceled
   *  (OperationPreempted), later requests get 404. */
  deleteScaleSet(name?: string, at?: TriggerMatch): void;
  /** Every access token issued so far is rejected from now on (401 ExpiredAuthenticationToken). */
  expireTokens(): void;
  /**
   * 403 `AuthorizationFailed`, as ARM answers a request whose action the identity has no role for: "The client
   * '<oid>' with object id '<oid>' does not have authorization to perform action '<action>' over scope '<id>' or the
   * scope is invalid. If access was recently granted, please refresh your credentials." The action follows from the
   * operation (e.g. `Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action` for
   * `VirtualMachineScaleSets.UpdateInstances`), or `action` if given. Unlike the other request faults, `times`
   * defaults to every matching request: a missing role does not heal by itself.
   */
  authorizationFailed(match?: RequestMatch & { action?: string }): void;
  /**
   * Scale-in at a chosen moment: the instance is deleted just before a matching request is handled, as if autoscale
   * or a user removed it then — by default the next manualupgrade (`operation` `VirtualMachineScaleSets.UpdateInstances`)
   * on its scale set, after `after` others. The request itself goes on against the smaller set: a manualupgrade naming
   * the instance gets 400 InvalidParameter. Once only. See Emulator.deleteInstance.
   */
  scaleIn(instanceId: string, options?: { scaleSet?: string; operation?: string; after?: number }): void;
  /** Removes all pending faults. */
  clear(): void;
  /**
   * A hostile (or compromised) Azure: from now on the message of every ARM error answer ends with `text` (401, 403,
   * 404, 409, 429, 500 … bodies), as Azure's messages quote names, URLs and script output it does not control. Upgrade
   * failures and extension statuses take their own message (failUpgrade, setInstance). Until clear().
   */
  hostileMessages(text: string): void;
}

export interface Emulator {
  /** `https://127.0.0.1:<port>` */
  readonly armEndpoint: string;
  /** Same server; Entra routes live under `/{tenantId}/…`. */
  readonly authorityHost: string;
  readonly caPath: string;
  readonly caPem: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** azure/login-style JSON: {clientId, clientSecret, tenantId, subscriptionId, resourceManagerEndpointUrl}. */
  readonly creds: string;
  /** For ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly oidc: { readonly requestUrl: string; readonly requestToken: string };
  /** Environment for a child process running dist/index.js (see README). */
  env(scaleSet?: string, options?: { auth?: "creds" | "oidc" }): Record<string, string>;
  readonly requests: readonly RequestLogEntry[];
  /** ARM requests that write (PUT/PATCH/POST/DELETE); token endpoints excluded. */
  writes(): RequestLogEntry[];
  /** Requests per operation name, plus `Throttled` (429s sent). */
  counters(): Record<string, number>;
  state(scaleSet?: string): ScaleSetSnapshot;
  /** The scale sets it serves (not deleted), in seed order. */
  scaleSets(): {
    readonly name: string;
    readonly resourceGroup: string;
    readonly upgradeMode: string;
    readonly instances: number;
  }[];
  setInstance(scaleSet: string, instanceId: string, patch: InstancePatch): void;
  /**
   * Deletes an instance now (scale-in): it leaves lists and the instance view's counts, its GET answers 404 NotFound,
   * a manualupgrade naming it 400 InvalidParameter ("… is not an active Virtual Machine Scale Set VM instanceId.");
   * `sku.capacity` drops by one and the set's etag is bumped. A running operation that was upgrading it carries on with
   * the others.
   */
  deleteInstance(scaleSet: string, instanceId: string): void;
  /**
   * Every value the instance's provisioningState, powerState and health took since it was created, in order (its
   * starting values first): what an upgrade passed it through, however briefly, with nothing to sample.
   */
  instanceHistory(scaleSet: string, instanceId: string): InstanceStatusChange[];
  readonly faults: FaultControls;
  /** GitHub's Deployments API: its URL and token (env() sets GITHUB_API_URL and the github-token input), state, faults. */
  readonly github: GitHubApiControls;
  resetLog(): void;
  stop(): Promise<void>;
}

/** What the emulated GITHUB_TOKEN may do with deployments (`permissions: deployments: write|read|none`). */
export type GitHubPermission = "write" | "read" | "none";

/** A deployment status as GitHub's REST API returns it (the fields the emulator fills). */
export interface GitHubDeploymentStatus {
  readonly url: string;
  readonly id: number;
  readonly node_id: string;
  readonly state: string;
  readonly creator: { readonly login: string; readonly id: number; readonly type: string };
  readonly description: string;
  readonly environment: string;
  readonly target_url: string;
  readonly log_url: string;
  readonly environment_url: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deployment_url: string;
  readonly repository_url: string;
}

/** A deployment as GitHub's REST API returns it, plus what it was created with and its statuses (oldest first). */
export interface GitHubDeployment {
  readonly url: string;
  readonly id: number;
  readonly node_id: string;
  readonly sha: string;
  readonly ref: string;
  readonly task: string;
  readonly payload: unknown;
  readonly original_environment: string;
  readonly environment: string;
  readonly description: string | null;
  readonly creator: { readonly login: string; readonly id: number; readonly type: string };
  readonly created_at: string;
  readonly updated_at: string;
  readonly statuses_url: string;
  readonly repository_url: string;
  readonly transient_environment: boolean;
  readonly production_environment: boolean;
  /** As requested (not part of GitHub's response). */
  readonly auto_merge: boolean;
  readonly required_contexts: readonly string[] | null;
  readonly statuses: readonly GitHubDeploymentStatus[];
}

/** GitHub's Deployments API of the emulator (see README "GitHub's Deployments API"). */
export interface GitHubApiControls {
  /** GITHUB_API_URL for the action: `https://127.0.0.1:<port>/api/v3` (GitHub Enterprise Server's layout). */
  readonly apiUrl: string;
  /** The GITHUB_TOKEN the API accepts (`Authorization: token …` or `Bearer …`). */
  readonly token: string;
  /** `owner/repo` (default `octo/app`, as the e2e harness's GITHUB_REPOSITORY). */
  readonly repository: string;
  /** Every deployment created, oldest first, with its statuses. */
  deployments(): GitHubDeployment[];
  /** `read`: creating a deployment or status answers 403 "Resource not accessible by integration"; `none`: all do. */
  setPermission(permission: GitHubPermission): void;
  /** Commit status checks that failed: a deployment not created with `required_contexts: []` answers 409. */
  failStatusChecks(contexts: readonly string[]): void;
  /** Refs that exist (besides full SHAs); a deployment for another answers 422 "No ref found for". Default: all. */
  setRefs(refs: readonly string[] | undefined): void;
  /** Every API request is held `seconds` (real time; 0: answered at once) before it is answered. */
  holdRequests(seconds: number): void;
}
