// The fault fuzzer's scenarios (test/fuzz/generate.ts): the same for a seed on every run, and over a few hundred
// seeds every mode and every kind of fault, well formed. The fuzzer itself runs with `npm run fuzz`.
import { describe, expect, it } from "vitest";
import { FAULT_KINDS, generate, MODES, mulberry32, OTHER_WRITES, type Scenario } from "../../fuzz/generate.ts";

const SEEDS = Array.from({ length: 200 }, (_, k) => k + 1);
const scenarios: Scenario[] = SEEDS.map(generate);

describe("fuzz scenario generator", () => {
  it("mulberry32 gives the same numbers for a seed, in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, a);
    expect(Array.from({ length: 100 }, b)).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
    expect(Array.from({ length: 100 }, mulberry32(43))).not.toEqual(xs);
  });

  it("draws the same scenario for a seed every time, and different ones for different seeds", () => {
    for (const seed of SEEDS) expect(generate(seed)).toEqual(scenarios[seed - 1]);
    expect(new Set(scenarios.map((s) => JSON.stringify({ ...s, seed: 0 }))).size).toBe(SEEDS.length);
  });

  it("covers every mode, fault kind and other writer's write across 200 seeds", () => {
    const modes = new Set(scenarios.map((s) => s.mode));
    const kinds = new Set(scenarios.flatMap((s) => s.faults.map((f) => f.kind)));
    const writes = new Set(
      scenarios.flatMap((s) => s.faults.flatMap((f) => (f.kind === "concurrentWrite" ? [f.what] : []))),
    );
    expect([...modes].sort()).toEqual([...MODES].sort());
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
    expect([...writes].sort()).toEqual([...OTHER_WRITES].sort());
    for (const mode of MODES) {
      const of = scenarios.filter((s) => s.mode === mode);
      expect(of.some((s) => s.rollout.rollbackOnFailure)).toBe(true);
      expect(of.some((s) => !s.rollout.rollbackOnFailure)).toBe(true);
      expect(of.some((s) => s.extensionChange)).toBe(true);
    }
    expect(scenarios.filter((s) => s.rollbackTargeted).length).toBeGreaterThan(10);
  });

  it("draws well-formed scenarios", () => {
    for (const s of scenarios) {
      expect(s.instances).toBeGreaterThanOrEqual(3);
      expect(s.faults.length).toBeGreaterThanOrEqual(1);
      for (const f of s.faults) {
        if ("instance" in f) expect(f.instance).toBeLessThan(s.instances);
        if (f.kind === "unhealthyAfterUpgrade") {
          expect(s.healthExtension).toBe(true);
          expect(f.instances.every((k) => k < s.instances)).toBe(true);
        }
        if ("after" in f) expect(f.after).toBeGreaterThanOrEqual(0);
      }
      if (s.faults.some((f) => f.kind === "hangUpgrade")) expect(s.rollout.timeoutMs).toBeLessThanOrEqual(8_000);
      if (s.rollbackTargeted) {
        expect(s.rollout.rollbackOnFailure).toBe(true);
        expect(s.faults.some((f) => f.kind === "failUpgrade" || f.kind === "unhealthyAfterUpgrade")).toBe(true);
      }
      // Operations a mode does not use would make faults that never fire.
      const ops = s.faults.flatMap((f) => ("operation" in f && f.operation !== undefined ? [f.operation] : []));
      if (!s.mode.startsWith("Manual")) expect(ops).not.toContain("VirtualMachineScaleSets.UpdateInstances");
      if (!s.mode.includes("Flexible")) expect(ops).not.toContain("VirtualMachines.List");
      if (s.mode.startsWith("Manual")) expect(ops).not.toContain("VirtualMachineScaleSetRollingUpgrades.GetLatest");
    }
  });
});
