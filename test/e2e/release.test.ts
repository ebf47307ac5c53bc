// Issue 14 acceptance: a release workflow as written (tag push, `image-version: ${{ github.ref_name }}`) rolls out
// the version the tag names and is recorded as a GitHub deployment, run as dist/index.js against the emulator (which
// serves GitHub's Deployments API too).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAction, startAction } from "./harness.ts";
import {
  emulator,
  expectExit,
  expectNoSecrets,
  FAST,
  manualUpgrades,
  record,
  requestLog,
  writesTo,
} from "./fixtures.ts";

const RUN_URL = "https://github.com/octo/app/actions/runs/1234567890/attempts/1";
const TAG = { GITHUB_REF: "refs/tags/v1.4.0" };
/** The release these tests roll out: tag v1.4.0 to vmss-web, recorded as a deployment to `production`. */
const RELEASE = {
  scaleSet: "vmss-web",
  inputs: { ...FAST, "image-version": "v1.4.0", "deployment-environment": "production" },
  env: TAG,
};

describe("a release tag as the version", () => {
  it("image-version: v1.4.0 rolls out image version 1.4.0 and says so in the log", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    const result = await runAction({
      emu,
      scaleSet: "vmss-web",
      inputs: { ...FAST, "image-version": "v1.4.0" },
      env: { GITHUB_REF: "refs/tags/v1.4.0" },
    });

    expectExit(result, 0);
    const modelWrites = writesTo(emu, /\/virtualMachineScaleSets\/vmss-web$/i);
    expect(modelWrites).toHaveLength(1);
    expect(JSON.stringify(modelWrites[0]?.body)).toContain('"version":"1.4.0"');
    expect(emu.state("vmss-web").instances.map((i) => i.imageReference["version"])).toEqual(["1.4.0", "1.4.0"]);
    expect(record(result).changes.map((c) => c.after)).toContain("1.4.0");
    expect(result.stdout).toMatch(/v1\.4\.0.*1\.4\.0/);
  });

  it("image-id .../versions/v1.1.0 (the README's gallery example) rolls out gallery image version 1.1.0", async () => {
    const gallery =
      "/subscriptions/6f1c8e2a-3b4d-4c5e-9f60-7a8b9c0d1e2f/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galApps/images/web";
    const emu = await emulator({
      scaleSets: [{ name: "vmss-gal", instances: 2, image: { id: `${gallery}/versions/1.0.0` } }],
    });
    const result = await runAction({
      emu,
      scaleSet: "vmss-gal",
      inputs: { ...FAST, "image-id": `${gallery}/versions/v1.1.0` },
      env: { GITHUB_REF: "refs/tags/v1.1.0" },
    });

    expectExit(result, 0);
    const ids = emu.state("vmss-gal").instances.map((i) => i.imageReference["id"]);
    expect(ids).toEqual([`${gallery}/versions/1.1.0`, `${gallery}/versions/1.1.0`]);
  });

  it("image-version: release-1.4 is refused before anything is written, naming the input and the value", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 1 }] });
    const result = await runAction({ emu, scaleSet: "vmss-web", inputs: { ...FAST, "image-version": "release-1.4" } });

    expectExit(result, 1);
    expect(emu.writes()).toEqual([]);
    expect(result.stdout).toMatch(/image-version.*'release-1\.4'.*<major>\.<minor>\.<patch>/);
  });
});

