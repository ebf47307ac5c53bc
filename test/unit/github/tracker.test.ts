import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import { DeploymentTracker, GitHubApiError, type DeploymentsApi } from "../../../src/github/tracker.ts";
import type { DeploymentRequest, DeploymentStatus } from "../../../src/domain/deployment.ts";
import type { Logger } from "../../../src/engine/ports.ts";

const config = parseConfig(
  (name) =>
    ({
      "subscription-id": "11111111-2222-3333-4444-555555555555",
      "resource-group": "rg-web",
      "scale-set": "vmss-web",
      "image-version": "1.4.0",
      "deployment-environment": "production",
      "github-token": "ghs_token123456",
    })[name] ?? "",
  { GITHUB_REPOSITORY: "octo/app", GITHUB_SHA: "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c", GITHUB_RUN_ID: "1" },
);

/** GitHub as the tracker sees it: records calls; fails the ones named in `fail`. */
function fakeGitHub(fail: { create?: number; status?: number; message?: string } = {}) {
  const calls: string[] = [];
  const api: DeploymentsApi = {
    createDeployment(request: DeploymentRequest) {
      calls.push(`create ${request.ref}`);
      if (fail.create)
        return Promise.reject(
          new GitHubApiError(fail.create, fail.message ?? "Resource not accessible by integration"),
        );
      return Promise.resolve(7);
    },
    createStatus(id: number, status: DeploymentStatus) {
      calls.push(`status ${id} ${status.state}`);
      if (fail.status) return Promise.reject(new GitHubApiError(fail.status, "Server Error"));
      return Promise.resolve();
    },
  };
  return { api, calls };
}

function logger() {
  const warnings: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warning: (message) => void warnings.push(message),
    error: () => {},
    notice: () => {},
    startGroup: () => {},
    endGroup: () => {},
  };
  return { log, warnings };
}

describe("DeploymentTracker", () => {
  it.each([
    {
      name: "a rollout that writes",
      writes: 2,
      fail: {},
      calls: ["create 8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c", "status 7 in_progress", "status 7 success"],
      recorded: { environment: "production", id: 7, statuses: ["in_progress", "success"] },
      warnings: 0,
    },
    {
      name: "a run that never writes",
      writes: 0,
      fail: {},
      calls: ["create 8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c", "status 7 success"],
      recorded: { environment: "production", id: 7, statuses: ["success"] },
      warnings: 0,
    },
    {
      name: "a token without deployments: write (403)",
      writes: 1,
      fail: { create: 403 },
      calls: ["create 8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c"],
      recorded: { environment: "production", statuses: [] },
      warnings: 1,
    },
    {
      name: "statuses refused (500)",
      writes: 1,
      fail: { status: 500 },
      calls: ["create 8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c", "status 7 in_progress", "status 7 success"],
      recorded: { environment: "production", id: 7, statuses: [] },
      warnings: 1,
    },
    {
      // The run ended before GitHub answered the deployment's creation: the final status comes next, no in_progress
      // before it (after a cancel, every GitHub call must be over 4.5 s after it).
      name: "a run that ends while the deployment is being created",
      writes: 1,
      endsAtOnce: true,
      fail: {},
      calls: ["create 8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c", "status 7 success"],
      recorded: { environment: "production", id: 7, statuses: ["success"] },
      warnings: 0,
    },
  ])("$name: $calls", async ({ writes, endsAtOnce, fail, calls, recorded, warnings }) => {
    const github = fakeGitHub(fail);
    const { log, warnings: warned } = logger();
    const tracker = new DeploymentTracker(config, github.api, log);
    for (let i = 0; i < writes; i++) tracker.writeStarted({ imageReference: { version: "1.3.0" } });
    // The rollout's work between its first write and its end: GitHub has answered what was sent meanwhile.
    if (!endsAtOnce) await new Promise((resolve) => setTimeout(resolve, 0));
    const result = await tracker.finish("success", "Rollout succeeded", undefined);
    expect(github.calls).toEqual(calls);
    expect(result).toMatchObject(recorded);
    expect(warned).toHaveLength(warnings);
    if (warnings > 0) expect(result.warning).toBe(warned[0]);
  });

  it.each([
    { name: "a missing permission", message: undefined, permissionHint: true },
    // A rate limit is a 403 too (docs.github.com "Rate limits for the REST API"): no permission is missing there.
    { name: "a rate limit", message: "API rate limit exceeded for installation ID 1.", permissionHint: false },
  ])("a 403 for $name: the warning names the permission only when it is one", async ({ message, permissionHint }) => {
    const { log, warnings } = logger();
    const tracker = new DeploymentTracker(
      config,
      fakeGitHub({ create: 403, ...(message !== undefined && { message }) }).api,
      log,
    );
    await tracker.finish("success", "Rollout succeeded", undefined);
    expect(warnings[0]).toContain("403");
    expect(warnings[0]?.includes("deployments: write")).toBe(permissionHint);
  });
});
