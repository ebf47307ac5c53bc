// `npm run emulator [-- --speed 0.02 --instances 6 --mode Rolling --health --flexible]` or `npm run emulator -- --scenario FILE`:
// starts the emulator with a sample scale set (or a scenario's), prints how to reach it, and runs until Ctrl-C.
// Operation polls (and the answers that start an operation) carry `Retry-After: 1` unless `--poll-retry-after off`:
// a convenience, so that a client's long-running command (az waits 30 s between polls without one) ends about a second
// after the operation does.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { start } from "./index.ts";
import { loadScenario } from "./scenario.ts";
import type { Emulator, EmulatorOptions } from "./types.ts";

const { values } = parseArgs({
  options: {
    speed: { type: "string" },
    instances: { type: "string", default: "4" },
    mode: { type: "string", default: "Manual" },
    health: { type: "boolean", default: false },
    flexible: { type: "boolean", default: false },
    throttle: { type: "boolean", default: false },
    scenario: { type: "string" },
    "poll-retry-after": { type: "string", default: "1" },
  },
});
const retryArg = values["poll-retry-after"];
if (retryArg !== "off" && !(Number(retryArg) >= 0))
  throw new Error(`--poll-retry-after must be seconds (≥ 0) or off, got ${retryArg}`);
const pollRetryAfterSeconds = retryArg === "off" ? undefined : Number(retryArg);
const speed = values.speed !== undefined ? Number(values.speed) : undefined;
if (speed !== undefined && !(speed > 0)) throw new Error(`--speed must be a positive number, got ${values.speed}`);

let options: EmulatorOptions;
let apply: (emu: Emulator) => void = () => {};
let described: string;
if (values.scenario !== undefined) {
  const scenario = loadScenario(values.scenario, { speed: 0.02, pollRetryAfterSeconds });
  // --speed and --poll-retry-after given on the command line win over the file.
  options = {
    ...scenario.options,
    ...(speed !== undefined ? { speed } : {}),
    ...(retryArg === "off"
      ? { pollRetryAfterSeconds: undefined }
      : process.argv.some((a) => a.startsWith("--poll-retry-after"))
        ? { pollRetryAfterSeconds }
        : {}),
  };
  apply = (emu) => scenario.apply(emu);
  described = `scenario ${values.scenario}`;
} else {
  const mode = values.mode;
  if (mode !== "Manual" && mode !== "Automatic" && mode !== "Rolling")
    throw new Error(`--mode must be Manual, Automatic or Rolling, got ${mode}`);
  options = {
    speed: speed ?? 0.02,
    throttle: values.throttle,
    ...(pollRetryAfterSeconds !== undefined ? { pollRetryAfterSeconds } : {}),
    scaleSets: [
      {
        name: "vmss-demo",
        instances: Number(values.instances),
        upgradeMode: mode,
        healthExtension: values.health,
        ...(values.flexible ? { orchestrationMode: "Flexible" as const } : {}),
      },
    ],
  };
  described = `${values.instances} instances, ${mode} upgrade mode${values.flexible ? ", Flexible orchestration" : ""}`;
}

const emu = await start(options);
apply(emu);
// The files a runner gives every step: without GITHUB_OUTPUT the action falls back to the deprecated `::set-output`
// command on stdout, and without GITHUB_STEP_SUMMARY it writes no summary. Empty files (they must exist), removed on exit.
const runnerFiles = mkdtempSync(join(tmpdir(), "vmss-rollout-emulator-"));
const outputFile = join(runnerFiles, "output");
const summaryFile = join(runnerFiles, "summary.md");
writeFileSync(outputFile, "");
writeFileSync(summaryFile, "");
// Handlers first: whoever reads "Press Ctrl-C" may send the signal right away.
const stop = (): void => {
  void emu.stop().then(() => {
    rmSync(runnerFiles, { recursive: true, force: true });
    process.exit(0);
  });
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

const state = emu.state();
const shellQuote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;

const sets = emu.scaleSets();
console.log(`Azure Compute emulator (speed ${options.speed ?? 1}, ${described}; Retry-After on polls: ${options.pollRetryAfterSeconds ?? "none"})

ARM endpoint      ${emu.armEndpoint}
Authority host    ${emu.authorityHost}   (use disableInstanceDiscovery: true)
CA certificate    ${emu.caPath}
Tenant ID         ${emu.tenantId}
Subscription ID   ${emu.subscriptionId}
Client ID         ${emu.clientId}
Client secret     ${emu.clientSecret}
Scale sets        ${sets.map((s) => `${s.resourceGroup}/${s.name} (${s.upgradeMode}, ${s.instances} instances)`).join("\n                  ")}
GitHub OIDC       ACTIONS_ID_TOKEN_REQUEST_URL=${emu.oidc.requestUrl}
                  ACTIONS_ID_TOKEN_REQUEST_TOKEN=${emu.oidc.requestToken}

Azure CLI         export AZURE_CONFIG_DIR=$(mktemp -d) REQUESTS_CA_BUNDLE=${emu.caPath}
                  az cloud register -n Emulator --endpoint-resource-manager ${emu.armEndpoint} --profile 2020-09-01-hybrid   # az 2.45; newer: --profile latest
                  az login --service-principal -u ${emu.clientId} -p '${emu.clientSecret}' --tenant ${emu.tenantId}

Run the action against it on ${state.resourceGroup}/${state.name} (input names contain '-', so they go through env, not export):
`);
const assignments = Object.entries({
  ...emu.env(),
  "INPUT_IMAGE-VERSION": "24.04.202410020",
  GITHUB_OUTPUT: outputFile,
  GITHUB_STEP_SUMMARY: summaryFile,
}).map(([name, value]) => `  ${shellQuote(`${name}=${value}`)} \\`);
console.log(["env \\", ...assignments, "  node dist/index.js"].join("\n"));
console.log(`
Its outputs go to ${outputFile}, its job summary to ${summaryFile}
(appended to by each run, as a runner's are by each step; removed when the emulator stops).

Press Ctrl-C to stop.`);
// The server's handle keeps the process alive until a signal arrives.
