// The two ways to start the emulator: in-process (what start() hands a test) and `npm run emulator`.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator } from "./index.ts";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

describe("start()", () => {
  it("hands out endpoints, the CA, credentials and azure/login-style creds", async () => {
    emu = await start({ speed: 0.001 });
    expect(emu.armEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.authorityHost).toBe(emu.armEndpoint);
    expect(emu.caPem).toContain("BEGIN CERTIFICATE");
    expect(JSON.parse(emu.creds)).toEqual({
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      tenantId: emu.tenantId,
      subscriptionId: emu.subscriptionId,
      resourceManagerEndpointUrl: emu.armEndpoint,
    });
    expect(emu.oidc.requestUrl).toMatch(/\/idtoken\?api-version=2\.0$/);
  });

  it.each([
    { auth: "creds" as const, present: ["INPUT_CREDS"], absent: ["INPUT_CLIENT-ID", "ACTIONS_ID_TOKEN_REQUEST_URL"] },
    {
      auth: "oidc" as const,
      present: ["INPUT_CLIENT-ID", "INPUT_TENANT-ID", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
      absent: ["INPUT_CREDS"],
    },
  ])("env() gives a child process the action inputs for $auth", async ({ auth, present, absent }) => {
    emu = await start({ speed: 0.001, scaleSets: [{ name: "web" }, { name: "api", resourceGroup: "rg-api" }] });
    const env = emu.env("api", { auth });
    expect(env).toMatchObject({
      NODE_EXTRA_CA_CERTS: emu.caPath,
      "INPUT_ARM-ENDPOINT": emu.armEndpoint,
      "INPUT_AUTHORITY-HOST": emu.authorityHost,
      "INPUT_SUBSCRIPTION-ID": emu.subscriptionId,
      "INPUT_RESOURCE-GROUP": "rg-api",
      "INPUT_SCALE-SET": "api",
    });
    for (const name of present) expect(env).toHaveProperty([name]);
    for (const name of absent) expect(env).not.toHaveProperty([name]);
    expect(emu.env()["INPUT_SCALE-SET"]).toBe("web");
  });

  it("snapshots a seeded scale set", async () => {
    emu = await start({
      speed: 0.001,
      scaleSets: [{ name: "web", instances: 2, healthExtension: true, protectedInstances: ["1"], zones: ["1", "2"] }],
    });
    const state = emu.state("web");
    expect(state.model).toMatchObject({
      name: "web",
      etag: '"1"',
      zones: ["1", "2"],
      properties: { provisioningState: "Succeeded", orchestrationMode: "Uniform", upgradePolicy: { mode: "Manual" } },
    });
    expect(state.instances).toEqual([
      expect.objectContaining({
        instanceId: "0",
        name: "web_0",
        latestModelApplied: true,
        health: "healthy",
        protected: false,
        powerState: "running",
      }),
      expect.objectContaining({
        instanceId: "1",
        name: "web_1",
        latestModelApplied: true,
        health: "healthy",
        protected: true,
        provisioningState: "Succeeded",
      }),
    ]);
    expect(state.instances[0]?.imageReference).toEqual({
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
      version: "24.04.202409120",
      exactVersion: "24.04.202409120",
    });
    expect(Object.keys(state.instances[0]?.extensions ?? {})).toEqual(["customScript", "healthExtension"]);
  });
});

/**
 * `npm run emulator` (emulator/cli.ts with `args`) started and waited for until it says it is ready: its output so far
 * (read live through `output()`), and its exit code once it exits (after the SIGINT the caller sends).
 */
async function startCli(
  args: readonly string[],
): Promise<{ child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ["emulator/cli.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Press Ctrl-C to stop.")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`exited early (${code}): ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.removeAllListeners("exit").on("exit", resolve));
  return { child, output: () => output, exited };
}

describe("npm run emulator", () => {
  it("prints the endpoints, credentials and action inputs, and stops on SIGINT", async () => {
    const cli = await startCli(["--speed", "0.5"]);
    const { child, exited } = cli;
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const output = cli.output();
    for (const label of [
      "ARM endpoint",
      "Authority host",
      "CA certificate",
      "Tenant ID",
      "Subscription ID",
      "Client ID",
      "Client secret",
    ]) {
      expect(output).toMatch(new RegExp(`${label}\\s+\\S+`));
    }
    expect(output).toMatch(/'INPUT_CREDS=\{"clientId":/);
    expect(output).toMatch(/'INPUT_ARM-ENDPOINT=https:\/\/127\.0\.0\.1:\d+'/);
    expect(output).toContain("node dist/index.js");
  });

  it("loads a scenario file, names its scale sets and the Retry-After it sends, and prints the Azure CLI commands", async () => {
    const cli = await startCli(["--scenario", "emulator/scenarios/example.json", "--poll-retry-after", "off"]);
    const { child, exited } = cli;
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const output = cli.output();
    expect(output).toContain("Retry-After on polls: none");
    expect(output).toMatch(
      /Scale sets\s+rg-web\/vmss-web \(Manual, 6 instances\)\n\s+rg-api\/vmss-api \(Rolling, 4 instances\)/,
    );
    expect(output).toMatch(/az cloud register -n Emulator --endpoint-resource-manager https:\/\/127\.0\.0\.1:\d+ /);
    expect(output).toContain("'INPUT_SCALE-SET=vmss-web'");
  });
});

describe("npm run emulator: the printed command that runs the action", () => {
  // Before, the command had no GITHUB_OUTPUT nor GITHUB_STEP_SUMMARY: the action fell back to the deprecated
  // `::set-output` command on stdout and wrote no summary. Runs the built action (dist/, as committed) as printed.
  it("runs as printed: outputs and job summary go to the files it names, no ::set-output; the files go on Ctrl-C", async () => {
    const cli = await startCli(["--speed", "0.001"]);
    const { child, exited } = cli;
    const output = cli.output();
    try {
      const command = /^env \\\n[\s\S]*?node dist\/index\.js$/m.exec(output)?.[0] ?? "";
      const file = (name: string): string => new RegExp(`'${name}=([^']+)'`).exec(command)?.[1] ?? "";
      const [outputs, summary] = [file("GITHUB_OUTPUT"), file("GITHUB_STEP_SUMMARY")];
      expect([existsSync(outputs), existsSync(summary)]).toEqual([true, true]);
      // `node` as a shell finds it: this Node first (the action needs Node 24).
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${dirname(process.execPath)}${delimiter}${process.env["PATH"] ?? ""}`,
      };
      for (const name of ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "NODE_EXTRA_CA_CERTS"]) delete env[name];
      env["INPUT_POLL-INTERVAL"] = "1s"; // not printed: the default 15 s, only slower
      const run = spawn("bash", ["-c", command], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      run.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => run.on("exit", resolve));
      expect(code, stdout).toBe(0);
      expect(stdout).not.toContain("::set-output");
      expect(readFileSync(outputs, "utf8")).toMatch(/^result<<(ghadelimiter_[\w-]+)\r?\nsucceeded\r?\n\1$/m);
      expect(readFileSync(summary, "utf8")).toMatch(/^## ✅ Rollout succeeded: 4\/4 instances on the new model/);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(existsSync(dirname(/'GITHUB_OUTPUT=([^']+)'/.exec(output)?.[1] ?? "/nonexistent/x"))).toBe(false);
  }, 60_000);
});

describe("npm run fidelity", () => {
  it("skips with one line and exit 0 where the Azure CLI is not installed", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: "/nonexistent" };
    delete env["FIDELITY_AZ"];
    const child = spawn(process.execPath, ["emulator/fidelity.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect(output.trim()).toMatch(/^fidelity: SKIPPED — the Azure CLI \(az\) is not installed/);
  });
});
