// GitHub's Deployments API of the emulator: GitHub's shapes, status codes and messages, over HTTPS.
import { afterEach, describe, expect, it } from "vitest";
import { start } from "./index.ts";
import type { Emulator } from "./types.ts";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function call(
  e: Emulator,
  method: string,
  path: string,
  body?: unknown,
  authorization: string | null = `token ${e.github.token}`,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${e.github.apiUrl}${path}`, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      ...(authorization ? { authorization } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const DEPLOY = { ref: "v1.4.0", environment: "production", auto_merge: false, required_contexts: [] };

describe("GitHub's Deployments API", () => {
  it("creates a deployment (201), adds statuses, lists both, newest first", async () => {
    emu = await start();
    const created = await call(emu, "POST", "/repos/octo/app/deployments", { ...DEPLOY, payload: { a: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(Number),
      ref: "v1.4.0",
      environment: "production",
      production_environment: true,
      payload: { a: 1 },
      task: "deploy",
    });
    const id = created.body.id as number;
    for (const state of ["in_progress", "success"]) {
      const status = await call(emu, "POST", `/repos/octo/app/deployments/${id}/statuses`, {
        state,
        log_url: "https://github.com/octo/app/actions/runs/1",
        environment_url: "https://portal.azure.com/#x",
        description: state,
      });
      expect(status.status).toBe(201);
      expect(status.body).toMatchObject({ state, log_url: "https://github.com/octo/app/actions/runs/1" });
    }
    const statuses = await call(emu, "GET", `/repos/octo/app/deployments/${id}/statuses`);
    expect(statuses.body.map((s: { state: string }) => s.state)).toEqual(["success", "in_progress"]);
    const list = await call(emu, "GET", "/repos/octo/app/deployments?environment=production");
    expect(list.body.map((d: { id: number }) => d.id)).toEqual([id]);
    expect(emu.github.deployments()[0]?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
  });

  it.each([
    ["no Authorization", 401, "Requires authentication", null],
    ["a wrong token", 401, "Bad credentials", "token ghs_wrong"],
  ])("%s → %i %s", async (_name, status, message, authorization) => {
    emu = await start();
    const res = await call(emu, "POST", "/repos/octo/app/deployments", DEPLOY, authorization);
    expect(res).toMatchObject({ status, body: { message } });
  });

  it("accepts Bearer as well as token", async () => {
    emu = await start();
    const res = await call(emu, "POST", "/repos/octo/app/deployments", DEPLOY, `Bearer ${emu.github.token}`);
    expect(res.status).toBe(201);
  });

  it.each([
    ["read", "POST", "/repos/octo/app/deployments", 403],
    ["read", "GET", "/repos/octo/app/deployments", 200],
    ["none", "GET", "/repos/octo/app/deployments", 403],
  ] as const)("permission %s: %s %s → %i", async (permission, method, path, status) => {
    emu = await start();
    emu.github.setPermission(permission);
    const res = await call(emu, method, path, method === "POST" ? DEPLOY : undefined);
    expect(res.status).toBe(status);
    if (status === 403) expect(res.body.message).toBe("Resource not accessible by integration");
  });

  it("409 when commit status checks failed and required_contexts is not []", async () => {
    emu = await start();
    emu.github.failStatusChecks(["ci/build"]);
    const { required_contexts: _omitted, ...withoutContexts } = DEPLOY;
    const refused = await call(emu, "POST", "/repos/octo/app/deployments", withoutContexts);
    expect(refused).toMatchObject({
      status: 409,
      body: { message: "Conflict: Commit status checks failed for v1.4.0." },
    });
    expect((await call(emu, "POST", "/repos/octo/app/deployments", DEPLOY)).status).toBe(201);
  });

  it.each([
    ["a missing ref", "/repos/octo/app/deployments", { environment: "production" }, "Validation Failed"],
    ["an unknown ref", "/repos/octo/app/deployments", { ...DEPLOY, ref: "v9.9.9" }, "No ref found for: v9.9.9"],
  ])("422 for %s", async (_name, path, body, message) => {
    emu = await start();
    emu.github.setRefs(["v1.4.0", "main"]);
    expect(await call(emu, "POST", path, body)).toMatchObject({ status: 422, body: { message } });
  });

  it.each([
    ["an unknown state", { state: "done" }],
    ["a description over 140 characters", { state: "success", description: "x".repeat(141) }],
  ])("a status with %s → 422 Validation Failed", async (_name, body) => {
    emu = await start();
    const { body: deployment } = await call(emu, "POST", "/repos/octo/app/deployments", DEPLOY);
    const res = await call(emu, "POST", `/repos/octo/app/deployments/${deployment.id}/statuses`, body);
    expect(res).toMatchObject({ status: 422, body: { message: "Validation Failed" } });
  });

  it("404 for another repository and an unknown deployment", async () => {
    emu = await start();
    expect((await call(emu, "POST", "/repos/other/repo/deployments", DEPLOY)).status).toBe(404);
    expect((await call(emu, "POST", "/repos/octo/app/deployments/999/statuses", { state: "success" })).status).toBe(
      404,
    );
  });

  it("a success marks earlier successful non-production deployments to the environment inactive", async () => {
    emu = await start();
    const staging = { ...DEPLOY, environment: "staging" };
    const first = (await call(emu, "POST", "/repos/octo/app/deployments", staging)).body.id as number;
    await call(emu, "POST", `/repos/octo/app/deployments/${first}/statuses`, { state: "success" });
    const second = (await call(emu, "POST", "/repos/octo/app/deployments", staging)).body.id as number;
    await call(emu, "POST", `/repos/octo/app/deployments/${second}/statuses`, { state: "success" });
    expect(emu.github.deployments().map((d) => d.statuses.map((s) => s.state))).toEqual([
      ["success", "inactive"],
      ["success"],
    ]);
  });

  it("logs each call with its operation name, outside the ARM writes", async () => {
    emu = await start();
    await call(emu, "POST", "/repos/octo/app/deployments", DEPLOY);
    expect(emu.requests.map((r) => r.operation)).toEqual(["GitHub.CreateDeployment"]);
    expect(emu.writes()).toEqual([]);
  });
});
