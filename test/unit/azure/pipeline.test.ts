import { describe, expect, it } from "vitest";
import { Headroom, ListBudget } from "../../../src/azure/list-budget.ts";
import { OperationPolls } from "../../../src/azure/operation-pace.ts";
import { OperationErrors } from "../../../src/azure/operations.ts";
import { installPolicies, isInstanceList } from "../../../src/azure/pipeline.ts";
import type { Pipeline, PipelinePolicy, PipelineRequest, PipelineResponse } from "../../../src/azure/pipeline-types.ts";
import { DEFAULT_RETRY_TIMING } from "../../../src/azure/retry.ts";

const RG = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute";
const ARM = "https://management.azure.com";

describe("which reads count against the instance list's throttling budget", () => {
  it.each([
    [`${RG}/virtualMachineScaleSets/vmss1/virtualMachines`, true],
    [`${RG}/VirtualMachineScaleSets/vmss1/VirtualMachines`, true],
    // A Flexible set's standalone VM list: another bucket (its figures would skew the instance list's budget).
    [`${RG}/virtualMachines`, false],
    [`${RG}/virtualMachineScaleSets/vmss1/virtualMachines/0`, false],
    [`${RG}/virtualMachineScaleSets/vmss1`, false],
  ])("%s → %s", (path, counted) => {
    expect(isInstanceList(path)).toBe(counted);
  });

  // The watching policy as installPolicies adds it, fed one answered page: only the instance list's page moves the
  // list budget (an empty bucket then makes the rest of a list wait); the standalone VM list's leaves it unknown.
  it.each([
    { name: "the scale set's instance list", path: `${RG}/virtualMachineScaleSets/vmss1/virtualMachines`, waits: true },
    { name: "the standalone VM list of a Flexible set", path: `${RG}/virtualMachines`, waits: false },
  ])("a page of $name with an empty bucket: the next page waits → $waits", async ({ path, waits }) => {
    const now = 1_000_000;
    const lists = new ListBudget();
    const added: PipelinePolicy[] = [];
    const pipeline = {
      addPolicy: (policy: PipelinePolicy) => void added.push(policy),
      removePolicy: () => [],
    } as unknown as Pipeline;
    installPolicies(pipeline, () => Number.POSITIVE_INFINITY, { ...DEFAULT_RETRY_TIMING, now: () => now }, silent, {
      headroom: new Headroom(),
      lists,
      operations: new OperationPolls(5_000, 15_000),
      operationErrors: new OperationErrors(),
    });
    const watch = added.find((p) => p.name === "vmssRolloutWatch");
    const headers = new Map([["x-ms-ratelimit-remaining-resource", "Microsoft.Compute/HighCostGetVMScaleSet3Min;0"]]);
    const request = {
      method: "GET",
      url: `${ARM}${path}?api-version=2024-11-01&$expand=instanceView`,
    } as PipelineRequest;
    const response = {
      status: 200,
      request,
      bodyAsText: "{}",
      headers: { get: (n: string) => headers.get(n), set: () => {}, delete: () => {} },
    } as unknown as PipelineResponse;
    await watch?.sendRequest(request, () => Promise.resolve(response));
    expect(watch).toBeDefined();
    expect(lists.restWaitMs(now, true) > 0).toBe(waits);
  });
});

const silent = { debug: () => {}, info: () => {}, warning: () => {}, error: () => {} } as never;

describe("an operation's status document as the watching policy sees it", () => {
  // Azure's own start and end times in the status that says an upgrade ended set how long the next one is expected to
  // take (OperationPolls), not the moment its end was noticed: a short upgrade noticed late is still expected short.
  it.each([
    {
      body: { startTime: "2026-01-01T00:00:00.0000000+00:00", endTime: "2026-01-01T00:00:08.0000000+00:00" },
      first: 4_250, // 8 s expected: two fast reads spaced to meet 8.5 s
    },
    { body: { startTime: "2026-01-01T00:00:00.0000000+00:00" }, first: 15_000 },
  ])("status body $body → the next upgrade's first read after $first ms", async ({ body, first }) => {
    const operations = new OperationPolls(5_000, 15_000);
    const added: PipelinePolicy[] = [];
    const pipeline = {
      addPolicy: (policy: PipelinePolicy) => void added.push(policy),
      removePolicy: () => [],
    } as unknown as Pipeline;
    installPolicies(pipeline, () => Number.POSITIVE_INFINITY, DEFAULT_RETRY_TIMING, silent, {
      headroom: new Headroom(),
      lists: new ListBudget(),
      operations,
      operationErrors: new OperationErrors(),
    });
    const watch = added.find((p) => p.name === "vmssRolloutWatch");
    const url = `${ARM}/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/op-1?p=x&api-version=2024-11-01`;
    const request = { method: "GET", url } as PipelineRequest;
    const response = {
      status: 200,
      request,
      bodyAsText: JSON.stringify({ ...body, status: "Succeeded", name: "op-1" }),
      headers: { get: () => undefined, set: () => {}, delete: () => {} },
    } as unknown as PipelineResponse;
    const pace = operations.pace("upgrade");
    await watch?.sendRequest(request, () => Promise.resolve(response));
    // Noticed 60 s after it was accepted (a read on the slow grid, or a run that was busy).
    pace.ended(60_000, url.replace("?p=x", "?p=x&monitor=true"));
    expect(operations.pace("upgrade").firstMs()).toBe(first);
  });
});
