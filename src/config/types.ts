// The configuration: one immutable Config, built by the one input parser (inputs.ts). Plain data.

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
  /** Platform image version (`16.04.201801090`, `latest`; a tag's leading `v` already dropped). Exclusive with imageId. */
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
  /** How long the run's lease on the scale set lasts unless renewed (renewed every third of it while the run works). */
  readonly leaseDurationMs: number;
  /** How long to wait for another run's lease to end before failing; 0: fail at once. */
  readonly leaseWaitMs: number;
  readonly dryRun: boolean;
  /**
   * The batch options set to something other than action.yml's default (the parser, which holds the defaults, says
   * which): Azure ignores them where it rolls a change itself, and the run warns about those a user chose.
   */
  readonly nonDefaultBatchOptions?: readonly BatchOption[];
}

/** The rollout options that shape the action's own batches (no effect in Automatic or Rolling mode). */
export type BatchOption = "batch-size" | "canary" | "max-unhealthy" | "pause-between-batches";

export interface Target {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly scaleSet: string;
}

/** The shortest lease-duration: the lease is renewed every third of it, so at most every 10 s. */
export const MIN_LEASE_MS = 30_000;

/** The workflow run, from the runner's GITHUB_* variables: what is released, and where the run can be seen. */
export interface GitHubContext {
  /** e.g. https://github.com (GitHub Enterprise Server: its own host), no trailing slash. */
  readonly serverUrl: string;
  /** e.g. https://api.github.com (GitHub Enterprise Server: https://HOST/api/v3), no trailing slash. */
  readonly apiUrl: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** Full ref, e.g. `refs/tags/v1.4.0`; undefined when the runner set none. */
  readonly ref?: string;
  /** Full commit SHA. */
  readonly sha?: string;
  /** A pull request event's head commit (GITHUB_SHA is then GitHub's merge commit, on no branch). */
  readonly pullRequestHeadSha?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
  readonly workflow?: string;
}

/** `deployment-environment`: record the rollout as a GitHub deployment in this environment. */
export interface DeploymentConfig {
  /** GitHub environment name, as given. */
  readonly environment: string;
  /** `github-token`: a secret (also in Config.secrets). */
  readonly token: string;
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
  /**
   * `rollback: true`: the change comes from the rollout record on the scale set (its last change, undone), and
   * `change` is empty. Absent for a rollout.
   */
  readonly rollback?: boolean;
  /** The workflow run; undefined outside GitHub Actions (no GITHUB_REPOSITORY). */
  readonly github?: GitHubContext;
  /** Set by `deployment-environment`. */
  readonly deployment?: DeploymentConfig;
  /** What the parser read differently from how it was written (a release tag `v1.4.0` taken as `1.4.0`), to log. */
  readonly notes?: readonly string[];
  /**
   * Inputs that are accepted but do nothing as given (an `audience` without OIDC, say), to log as warnings once, before
   * the run starts. Never a failure: a workflow that passed keeps passing. No secret is ever part of one.
   */
  readonly warnings?: readonly InputWarning[];
}

/** A warning about the inputs alone (Config.warnings): what is ignored or repeated, and what to do about it. */
export interface InputWarning {
  readonly message: string;
  readonly title: string;
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

/** The longest input value an error message echoes whole. */
const MAX_ECHOED_CHARS = 80;

/**
 * `force-update-tag: auto`'s value: one per workflow run, the same for its re-run attempts (config/inputs.ts), which
 * the warnings recognise as the run's own (domain/option-warnings.ts).
 */
export function autoForceUpdateTag(runId: string): string {
  return `github-run-${runId}`;
}

/** An input value as an error message echoes it: quoted, cut after MAX_ECHOED_CHARS characters (with its length). */
export function quoted(value: string): string {
  const chars = Array.from(value);
  if (chars.length <= MAX_ECHOED_CHARS) return `'${value}'`;
  return `'${chars.slice(0, MAX_ECHOED_CHARS).join("")}…' (${chars.length} characters)`;
}

/** The ways to sign in, for messages that say what to do instead (the parser's refusals, the adapter's sign-in failures). */
export const SIGN_IN_WAYS =
  "`creds` (azure/login's service principal JSON), " +
  "OIDC (`client-id` + `tenant-id`, and `permissions: id-token: write`), " +
  "`auth: azure-cli` (an earlier azure/login step), " +
  "`auth: managed-identity` (on a self-hosted runner in Azure)";

/** Why a job gets no GitHub OIDC token, and the fix. */
export const ID_TOKEN_PERMISSION =
  "this job cannot request a GitHub OIDC token: add `permissions: id-token: write` to the workflow or job " +
  "(pull requests from forks never get one)";
