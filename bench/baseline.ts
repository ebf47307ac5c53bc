// A baseline rollout, run by bench/run.ts as its own Node process (like the action) so both pay a process start.
// The same change as the action makes (PATCH storageProfile.imageReference.version), then the instances onto it with
// the same SDK the action bundles (@azure/arm-compute, @azure/identity):
//
//   all-at-once     one manualupgrade of every instance, as `az vmss update-instances --instance-ids '*'` does;
//   one-at-a-time   one manualupgrade per instance, each awaited before the next, as the Terraform azurerm
//                   provider does for a scale set in Manual upgrade mode.
//
// Then one list to check every instance reports latestModelApplied. Long-running operations are followed by the
// action's own follow() at its own pace (src/azure/operations.ts, operation-pace.ts: the same OperationPolls): every
// BENCH_POLL_MS (fastOperationPollMs) in an operation's first poll interval and around the end the last upgrade
// suggests, every BENCH_SLOW_POLL_MS (the poll interval) otherwise; never Azure's or the CLI's own defaults. So the
// comparison is about the strategy, not the polling: with batch-size 100% the action and all at once notice their one
// operation's end alike. Settings come as BENCH_* environment variables; the outcome is written as JSON to
// BENCH_RESULT_FILE. Exit code 0 when every instance ends on the latest model.
import { writeFileSync } from "node:fs";
import { ComputeManagementClient } from "@azure/arm-compute";
import { ClientSecretCredential } from "@azure/identity";
import { OperationPolls } from "../src/azure/operation-pace.ts";
import { follow, OperationErrors, type Poller } from "../src/azure/operations.ts";

/** Follows an operation to its end at the action's own pace, with the action's own follow(). */
const settle = (poller: Poller<unknown>, polls: OperationPolls, kind?: "upgrade"): Promise<unknown> =>
  follow(poller, undefined, polls.pace(kind), new OperationErrors());

export type BaselineMode = "all-at-once" | "one-at-a-time";

export interface BaselineResult {
  readonly mode: BaselineMode;
  readonly instances: number;
  readonly upgraded: number;
  readonly latest: number;
  readonly failed: readonly string[];
  readonly error?: string;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<BaselineResult> {
  const mode = env("BENCH_BASELINE") as BaselineMode;
  if (mode !== "all-at-once" && mode !== "one-at-a-time") throw new Error(`unknown baseline ${String(mode)}`);
  const armEndpoint = env("BENCH_ARM_ENDPOINT");
  const resourceGroup = env("BENCH_RESOURCE_GROUP");
  const scaleSet = env("BENCH_SCALE_SET");
  const imageVersion = env("BENCH_IMAGE_VERSION");
  const polls = new OperationPolls(Number(env("BENCH_POLL_MS")), Number(env("BENCH_SLOW_POLL_MS")));

  const credential = new ClientSecretCredential(
    env("BENCH_TENANT_ID"),
    env("BENCH_CLIENT_ID"),
    env("BENCH_CLIENT_SECRET"),
    {
      authorityHost: env("BENCH_AUTHORITY_HOST"),
      disableInstanceDiscovery: true,
    },
  );
  const client = new ComputeManagementClient(credential, env("BENCH_SUBSCRIPTION_ID"), {
    endpoint: armEndpoint,
    credentials: { scopes: [`${armEndpoint}/.default`] },
  });

  // The model change (az vmss update --set …imageReference.version=…; terraform apply's PATCH of the set).
  await settle(
    client.virtualMachineScaleSets.update(resourceGroup, scaleSet, {
      virtualMachineProfile: { storageProfile: { imageReference: { version: imageVersion } } },
    }),
    polls,
  );

  const ids: string[] = [];
  for await (const vm of client.virtualMachineScaleSetVMs.list(resourceGroup, scaleSet)) {
    if (vm.instanceId !== undefined) ids.push(vm.instanceId);
  }

  if (mode === "all-at-once") {
    await settle(
      client.virtualMachineScaleSets.updateInstances(resourceGroup, scaleSet, { instanceIds: ids }),
      polls,
      "upgrade",
    );
  } else {
    for (const id of ids) {
      await settle(
        client.virtualMachineScaleSets.updateInstances(resourceGroup, scaleSet, { instanceIds: [id] }),
        polls,
        "upgrade",
      );
    }
  }

  const stale: string[] = [];
  let total = 0;
  for await (const vm of client.virtualMachineScaleSetVMs.list(resourceGroup, scaleSet)) {
    total++;
    if (vm.latestModelApplied !== true) stale.push(vm.instanceId ?? vm.name ?? "?");
  }
  return { mode, instances: total, upgraded: ids.length, latest: total - stale.length, failed: stale };
}

const resultFile = process.env.BENCH_RESULT_FILE;
try {
  const result = await main();
  if (resultFile) writeFileSync(resultFile, JSON.stringify(result));
  process.exitCode = result.failed.length === 0 ? 0 : 1;
} catch (error) {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`baseline failed: ${message}\n`);
  if (resultFile) {
    writeFileSync(
      resultFile,
      JSON.stringify({
        mode: process.env.BENCH_BASELINE,
        instances: 0,
        upgraded: 0,
        latest: 0,
        failed: [],
        error: message,
      }),
    );
  }
  process.exitCode = 1;
}
