// The Azure CLI baselines: what people type today, against the run's emulator. `az vmss update --set
// virtualMachineProfile.storageProfile.imageReference.version=…` (the model change), then either `az vmss
// update-instances --instance-ids '*'` (all at once) or one `az vmss update-instances --instance-ids <id>` per instance
// in turn (one at a time), as one bash script, the measured process. az is pointed at the emulator as `npm run
// fidelity` does it (emulator/fidelity.ts): `az cloud register` reading the emulator's /metadata/endpoints, a CA bundle
// (REQUESTS_CA_BUNDLE), a throw-away AZURE_CONFIG_DIR and `az login --service-principal`, all before the measured
// process starts. Where az is not installed, the rows are skipped and the report says so.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Emulator } from "../emulator/types.ts";

/** az on PATH (or BENCH_AZ); undefined when there is none. */
export function findAz(): string | undefined {
  const explicit = process.env["BENCH_AZ"];
  if (explicit) return explicit;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "az");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The environment az runs in: its own config folder, the emulator's CA, no proxy, no telemetry or prompts. */
export function azEnv(emu: Emulator, configDir: string): Record<string, string> {
  return {
    AZURE_CONFIG_DIR: configDir,
    REQUESTS_CA_BUNDLE: emu.caPath,
    AZURE_CORE_COLLECT_TELEMETRY: "no",
    AZURE_CORE_SURVEY_MESSAGE: "no",
    AZURE_CORE_NO_COLOR: "true",
    AZURE_CORE_OUTPUT: "none",
    NO_PROXY: "127.0.0.1,localhost",
  };
}

function run(az: string, args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(az, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`az ${args[0]} ${args[1]} exited ${code}: ${out.slice(-500)}`)),
    );
  });
}

/** az's version (`2.45.0`), or undefined when it cannot tell. */
export async function azVersion(az: string, env: Record<string, string>): Promise<string | undefined> {
  try {
    const version = (JSON.parse(await run(az, ["version", "-o", "json"], env)) as Record<string, unknown>)["azure-cli"];
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}

/** Registers the emulator as az's cloud and signs in with its service principal (not measured). */
export async function azSignIn(az: string, version: string | undefined, emu: Emulator, env: Record<string, string>) {
  const [major = 0, minor = 0] = (version ?? "").split(".").map(Number);
  // az before 2.50: its `latest` profile predates the emulator's wire shapes (see emulator/fidelity.ts).
  const profile = major === 2 && minor < 50 ? "2020-09-01-hybrid" : "latest";
  const cloud = ["--endpoint-resource-manager", emu.armEndpoint, "--profile", profile];
  await run(az, ["cloud", "register", "-n", "BenchEmulator", ...cloud], env);
  await run(az, ["cloud", "set", "-n", "BenchEmulator"], env);
  await run(
    az,
    ["login", "--service-principal", "-u", emu.clientId, "-p", emu.clientSecret, "--tenant", emu.tenantId],
    env,
  );
}

/** The measured script: the model change, then the instances all at once or one at a time. */
export function azScript(
  az: string,
  kind: "all" | "one",
  target: { resourceGroup: string; scaleSet: string; instances: number; imageVersion: string },
): string {
  const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const set = `-g ${q(target.resourceGroup)} -n ${q(target.scaleSet)}`;
  const lines = [
    "set -e",
    `${q(az)} vmss update ${set} --set virtualMachineProfile.storageProfile.imageReference.version=${q(target.imageVersion)}`,
  ];
  if (kind === "all") lines.push(`${q(az)} vmss update-instances ${set} --instance-ids '*'`);
  else
    lines.push(
      `for id in $(seq 0 ${target.instances - 1}); do ${q(az)} vmss update-instances ${set} --instance-ids "$id"; done`,
    );
  return lines.join("\n");
}
