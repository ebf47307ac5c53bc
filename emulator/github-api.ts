// GitHub's REST API for Deployments, the part a deployment action uses: create a deployment, add statuses, list both.
// Served under `/api/v3` (GitHub Enterprise Server's layout), so a client that ignores GITHUB_API_URL and calls
// api.github.com is noticed. Shapes and errors as documented:
//   https://docs.github.com/rest/deployments/deployments      (create: 201, 409 conflict, 422 validation failed)
//   https://docs.github.com/rest/deployments/statuses          (create: 201, 422; states, auto_inactive, 140 chars)
//   https://docs.github.com/rest/overview/troubleshooting-the-rest-api  (401 Requires authentication / Bad credentials)
// A GITHUB_TOKEN without `deployments: write` gets 403 "Resource not accessible by integration" (GitHub's answer to a
// job whose permissions block lacks the scope, and to fork pull requests and Dependabot, whose token is read-only).
// Assumed (not checked against GitHub): a description longer than 140 characters is refused with 422 rather than cut.
import { randomUUID } from "node:crypto";
import { json, type Incoming, type Reply } from "./http.ts";
import type { GitHubDeployment, GitHubDeploymentStatus, GitHubPermission } from "./types.ts";

export const GITHUB_API_PREFIX = "/api/v3";
const DOCS = "https://docs.github.com/rest/deployments";
const STATES = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"];
const SHA = /^[0-9a-f]{40}$/i;

export interface GitHubApiConfig {
  /** The token the API accepts (`Authorization: token …` or `Bearer …`), as a runner's GITHUB_TOKEN. */
  readonly token: string;
  /** `owner/repo` the token belongs to; other repositories answer 404. */
  readonly repository: string;
}

interface StoredDeployment {
  readonly deployment: Omit<GitHubDeployment, "statuses">;
  readonly statuses: GitHubDeploymentStatus[];
}

export class GitHubApi {
  private readonly config: GitHubApiConfig;
  readonly token: string;
  private readonly stored: StoredDeployment[] = [];
  private nextId = 1;
  /** What the token may do with deployments: `write` (default), `read` (creating is 403), `none` (all 403). */
  permission: GitHubPermission = "write";
  /** Commit status contexts that failed: a deployment without `required_contexts: []` is refused with 409. */
  failedContexts: string[] = [];
  /** Refs that exist besides full SHAs; undefined: every ref exists. A missing ref is refused with 422. */
  refs: readonly string[] | undefined;
  /** Every API request is held this many real seconds before it is answered (0: none): a GitHub that does not answer. */
  holdSeconds = 0;

  constructor(config: GitHubApiConfig) {
    this.config = config;
    this.token = config.token;
  }

  /** Every deployment, oldest first, with its statuses (oldest first). */
  deployments(): GitHubDeployment[] {
    return structuredClone(this.stored.map((s) => ({ ...s.deployment, statuses: s.statuses })));
  }

  /** Waits `holdSeconds` when the request is one of the API's (see handle). */
  async hold(req: Incoming): Promise<void> {
    if (this.holdSeconds <= 0 || !req.path.startsWith(`${GITHUB_API_PREFIX}/`)) return;
    await new Promise((resolve) => setTimeout(resolve, this.holdSeconds * 1000).unref());
  }

  handle(req: Incoming): Reply | undefined {
    if (!req.path.startsWith(`${GITHUB_API_PREFIX}/`)) return undefined;
    const path = req.path.slice(GITHUB_API_PREFIX.length);
    const match = /^\/repos\/([^/]+\/[^/]+)\/deployments(?:\/(\d+)(\/statuses)?)?$/.exec(path);
    const operation = !match
      ? "GitHub.Unknown"
      : match[3]
        ? req.method === "POST"
          ? "GitHub.CreateDeploymentStatus"
          : "GitHub.ListDeploymentStatuses"
        : match[2]
          ? "GitHub.GetDeployment"
          : req.method === "POST"
            ? "GitHub.CreateDeployment"
            : "GitHub.ListDeployments";
    return { ...this.reply(req, match, operation), operation };
  }

