// GitHub Actions' OIDC token endpoint as a runner offers it: GET ACTIONS_ID_TOKEN_REQUEST_URL (which already carries
// `?api-version=2.0`) plus `&audience=…`, with `Authorization: Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answers
// `{"value":"<jwt>"}` — what @actions/core's getIDToken() reads.
import { randomUUID } from "node:crypto";
import { GITHUB_ISSUER } from "./entra.ts";
import { json, type Incoming, type Reply } from "./http.ts";
import { signJwt, type KeyPair } from "./jwt.ts";

export const GITHUB_TOKEN_PATH =
  "/_apis/distributedtask/hubs/Actions/plans/7f3c2a1e-0000-4000-8000-000000000001/jobs/7f3c2a1e-0000-4000-8000-000000000002/idtoken";

export interface GitHubOidcConfig {
  readonly requestToken: string;
  /** `sub` claim of the tokens, e.g. `repo:octo/app:ref:refs/tags/v1`. */
  readonly subject: string;
  readonly lifetimeSeconds: number;
  readonly key: KeyPair;
}

export class GitHubOidc {
  private readonly config: GitHubOidcConfig;
  constructor(config: GitHubOidcConfig) {
    this.config = config;
  }

  handle(req: Incoming): Reply | undefined {
    if (req.path !== GITHUB_TOKEN_PATH || req.method !== "GET") return undefined;
    return { ...this.idToken(req), operation: "GitHub.IdToken" };
  }

  private idToken(req: Incoming): Reply {
    if (req.headers.authorization !== `Bearer ${this.config.requestToken}`) {
      return json(401, { message: "Unauthorized: the request token is not valid for this job." });
    }
    const repository = /^repo:([^:]+):/.exec(this.config.subject)?.[1] ?? "octo/app";
    const owner = repository.split("/")[0] ?? "octo";
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      jti: randomUUID(),
      sub: this.config.subject,
      aud: req.query.get("audience") ?? `https://github.com/${owner}`,
      ref: "refs/tags/v1",
      sha: "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c",
      repository,
      repository_owner: owner,
      run_id: "1234567890",
      run_number: "42",
      run_attempt: "1",
      repository_visibility: "private",
      actor: "octocat",
      workflow: "deploy",
      event_name: "push",
      ref_type: "tag",
      job_workflow_ref: `${repository}/.github/workflows/deploy.yml@refs/tags/v1`,
      runner_environment: "github-hosted",
      iss: GITHUB_ISSUER,
      nbf: now - 5,
      exp: now + this.config.lifetimeSeconds,
      iat: now,
    };
    return json(200, { value: signJwt(claims, this.config.key) });
  }
}
