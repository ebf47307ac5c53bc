// The only module that imports @actions/github (Octokit): GitHub's Deployments API behind the DeploymentsApi port.
// The API URL comes from the run (GITHUB_API_URL), so GitHub Enterprise Server works as github.com does.

import { format } from "node:util";
import { getOctokit } from "@actions/github";
import { errorLine } from "../domain/error-text.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../engine/ports.ts";
import { DeploymentTracker, GitHubApiError, type DeploymentsApi } from "./tracker.ts";

/** A GitHub call that gets no answer in this time fails (as a warning): it must never hold the job up. */
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Once the job is cancelled, every GitHub call still waiting, and every one after, ends this long after the cancel: the
 * runner kills a cancelled step 7.5 s after SIGINT, and the job summary and outputs, written after the deployment's
 * final status, must be out by then.
 */
const CANCELLED_GRACE_MS = 2_000;

/** The tracker for this run; undefined when no deployment is asked for, or for a dry run (which writes nothing). */
export function trackDeployment(config: Config, log: Logger, cancelled?: AbortSignal): DeploymentTracker | undefined {
  if (!config.deployment || !config.github || config.rollout.dryRun) return undefined;
  return new DeploymentTracker(config, octokitDeployments(config, cancelled, log), log);
}

/**
 * Octokit's own log, through the run's gated logger. Without one, Octokit writes `warn` and `error` with console.warn
 * and console.error: to stderr, where the runner reads workflow commands, and unredacted. @octokit/request's
 * deprecation notice quotes the response's `Sunset` and `Link` headers, which the server chooses (`##[stop-commands]…`).
 * `debug` and `info` go nowhere (Octokit's defaults too). `warn` (deprecations) becomes a log line, not an annotation:
 * nothing the user could act on; `error` a warning: a GitHub failure never fails the run (see tracker.ts).
 * @octokit/request does not read Octokit's `log` but its request options' `request.log` (else `console`), so each call
 * passes it there too; it is not set in getOctokit's `request`, which would replace @actions/github's proxy settings.
 */
export function octokitLog(log: Logger | undefined) {
  const line = (args: unknown[]) => `GitHub API: ${format(...args)}`;
  return {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => log?.info(line(args)),
    error: (...args: unknown[]) => log?.warning(line(args)),
  };
}

/**
 * `cancelled`: the job's cancellation; GitHub calls end CANCELLED_GRACE_MS after it. `log`: the run's gated logger
 * (none: Octokit's own messages are dropped, never written to the console).
 */
export function octokitDeployments(config: Config, cancelled?: AbortSignal, log?: Logger): DeploymentsApi {
  const github = config.github!;
  const octokitLogger = octokitLog(log);
  const octokit = getOctokit(config.deployment!.token, { baseUrl: github.apiUrl, log: octokitLogger });
  const [owner = "", repo = ""] = github.repository.split("/");
  const cutoff = cancelled && graceAfter(cancelled, CANCELLED_GRACE_MS);
  const call = async <T>(request: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      return await request(cutoff ? AbortSignal.any([timeout, cutoff]) : timeout);
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      throw new GitHubApiError(typeof status === "number" ? status : 0, errorLine(err));
    }
  };
  return {
    async createDeployment(request) {
      const response = await call((signal) =>
        octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref: request.ref,
          environment: request.environment,
          description: request.description,
          auto_merge: false,
          required_contexts: [],
          production_environment: request.productionEnvironment,
          transient_environment: false,
          payload: request.payload as unknown as Record<string, unknown>,
          request: { signal, log: octokitLogger },
        }),
      );
      // 202 is GitHub's answer when it merged the default branch into the ref instead (auto_merge, off here).
      const data = response.data;
      if ("id" in data) {
        // The ID is printed (log, summary link label) and sent back in a URL path: a positive integer or refused.
        const id: unknown = data.id;
        if (typeof id === "number" && Number.isSafeInteger(id) && id > 0) return id;
        throw new GitHubApiError(response.status, "GitHub answered without a valid deployment ID");
      }
      throw new GitHubApiError(response.status, `no deployment created: ${data.message ?? ""}`);
    },
    async createStatus(deploymentId, status) {
      await call((signal) =>
        octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: deploymentId,
          state: status.state,
          description: status.description,
          environment_url: status.environmentUrl,
          ...(status.logUrl !== undefined && { log_url: status.logUrl }),
          request: { signal, log: octokitLogger },
        }),
      );
    },
  };
}

/** A signal that aborts `ms` after `signal` does (at once `ms` from now when it already has). */
function graceAfter(signal: AbortSignal, ms: number): AbortSignal {
  if (signal.aborted) return AbortSignal.timeout(ms);
  const grace = new AbortController();
  signal.addEventListener("abort", () => setTimeout(() => grace.abort(signal.reason), ms).unref(), { once: true });
  return grace.signal;
}