  private reply(req: Incoming, match: RegExpExecArray | null, operation: string): Reply {
    const auth = this.authenticate(req);
    if (auth) return auth;
    if (!match || match[1]?.toLowerCase() !== this.config.repository.toLowerCase()) return notFound();
    const write = req.method === "POST";
    if (!["GET", "POST"].includes(req.method) || (match[2] && !match[3] && write)) return notFound();
    if (this.permission === "none" || (write && this.permission === "read")) {
      return error(403, "Resource not accessible by integration", docFor(operation));
    }
    const id = match[2] === undefined ? undefined : Number(match[2]);
    const stored = id === undefined ? undefined : this.stored.find((s) => s.deployment.id === id);
    if (id !== undefined && !stored) return notFound();
    switch (operation) {
      case "GitHub.CreateDeployment":
        return this.create(req);
      case "GitHub.ListDeployments":
        return json(200, this.list(req.query));
      case "GitHub.GetDeployment":
        return json(200, stored!.deployment);
      case "GitHub.CreateDeploymentStatus":
        return this.addStatus(req, stored!);
      default:
        return json(200, [...stored!.statuses].reverse());
    }
  }

  private authenticate(req: Incoming): Reply | undefined {
    const header = req.headers.authorization;
    if (!header) return error(401, "Requires authentication", "https://docs.github.com/rest");
    const [scheme = "", token = ""] = header.split(" ");
    if (!["token", "bearer"].includes(scheme.toLowerCase()) || token !== this.config.token) {
      return error(401, "Bad credentials", "https://docs.github.com/rest");
    }
    return undefined;
  }

  private create(req: Incoming): Reply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ref = body["ref"];
    if (typeof ref !== "string" || ref === "") {
      return validationFailed("Deployment", "ref", "missing_field", "ref is missing", "create-a-deployment");
    }
    if (this.refs !== undefined && !SHA.test(ref) && !this.refs.includes(ref.replace(/^refs\/(heads|tags)\//, ""))) {
      return error(422, `No ref found for: ${ref}`, `${DOCS}/deployments#create-a-deployment`);
    }
    const required = body["required_contexts"];
    const checked = Array.isArray(required)
      ? this.failedContexts.filter((c) => required.includes(c))
      : this.failedContexts;
    if (checked.length > 0) {
      return json(409, {
        message: `Conflict: Commit status checks failed for ${ref}.`,
        errors: [
          {
            contexts: checked.map((context) => ({ context, state: "failure" })),
            resource: "Deployment",
            field: "required_contexts",
            code: "invalid",
          },
        ],
        documentation_url: `${DOCS}/deployments#create-a-deployment`,
      });
    }
    const environment = typeof body["environment"] === "string" ? body["environment"] : "production";
    const id = this.nextId++;
    const now = new Date().toISOString();
    const base = `${req.origin}${GITHUB_API_PREFIX}/repos/${this.config.repository}`;
    const deployment: StoredDeployment["deployment"] = {
      url: `${base}/deployments/${id}`,
      id,
      node_id: `DE_${randomUUID().replaceAll("-", "").slice(0, 16)}`,
      sha: SHA.test(ref) ? ref.toLowerCase() : "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c",
      ref,
      task: typeof body["task"] === "string" ? body["task"] : "deploy",
      payload: body["payload"] ?? {},
      original_environment: environment,
      environment,
      description: typeof body["description"] === "string" ? body["description"] : null,
      creator: BOT,
      created_at: now,
      updated_at: now,
      statuses_url: `${base}/deployments/${id}/statuses`,
      repository_url: base,
      transient_environment: body["transient_environment"] === true,
      production_environment:
        typeof body["production_environment"] === "boolean"
          ? body["production_environment"]
          : environment === "production",
      auto_merge: body["auto_merge"] !== false,
      required_contexts: Array.isArray(required) ? required.map(String) : null,
    };
    this.stored.push({ deployment, statuses: [] });
    return json(201, deployment);
  }

  private list(query: URLSearchParams): Array<StoredDeployment["deployment"]> {
    const filters = ["sha", "ref", "task", "environment"] as const;
    return this.stored
      .map((s) => s.deployment)
      .filter((d) => filters.every((f) => !query.has(f) || String(d[f]) === query.get(f)))
      .reverse();
  }

  private addStatus(req: Incoming, stored: StoredDeployment): Reply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const state = body["state"];
    const doc = "create-a-deployment-status";
    if (typeof state !== "string" || !STATES.includes(state)) {
      return validationFailed("DeploymentStatus", "state", "custom", "state is not included in the list", doc);
    }
    const description = typeof body["description"] === "string" ? body["description"] : "";
    if (description.length > 140) {
      return validationFailed(
        "DeploymentStatus",
        "description",
        "custom",
        "description is too long (maximum is 140 characters)",
        doc,
      );
    }
    const status = this.status(stored, state, {
      description,
      log_url: str(body["log_url"]) ?? str(body["target_url"]) ?? "",
      environment_url: str(body["environment_url"]) ?? "",
      environment: str(body["environment"]) ?? stored.deployment.environment,
    });
    // auto_inactive (default true): earlier successful deployments to the same environment become inactive.
    if (state === "success" && body["auto_inactive"] !== false && !stored.deployment.transient_environment) {
      for (const other of this.stored) {
        if (other === stored || other.deployment.environment !== stored.deployment.environment) continue;
        if (other.deployment.production_environment || other.statuses.at(-1)?.state !== "success") continue;
        this.status(other, "inactive", { description: "", log_url: "", environment_url: "", environment: "" });
      }
    }
    return json(201, status);
  }