describe("the rollout as a GitHub deployment (deployment-environment)", () => {
  // On a pull request GITHUB_SHA is the merge commit GitHub made, which no branch holds: the deployment names the pull
  // request's head commit, from the event payload (before, the merge commit: it did not show on the pull request).
  it("on a pull request, the deployment is of the pull request's head commit", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 1 }] });
    const dir = mkdtempSync(join(tmpdir(), "event-"));
    const head = "0123456789abcdef0123456789abcdef01234567";
    const eventPath = join(dir, "event.json");
    writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 7, head: { sha: head, ref: "feature" } } }));
    const result = await runAction({
      emu,
      scaleSet: "vmss-web",
      inputs: { ...FAST, "image-version": "24.04.202410020", "deployment-environment": "pr-7" },
      env: { GITHUB_REF: "refs/pull/7/merge", GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: eventPath },
    });
    expectExit(result, 0);
    expect(emu.github.deployments().map((d) => d.ref)).toEqual([head]);
  });

  it("a successful rollout leaves one deployment for the tag: in_progress → success, linking the run and the portal", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    const result = await runAction({ emu, ...RELEASE });

    expectExit(result, 0);
    const deployments = emu.github.deployments();
    expect(deployments, requestLog(emu)).toHaveLength(1);
    const [deployment] = deployments;
    expect(deployment).toMatchObject({
      ref: "v1.4.0",
      environment: "production",
      production_environment: true,
      auto_merge: false,
      required_contexts: [],
      payload: {
        scaleSet: { name: "vmss-web" },
        change: { imageVersion: "1.4.0" },
        previousModel: { imageReference: { version: "24.04.202409120" } },
      },
    });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    for (const status of deployment?.statuses ?? []) {
      expect(status.log_url).toBe(RUN_URL);
      expect(status.environment_url).toMatch(
        /^https:\/\/portal\.azure\.com\/#resource\/subscriptions\/.+\/virtualMachineScaleSets\/vmss-web\/overview$/,
      );
      expect(status.description.length).toBeLessThanOrEqual(140);
    }
    expect(deployment?.statuses[1]?.description).toMatch(/^Rollout succeeded/);
    expect(result.outputs["deployment-id"]).toBe(String(deployment?.id));
    expect(record(result).deployment).toMatchObject({ id: deployment?.id, statuses: ["in_progress", "success"] });

    // in_progress was set when the model write started: after the first ARM write, before the rollout ended.
    const seq = (operation: string) => emu.requests.findIndex((r) => r.operation === operation);
    const firstWrite = emu.requests.findIndex((r) => r.method === "PATCH" && /vmss-web$/i.test(r.path));
    const statusCalls = emu.requests.filter((r) => r.operation === "GitHub.CreateDeploymentStatus");
    expect(seq("GitHub.CreateDeployment")).toBeGreaterThan(-1);
    expect(firstWrite).toBeGreaterThan(-1);
    expect(emu.requests.indexOf(statusCalls[0]!)).toBeLessThan(
      emu.requests.findLastIndex((r) => r.operation.startsWith("VirtualMachineScaleSetVMs.")),
    );
    expect(statusCalls[0]?.headers["user-agent"]).toContain("octokit");
    // The summary and summary-json name the run and what it released, linked (the run in every link).
    expect(record(result).release).toMatchObject({
      repository: "octo/app",
      refName: "v1.4.0",
      shortSha: "8c1a3e0",
      links: { run: RUN_URL },
    });
    expect(result.summary).toContain(`<a href="${RUN_URL}">`);
    expect(result.summary).toContain("https://github.com/octo/app/commit/8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c");
    expectNoSecrets(result, emu, { "GitHub token": emu.github.token });
  });

  it("a failing instance ends the deployment in failure", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    emu.faults.failUpgrade("1", { scaleSet: "vmss-web" });
    const result = await runAction({
      emu,
      scaleSet: "vmss-web",
      inputs: { ...FAST, "image-version": "v1.4.0", "deployment-environment": "production", "batch-size": "1" },
      env: TAG,
    });

    expectExit(result, 1);
    const [deployment] = emu.github.deployments();
    expect(deployment?.statuses.map((s) => s.state)).toEqual(["in_progress", "failure"]);
    expect(deployment?.statuses[1]?.description).toMatch(/^Rollout failed/);
    expect(deployment?.statuses[1]?.log_url).toBe(RUN_URL);
  });

  it("a token without deployments: write (403) leaves the rollout succeeded, with one warning", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    emu.github.setPermission("read");
    const result = await runAction({ emu, ...RELEASE });

    expectExit(result, 0);
    expect(result.outputs["result"]).toBe("succeeded");
    expect(emu.state("vmss-web").instances.every((i) => i.latestModelApplied)).toBe(true);
    const warnings = result.stdout.split("\n").filter((line) => line.startsWith("::warning"));
    expect(warnings, result.stdout).toHaveLength(1);
    expect(warnings[0]).toContain("Resource not accessible by integration");
    expect(warnings[0]).toContain("deployments: write");
    expect(emu.github.deployments()).toEqual([]);
    expect(result.outputs["deployment-id"]).toBe("");
  });

  it("a cancelled run ends the deployment in error (not inactive: part of the scale set may run the release)", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2, instanceUpgradeSeconds: 30 }] });
    emu.faults.hangUpgrade("0", { scaleSet: "vmss-web" });
    const running = startAction({ emu, ...RELEASE });
    const deadline = Date.now() + 20_000;
    while (manualUpgrades(emu).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    running.child.kill("SIGINT");
    const result = await running.done;

    expect(result.outputs["result"]).toBe("cancelled");
    const [deployment] = emu.github.deployments();
    expect(deployment?.statuses.map((s) => s.state)).toEqual(["in_progress", "error"]);
    expect(deployment?.statuses[1]?.description).toMatch(/^Rollout cancelled/);
  });

  // A review (faults, 2026-12): the deployment was created as the image PATCH went out, with the image read before it as
  // the previous model. Another writer's same image in between (412: not this run's write, previous-model null, no
  // rollback) left the deployment naming the image before that writer's as what this release replaced.
  it("another writer set the release's image just before the run's PATCH (412): the deployment names no previous model", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    emu.faults.concurrentWrite(
      {
        patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "1.4.0" } } } } },
      },
      { operation: "VirtualMachineScaleSets.Update", when: "before", scaleSet: "vmss-web" },
    );
    const result = await runAction({ emu, ...RELEASE });

    expectExit(result, 0);
    expect(writesTo(emu, /vmss-web$/).map((w) => w.status)).toEqual([412]);
    expect(JSON.parse(result.outputs["previous-model"] ?? "{}")).toBeNull();
    const [deployment] = emu.github.deployments();
    expect(deployment?.payload).toMatchObject({ change: { imageVersion: "1.4.0" }, previousModel: null });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
  });

  it("a dry run creates no deployment", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    const result = await runAction({
      emu,
      scaleSet: "vmss-web",
      inputs: { ...FAST, "image-version": "v1.4.0", "deployment-environment": "production", "dry-run": "true" },
      env: TAG,
    });

    expectExit(result, 0);
    expect(emu.requests.filter((r) => r.operation.startsWith("GitHub."))).toEqual([]);
  });
});
