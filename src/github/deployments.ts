// The only module that imports @actions/github (Octokit): GitHub's Deployments API behind the DeploymentsApi port.
// The API URL comes from the run (GITHUB_API_URL), so GitHub Enterprise Server works as github.com does.

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
  return new DeploymentTracker(config, octokitDeployments(config, cancelled), log);
}

/** `cancelled`: the job's cancellation; GitHub calls end CANCELLED_GRACE_MS after it. */
export function octokitDeployments(config: Config, cancelled?: AbortSignal): DeploymentsApi {
  const github = config.github!;
  const octokit = getOctokit(config.deployment!.token, { baseUrl: github.apiUrl });
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
          request: { signal },
        }),
      );
      // 202 is GitHub's answer when it merged the default branch into the ref instead (auto_merge, off here).
      const data = response.data;
      if ("id" in data) return data.id;
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
          request: { signal },
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
