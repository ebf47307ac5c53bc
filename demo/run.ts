// `npm run demo`: the bundled action (dist/index.js) rolling a new image version out to a sample scale set in the
// local Azure emulator, run exactly as a GitHub runner runs it (INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files). Streams the action's log, then prints its outputs and where the job summary is.
// Exits with the action's exit code. Nothing else needs to run: the emulator is started here and stopped at the end.
// `npm run demo -- --flexible` rolls the same change out to a Flexible scale set (VMs named `vmss-web_<8 hex>`; the
// emulator leaves latestModelApplied out, so the action compares each VM with the model).
//
// Ctrl-C cancels the rollout as cancelling a workflow run does (the action gets SIGINT and writes its summary).
// The log is shown as a runner's log viewer shows it (masked values hidden, groups and annotations drawn).
import { mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { start } from "../emulator/index.ts";
import { assertDistBuilt, ROOT, startAction } from "../test/e2e/harness.ts";

const OUT = join(ROOT, "demo", "out");
const FLEXIBLE = flexibleFlag();

/** `--flexible`, the demo's one option; anything else ends it with its usage, not Node's stack trace. */
function flexibleFlag(): boolean {
  try {
    return parseArgs({ options: { flexible: { type: "boolean", default: false } } }).values.flexible;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\nUsage: npm run demo [-- --flexible]`);
    process.exit(2);
  }
}
const ORCHESTRATION = FLEXIBLE ? "Flexible" : "Uniform";
const SCALE_SET = "vmss-web";
const NEW_VERSION = "24.04.202502210";
/** The release tag pushed: the action takes `v24.04.202502210` as image version 24.04.202502210. */
const TAG = `v${NEW_VERSION}`;

const INPUTS = {
  "image-version": TAG,
  "deployment-environment": "production",
  canary: "1",
  "batch-size": "25%",
  "pause-between-batches": "1s",
  health: "auto",
  "health-timeout": "2m",
  "poll-interval": "250ms",
  timeout: "10m",
};

const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

/**
 * Shows the action's stdout as a runner's log viewer does: `::add-mask::` values are hidden (and replaced by *** from
 * then on), groups and annotations are drawn instead of printed as workflow commands. Everything else is as written.
 */
class RunnerLog {
  #pending = "";
  readonly #masks: string[] = [];

  write(chunk: string): void {
    const lines = (this.#pending + chunk).split("\n");
    this.#pending = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  end(): void {
    if (this.#pending) this.#line(this.#pending);
    this.#pending = "";
  }

  #line(raw: string): void {
    const line = raw.replace(/\r$/, "");
    const command = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!command) {
      console.log(this.#mask(line));
      return;
    }
    const [, name = "", props = "", data = ""] = command;
    const text = this.#mask(data.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%"));
    const title = /title=([^,]*)/
      .exec(props)?.[1]
      ?.replaceAll("%2C", ",")
      .replaceAll("%3A", ":")
      .replaceAll("%25", "%");
    const label = (kind: string, colour: number) => (process.stdout.isTTY ? `\x1b[${colour}m${kind}\x1b[0m` : kind);
    switch (name) {
      case "add-mask":
        if (data) this.#masks.push(data);
        return;
      case "group":
        console.log(bold(`▸ ${text}`));
        return;
      case "endgroup":
        return;
      case "debug":
        return;
      case "error":
      case "warning":
      case "notice": {
        const colour = name === "error" ? 31 : name === "warning" ? 33 : 36;
        console.log(
          `${label(`${name[0]?.toUpperCase()}${name.slice(1)}:`, colour)} ${title ? `${title}: ` : ""}${text}`,
        );
        return;
      }
      default:
        console.log(this.#mask(line));
    }
  }

  #mask(text: string): string {
    return this.#masks.reduce((acc, secret) => acc.split(secret).join("***"), text);
  }
}

async function main(): Promise<number> {
  assertDistBuilt();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });

  // 8 instances on Ubuntu 24.04.202409120 with an Application Health extension, in Manual upgrade mode; the last one
  // created is protected from scale-set actions, so it is skipped. speed 0.02: an upgrade Azure takes ~2 min takes
  // ~2.4 s here. Uniform (default) or Flexible orchestration (--flexible).
  const emu = await start({
    speed: 0.02,
    scaleSets: [
      {
        name: SCALE_SET,
        resourceGroup: "rg-web",
        instances: 8,
        upgradeMode: "Manual",
        healthExtension: true,
        protectedInstances: ["7"],
        instanceUpgradeSeconds: 120,
        ...(FLEXIBLE && { orchestrationMode: "Flexible" as const }),
      },
    ],
  });
  const protectedName = emu.state(SCALE_SET).instances.find((i) => i.protected)?.instanceId ?? "7";
  try {
    console.log(
      bold(
        `Azure emulator at ${emu.armEndpoint}: scale set ${SCALE_SET} (${ORCHESTRATION} orchestration, 8 instances, Manual upgrade mode, instance ${protectedName} protected)`,
      ),
    );
    console.log(
      dim(
        `Running dist/index.js with ${Object.entries(INPUTS)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
      ),
    );
    console.log(dim("─".repeat(100)));

    const log = new RunnerLog();
    const running = startAction({
      emu,
      scaleSet: SCALE_SET,
      inputs: INPUTS,
      workDir: OUT,
      // A tag push: `image-version: ${{ github.ref_name }}` in a release workflow.
      env: { GITHUB_REF: `refs/tags/${TAG}`, GITHUB_REF_NAME: TAG },
      killAfterMs: 10 * 60_000,
      onStdout: (chunk) => log.write(chunk),
      onStderr: (chunk) => process.stderr.write(chunk),
    });
    // Ctrl-C reaches the action too (same process group); the demo waits for it to wrap up instead of dying first.
    process.on("SIGINT", () => console.log(dim("\n(cancelling: waiting for the action to write its summary)")));
    const result = await running.done;
    log.end();

    console.log(dim("─".repeat(100)));
    console.log(
      bold(
        `The action exited with code ${String(result.exitCode ?? result.signal)} after ${(result.durationMs / 1000).toFixed(1)} s.`,
      ),
    );
    console.log(bold("Outputs:"));
    for (const [name, value] of Object.entries(result.outputs)) {
      const shown = name === "summary-json" ? `${value.slice(0, 120)}… (${value.length} characters)` : value;
      console.log(`  ${name}: ${shown}`);
    }
    // What GitHub's Deployments tab and the environment's page would show (the emulator's GitHub API recorded it).
    const deployments = emu.github.deployments();
    console.log(bold(`GitHub deployments recorded: ${deployments.length}`));
    for (const deployment of deployments) {
      console.log(`  #${deployment.id} ${deployment.ref} → environment ${deployment.environment}`);
      for (const status of deployment.statuses) {
        console.log(`    ${status.state.padEnd(11)} ${status.description}`);
        console.log(dim(`                log ${status.log_url}  environment ${status.environment_url}`));
      }
    }
    console.log(
      bold(
        `Job summary (Markdown, as GitHub shows it under the run): ${relative(process.cwd(), result.summaryPath) || result.summaryPath}`,
      ),
    );
    return result.exitCode ?? 1;
  } finally {
    await emu.stop();
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  return 1;
});
