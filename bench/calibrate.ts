// How fast the machine is, measured the same way on every machine, so that runs of the benchmark on different hosts
// can be compared. The load figures (bench/load.ts) see other processes and other guests of the hypervisor, but not a
// host whose vCPUs are simply slower: on 2026-12-04 the same bundle reached its first ARM request in 289 ms one
// morning and in 451 ms that afternoon, with the machine otherwise idle both times. Two fixed tasks, each timed
// several times before the runs start (the median is kept):
//   - Node's own start: `node -e 0` spawned and waited for, the floor under every process the benchmark starts;
//   - a CPU workload close to what the action spends its CPU on at 1,000 instances: a list page of 50 scale-set VMs
//     with their instance views, written and parsed as JSON 200 times (10,000 instances' worth).
// A reader compares two runs' figures through these two: a run on a host twice as slow shows both about doubled.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { median } from "./metrics.ts";

export interface Calibration {
  /** Median wall milliseconds of `node -e 0`, spawn to exit. */
  readonly nodeStartMs: number;
  /** Median milliseconds of the fixed JSON workload (200 × stringify and parse of a 50-VM list page). */
  readonly workloadMs: number;
  /** How many times each was timed. */
  readonly samples: number;
}

function nodeStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - began));
  });
}

/** A list page of 50 VMs shaped like the emulator's (`$expand=instanceView`), built the same way every time. */
function listPage(): unknown {
  const id = (i: number): string =>
    `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss/virtualMachines/${i}`;
  return {
    value: Array.from({ length: 50 }, (_, i) => ({
      name: `vmss_${i}`,
      id: id(i),
      type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
      instanceId: String(i),
      location: "westeurope",
      sku: { name: "Standard_D2s_v5", tier: "Standard" },
      properties: {
        latestModelApplied: i % 2 === 0,
        vmId: `0000${i}-aaaa-bbbb-cccc-dddddddddddd`,
        provisioningState: "Succeeded",
        hardwareProfile: { vmSize: "Standard_D2s_v5" },
        storageProfile: {
          imageReference: {
            publisher: "Canonical",
            offer: "ubuntu-24_04-lts",
            sku: "server",
            version: "24.04.202409120",
            exactVersion: "24.04.202409120",
          },
          osDisk: { osType: "Linux", name: `vmss_${i}_OsDisk`, caching: "ReadWrite", createOption: "FromImage" },
        },
        osProfile: { computerName: `vmss${String(i).padStart(6, "0")}`, adminUsername: "azureuser" },
        instanceView: {
          platformUpdateDomain: i % 5,
          platformFaultDomain: i % 3,
          statuses: [
            { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded" },
            { code: "PowerState/running", level: "Info", displayStatus: "VM running" },
          ],
          extensions: [
            {
              name: "app",
              type: "Microsoft.Azure.Extensions.CustomScript",
              typeHandlerVersion: "2.1",
              statuses: [
                { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded" },
              ],
            },
          ],
        },
      },
    })),
    nextLink: `https://management.azure.com${id(0)}?api-version=2024-07-01&%24skiptoken=50`,
  };
}

function workload(page: unknown): number {
  const began = performance.now();
  let kept = 0;
  for (let i = 0; i < 200; i++) {
    const parsed = JSON.parse(JSON.stringify(page)) as { value: unknown[] };
    kept += parsed.value.length;
  }
  if (kept !== 200 * 50) throw new Error("calibration workload lost instances");
  return performance.now() - began;
}

/** Times both tasks `samples` times each (after one untimed round of each) and keeps the medians. */
export async function calibrate(samples = 7): Promise<Calibration> {
  const page = listPage();
  await nodeStart();
  workload(page);
  const starts: number[] = [];
  const works: number[] = [];
  for (let i = 0; i < samples; i++) {
    starts.push(await nodeStart());
    works.push(workload(page));
  }
  return { nodeStartMs: median(starts), workloadMs: median(works), samples };
}
