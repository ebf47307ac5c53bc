// The only module that imports @actions/github (Octokit): GitHub's Deployments API behind the DeploymentsApi port.
// The API URL comes from the run (GITHUB_API_URL), so GitHub Enterprise Server works as github.com does.

import { format } from "node:util";
import { getOctokit } from "@actions/github";
import { errorLine, isAbort } from "../domain/error-text.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../engine/ports.ts";
import { DeploymentTracker, GitHubApiError, type DeploymentsApi } from "./tracker.ts";

/** A GitHub call that gets no answer in this time fails (as a warning): it must never hold the job up. */
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Once the job is cancelled, every GitHub call ends this long after the cancel at the latest, however many there are
 * (the tracker sends them one after the other: a pending in_progress or the deployment's creation, then the final
 * status): the job summary and outputs are written after the last, and the action means to end within 5 s of the
 * cancel (issue #18; `npm run bench:cancel` measures it). The run's own final steps are over 4 s after the cancel at the
 * latest (engine/run.ts CANCELLED_FINAL_MS), so the final status, sent after them, always gets half a second or more
 * (a GitHub call answers in a few hundred ms). Before, a call started after the cancel got at least 1 s and calls
 * could go on to 6.5 s after it: a GitHub that answered slowly kept a cancelled run up to 5.8 s (a review,
 * 2026-12-07).
 */
export const CANCELLED_GRACE_MS = 4_500;

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
function octokitLog(log: Logger | undefined) {
  const line = (args: unknown[]) => `GitHub API: ${format(...args)}`;
  return {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => log?.info(line(args)),
    error: (...args: unknown[]) => log?.warning(line(args)),
  };
}

/**
 * `cancelled`: the job's cancellation; GitHub calls end after it as cancelCutoff says. `log`: the run's gated logger
 * (none: Octokit's own messages are dropped, never written to the console).
 */
export function octokitDeployments(config: Config, cancelled?: AbortSignal, log?: Logger): DeploymentsApi {
  const github = config.github!;
  const octokitLogger = octokitLog(log);
  const octokit = getOctokit(config.deployment!.token, { baseUrl: github.apiUrl, log: octokitLogger });
  const [owner = "", repo = ""] = github.repository.split("/");
  const cutoff = cancelled && cancelCutoff(cancelled);
  const call = async <T>(request: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      return await request(cutoff ? AbortSignal.any([timeout, cutoff]) : timeout);
    } catch (err) {
      // @octokit/request gives a request that got no answer (the timeout's TimeoutError, a network failure) status
      // 500, as if GitHub had failed; only an error with GitHub's response carries GitHub's status. No response: 0.
      const { status, response } = err as { status?: unknown; response?: unknown };
      const answered = typeof status === "number" && response !== undefined && !isAbort(err);
      throw new GitHubApiError(answered ? status : 0, errorLine(err));
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

/**
 * The signal that ends every GitHub call once the job is cancelled: CANCELLED_GRACE_MS after the cancel (a call
 * started later is ended at once). One timer for the run, whatever the calls.
 */
export function cancelCutoff(cancelled: AbortSignal): AbortSignal {
  const ends = new AbortController();
  const arm = (): void => {
    setTimeout(() => ends.abort(cancelled.reason), CANCELLED_GRACE_MS).unref?.();
  };
  if (cancelled.aborted) arm();
  else cancelled.addEventListener("abort", arm, { once: true });
  return ends.signal;
}
