import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import {
  deploymentRef,
  deploymentRequest,
  deploymentStatus,
  finalState,
  isProductionEnvironment,
  statusDescription,
} from "../../../src/domain/deployment.ts";
import type { Config } from "../../../src/config/types.ts";

const SHA = "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c";
const ENV = {
  GITHUB_REPOSITORY: "octo/app",
  GITHUB_SHA: SHA,
  GITHUB_REF: "refs/tags/v1.4.0",
  GITHUB_RUN_ID: "42",
  GITHUB_RUN_ATTEMPT: "2",
  GITHUB_SERVER_URL: "https://github.com",
};

function config(inputs: Record<string, string> = {}, env: Record<string, string> = ENV): Config {
  const all: Record<string, string> = {
    "subscription-id": "11111111-2222-3333-4444-555555555555",
    "resource-group": "rg-web",
    "scale-set": "vmss-web",
    "image-version": "v1.4.0",
    "deployment-environment": "production",
    "github-token": "ghs_token123456",
    ...inputs,
  };
  return parseConfig((name) => all[name] ?? "", env);
}

describe("the GitHub deployment of a rollout", () => {
  it.each([
    ["succeeded", "success"],
    ["unchanged", "success"],
    ["failed", "failure"],
    ["rolled-back", "failure"],
    ["cancelled", "error"],
  ] as const)("a %s run ends %s", (result, state) => {
    expect(finalState(result)).toBe(state);
  });

  it.each([
    ["production", true],
    ["Production", true],
    ["prod", true],
    ["prod-westeurope", true],
    ["eu-production", true],
    ["staging", false],
    ["product-demo", false],
    ["preprod", false],
    // Words around it that say it is not production (before, each of these was flagged production).
    ["non-prod", false],
    ["pre-prod", false],
    ["pre-production", false],
    ["not_prod", false],
    ["prod-like", false],
    ["eu-prod-blue", true],
    ["no-prod", true], // Norway's production, not "no production"
  ])("environment %s is production: %s", (name, production) => {
    expect(isProductionEnvironment(name)).toBe(production);
  });

  it.each([
    [{ ref: "refs/tags/v1.4.0", sha: SHA }, "v1.4.0"],
    [{ ref: "refs/heads/main", sha: SHA }, SHA],
    [{ ref: "refs/pull/7/merge", sha: SHA }, SHA],
    [
      { ref: "refs/pull/7/merge", sha: SHA, pullRequestHeadSha: "0123456789abcdef0123456789abcdef01234567" },
      "0123456789abcdef0123456789abcdef01234567",
    ],
    [{ sha: SHA }, SHA],
  ])("ref of %j is %s", (github, ref) => {
    expect(deploymentRef(github)).toBe(ref);
  });

  it.each([
    ["short", "short"],
    ["  two\n lines ", "two lines"],
    ["x".repeat(140), "x".repeat(140)],
    ["x".repeat(200), `${"x".repeat(139)}…`],
    // Counted by character, cut between characters: before, an emoji at the cut was split into a lone surrogate.
    [`${"x".repeat(138)}🚀🚀🚀`, `${"x".repeat(138)}🚀…`],
    ["🚀".repeat(140), "🚀".repeat(140)],
  ])("description %#: at most 140 characters", (text, description) => {
    expect(statusDescription(text)).toBe(description);
    expect([...statusDescription(text)].length).toBeLessThanOrEqual(140);
    expect(statusDescription(text)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone high surrogate
  });

  it("is created for the tag with the scale set, the change and the previous model, without SAS queries", () => {
    const request = deploymentRequest(
      config({
        "image-version": "",
        "extension-name": "cse",
        "extension-file-uris": "https://a.blob.core.windows.net/c/run.sh?sv=1&sig=SECRETSIG123",
      }),
      { imageReference: { version: "1.3.0" } },
    );
    expect(request).toMatchObject({ ref: "v1.4.0", environment: "production", productionEnvironment: true });
    expect(request.payload.scaleSet).toMatchObject({ name: "vmss-web", resourceGroup: "rg-web", cloud: "AzureCloud" });
    expect(request.payload.previousModel).toEqual({ imageReference: { version: "1.3.0" } });
    expect(JSON.stringify(request)).not.toContain("SECRETSIG123");
    expect(JSON.stringify(request)).not.toContain("ghs_token123456");
  });

  it("a rollback run carries the values it restores (from the rollout record), not the empty change inputs", () => {
    const request = deploymentRequest(
      config({ "image-version": "", rollback: "true" }),
      { imageReference: { version: "1.4.0" } },
      { imageVersion: "1.3.0" },
    );
    expect(request.description).toBe("rollback of the last change to scale set vmss-web");
    expect(request.payload.change).toEqual({ imageVersion: "1.3.0" });
    expect(request.payload.previousModel).toEqual({ imageReference: { version: "1.4.0" } });
  });

  it("statuses link this run's attempt and the scale set in the portal of its cloud", () => {
    const status = deploymentStatus(config({ environment: "AzureUSGovernment" }), "success", "Rollout succeeded");
    expect(status).toEqual({
      state: "success",
      description: "Rollout succeeded",
      logUrl: "https://github.com/octo/app/actions/runs/42/attempts/2",
      environmentUrl:
        "https://portal.azure.us/#resource/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web/overview",
    });
  });
});
