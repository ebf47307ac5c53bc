import { describe, expect, it } from "vitest";
import { batchCount, planBatches, resolveSize } from "../../../src/domain/batches.ts";
import type { InstanceState } from "../../../src/domain/scale-set.ts";
import type { Size } from "../../../src/config/types.ts";

const count = (value: number): Size => ({ kind: "count", value });
const percent = (value: number): Size => ({ kind: "percent", value });

function instance(id: number, overrides: Partial<InstanceState> = {}): InstanceState {
  return {
    instanceId: String(id),
    name: `vmss1_${id}`,
    latestModelApplied: false,
    protectedFromScaleSetActions: false,
    provisioningState: "Succeeded",
    powerState: "running",
    ...overrides,
  };
}

const six = [0, 1, 2, 3, 4, 5].map((id) => instance(id));

describe("resolveSize", () => {
  it.each([
    { size: percent(20), total: 6, expected: 2 }, // 1.2 rounds up
    { size: percent(20), total: 5, expected: 1 },
    { size: percent(1), total: 6, expected: 1 }, // at least 1
    { size: percent(50), total: 7, expected: 4 },
    { size: percent(100), total: 6, expected: 6 },
    { size: count(4), total: 6, expected: 4 },
    { size: count(10), total: 6, expected: 6 }, // capped at the total
    { size: count(3), total: 0, expected: 0 },
  ])("$size.value ($size.kind) of $total → $expected", ({ size, total, expected }) => {
    expect(resolveSize(size, total)).toBe(expected);
  });
});

describe("batchCount", () => {
  // As many as planBatches makes of that many instances, whatever the sizes.
  it.each([
    { total: 10, batchSize: percent(20), canary: undefined },
    { total: 7, batchSize: percent(50), canary: undefined },
    { total: 6, batchSize: count(4), canary: undefined },
    { total: 6, batchSize: count(2), canary: count(1) },
    { total: 6, batchSize: percent(20), canary: percent(50) },
    { total: 3, batchSize: count(1), canary: count(3) },
    { total: 1, batchSize: percent(100), canary: count(1) },
    { total: 1000, batchSize: percent(20), canary: percent(1) },
    { total: 0, batchSize: percent(20), canary: count(1) },
  ])("$total instances, batch-size $batchSize.value ($batchSize.kind)", ({ total, batchSize, canary }) => {
    const options = { batchSize, ...(canary && { canary }) };
    const instances = Array.from({ length: total }, (_, id) => instance(id));
    expect(batchCount(total, options)).toBe(planBatches(instances, options).batches.length);
  });
});

describe("planBatches", () => {
  it.each([
    {
      name: "20% of 6",
      options: { batchSize: percent(20) },
      batches: [
        ["0", "1"],
        ["2", "3"],
        ["4", "5"],
      ],
    },
    {
      name: "count 4 of 6",
      options: { batchSize: count(4) },
      batches: [
        ["0", "1", "2", "3"],
        ["4", "5"],
      ],
    },
    { name: "100%", options: { batchSize: percent(100) }, batches: [["0", "1", "2", "3", "4", "5"]] },
    { name: "count 1", options: { batchSize: count(1) }, batches: [["0"], ["1"], ["2"], ["3"], ["4"], ["5"]] },
    {
      name: "canary 1 then 50%",
      options: { batchSize: percent(50), canary: count(1) },
      batches: [["0"], ["1", "2", "3"], ["4", "5"]],
    },
    {
      name: "canary of everything",
      options: { batchSize: count(2), canary: percent(100) },
      batches: [["0", "1", "2", "3", "4", "5"]],
    },
  ])("cuts $name", ({ options, batches }) => {
    const plan = planBatches(six, options);
    expect(plan.batches.map((b) => b.instanceIds)).toEqual(batches);
    expect(plan.batches.map((b) => b.index)).toEqual(batches.map((_, i) => i + 1));
    expect(plan.batches.map((b) => b.canary)).toEqual(batches.map((_, i) => "canary" in options && i === 0));
  });

  it("skips protected, own-model (Flexible VMs attached with their own profile) and current instances, and reports them", () => {
    const instances = [
      instance(0, { protectedFromScaleSetActions: true }),
      instance(1, { latestModelApplied: true }),
      instance(2),
      instance(3),
      instance(4, { ownModel: true }),
    ];
    const plan = planBatches(instances, { batchSize: count(5) });
    expect(plan).toEqual({
      batches: [{ index: 1, canary: false, instanceIds: ["2", "3"] }],
      toUpgrade: ["2", "3"],
      current: ["1"],
      protected: ["0"],
      ownModel: ["4"],
    });
  });

  const mixed = [
    instance(10),
    instance(2),
    instance(11, { health: "unhealthy" }),
    instance(3, { provisioningState: "Failed" }),
    instance(1, { health: "healthy" }),
  ];

  it("upgrades unhealthy and failed instances first, then by numeric instance ID", () => {
    const plan = planBatches(mixed, { batchSize: count(2) });
    expect(plan.toUpgrade).toEqual(["3", "11", "1", "2", "10"]);
    expect(plan.batches.map((b) => b.instanceIds)).toEqual([["3", "11"], ["1", "2"], ["10"]]);
  });

  it("takes the canary from instances in good standing, then the unhealthy and failed ones first", () => {
    const plan = planBatches(mixed, { batchSize: count(2), canary: count(1) });
    expect(plan.toUpgrade).toEqual(["1", "3", "11", "2", "10"]);
    expect(plan.batches.map((b) => [b.canary, b.instanceIds])).toEqual([
      [true, ["1"]],
      [false, ["3", "11"]],
      [false, ["2", "10"]],
    ]);
  });

  it("fills a canary larger than the healthy instances with troubled ones", () => {
    const plan = planBatches(mixed, { batchSize: count(5), canary: count(4) });
    expect(plan.batches.map((b) => b.instanceIds)).toEqual([["1", "2", "10", "3"], ["11"]]);
  });

  it("plans nothing when every instance is current", () => {
    const plan = planBatches(
      six.map((i) => ({ ...i, latestModelApplied: true })),
      { batchSize: percent(20), canary: count(1) },
    );
    expect(plan.batches).toEqual([]);
    expect(plan.current).toHaveLength(6);
  });
});