  private status(
    stored: StoredDeployment,
    state: string,
    fields: { description: string; log_url: string; environment_url: string; environment: string },
  ): GitHubDeploymentStatus {
    const id = this.nextId++;
    const now = new Date().toISOString();
    const status: GitHubDeploymentStatus = {
      url: `${stored.deployment.url}/statuses/${id}`,
      id,
      node_id: `DES_${randomUUID().replaceAll("-", "").slice(0, 16)}`,
      state,
      creator: BOT,
      description: fields.description,
      environment: fields.environment || stored.deployment.environment,
      target_url: fields.log_url,
      log_url: fields.log_url,
      environment_url: fields.environment_url,
      created_at: now,
      updated_at: now,
      deployment_url: stored.deployment.url,
      repository_url: stored.deployment.repository_url,
    };
    stored.statuses.push(status);
    return status;
  }
}

const BOT = { login: "github-actions[bot]", id: 41898282, type: "Bot" };

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function error(status: number, message: string, documentation: string): Reply {
  return json(status, { message, documentation_url: documentation, status: String(status) });
}

function notFound(): Reply {
  return error(404, "Not Found", "https://docs.github.com/rest");
}

function validationFailed(resource: string, field: string, code: string, message: string, doc: string): Reply {
  return json(422, {
    message: "Validation Failed",
    errors: [{ resource, code, field, message }],
    documentation_url: `${DOCS}/${doc.includes("status") ? "statuses" : "deployments"}#${doc}`,
    status: "422",
  });
}

function docFor(operation: string): string {
  if (operation === "GitHub.CreateDeployment") return `${DOCS}/deployments#create-a-deployment`;
  if (operation === "GitHub.CreateDeploymentStatus") return `${DOCS}/statuses#create-a-deployment-status`;
  if (operation === "GitHub.ListDeploymentStatuses") return `${DOCS}/statuses#list-deployment-statuses`;
  return `${DOCS}/deployments#list-deployments`;
}
