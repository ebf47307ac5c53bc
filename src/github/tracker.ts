// The rollout as a GitHub deployment: created when Azure accepted the run's first write (so its payload holds the model
// it replaces, as the record says it: not before, when Azure's answer may show the write was not this run's),
// `in_progress` then, and a final status when the run ends. Every GitHub failure is one warning: recording the
// deployment never fails or delays the rollout. Talks to GitHub through the DeploymentsApi port (deployments.ts).

import {
  deploymentRequest,
  deploymentStatus,
  type DeploymentRequest,
  type DeploymentStatus,
} from "../domain/deployment.ts";
import { errorLine } from "../domain/error-text.ts";
import type { ChangeRequest, Config } from "../config/types.ts";
import type { DeploymentRecord, DeploymentState, PreviousModel } from "../domain/record.ts";
import type { Logger } from "../engine/ports.ts";

/** The port: GitHub's Deployments API (implemented with Octokit in deployments.ts; by fakes in unit tests). */
export interface DeploymentsApi {
  /** Creates the deployment; resolves with its ID. */
  createDeployment(request: DeploymentRequest): Promise<number>;
  createStatus(deploymentId: number, status: DeploymentStatus): Promise<void>;
}

/** An error from GitHub's API: its HTTP status (0: no answer) and message. */
export class GitHubApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "GitHubApiError";
    this.status = status;
  }
}

export class DeploymentTracker {
  private readonly config: Config;
  private readonly api: DeploymentsApi;
  private readonly log: Logger;
  private readonly environment: string;
  private id: number | undefined;
  private readonly statuses: DeploymentState[] = [];
  private warning: string | undefined;
  /** The GitHub calls so far, one after the other; never rejects. */
  private chain: Promise<void> = Promise.resolve();
  private created = false;
  private writing = false;
  /** finish() was called: an in_progress status not sent yet is not sent (the final status follows it). */
  private ended = false;

  constructor(config: Config, api: DeploymentsApi, log: Logger) {
    this.config = config;
    this.api = api;
    this.log = log;
    this.environment = config.deployment?.environment ?? "";
  }

  /** Azure accepted the first write: create the deployment and set it in_progress, without holding the rollout up. */
  writeStarted(previousModel: PreviousModel | undefined, change: ChangeRequest = this.config.change): void {
    if (this.writing) return;
    this.writing = true;
    this.enqueue(async () => {
      await this.create(previousModel, change);
      // The run may have ended while the deployment was being created (a slow GitHub, a cancel): then the final
      // status, sent next, gets the time an in_progress would have taken. After a cancel the calls share 4.5 s.
      if (!this.ended) await this.status("in_progress", `Rolling out to scale set ${this.config.target.scaleSet}`);
    });
  }

  /**
   * The run ended: its final status (created first when no write ever started: a refusal, nothing to change).
   * Resolves with what was recorded, once GitHub answered (or failed).
   */
  async finish(
    state: DeploymentState,
    description: string,
    previousModel: PreviousModel | undefined,
  ): Promise<DeploymentRecord> {
    this.ended = true;
    this.enqueue(async () => {
      await this.create(previousModel);
      await this.status(state, description);
    });
    await this.chain;
    return {
      environment: this.environment,
      ...(this.id !== undefined && { id: this.id }),
      statuses: [...this.statuses],
      ...(this.warning !== undefined && { warning: this.warning }),
    };
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.warn(err));
  }

  /** `change`: what the run writes; the change inputs when no write started (for `rollback: true`, none). */
  private async create(previousModel: PreviousModel | undefined, change = this.config.change): Promise<void> {
    if (this.created) return;
    this.created = true;
    const request = deploymentRequest(this.config, previousModel, change);
    this.id = await this.api.createDeployment(request);
    this.log.info(`GitHub deployment ${this.id} created in environment '${this.environment}' for ${request.ref}.`);
  }

  private async status(state: DeploymentState, description: string): Promise<void> {
    if (this.id === undefined) return; // creating it failed: warned already
    await this.api.createStatus(this.id, deploymentStatus(this.config, state, description));
    this.statuses.push(state);
    this.log.info(`GitHub deployment ${this.id}: ${state}.`);
  }

  /** One warning per run: the first failure says what and how to fix it; later ones are logged only. */
  private warn(err: unknown): void {
    const status = err instanceof GitHubApiError ? err.status : 0;
    const what = `${status ? `${status} ` : ""}${errorLine(err)}`;
    if (this.warning !== undefined) {
      this.log.info(`GitHub deployment: ${what}`);
      return;
    }
    // A 403 is a missing permission unless GitHub says it is a rate limit (docs.github.com, "Rate limits for the REST
    // API": 403 or 429 with "rate limit" in the message).
    const rateLimited = status === 429 || (status === 403 && /rate limit/i.test(what));
    const hint = rateLimited
      ? " GitHub's API rate limit was reached: the deployment's later statuses may be missing."
      : status === 403
        ? " The token cannot write deployments: add `permissions: deployments: write` to the job (pull requests from forks and Dependabot runs only get a read-only token)."
        : status === 401
          ? " Check github-token."
          : "";
    this.warning =
      `Could not record the rollout as a GitHub deployment in environment '${this.environment}' (${what}).${hint} ` +
      "The rollout itself is not affected.";
    this.log.warning(this.warning, "GitHub deployment not recorded");
  }
}
