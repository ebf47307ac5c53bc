// Issue 14 acceptance: a release workflow as written (tag push, `image-version: ${{ github.ref_name }}`) rolls out
// the version the tag names, run as dist/index.js against the emulator.
import { describe, expect, it } from "vitest";
import { runAction } from "./harness.ts";
import { emulator, expectExit, FAST, record, writesTo } from "./fixtures.ts";

describe("a release tag as the version", () => {
  it("image-version: v1.4.0 rolls out image version 1.4.0 and says so in the log", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 2 }] });
    const result = await runAction({
      emu,
      scaleSet: "vmss-web",
      inputs: { ...FAST, "image-version": "v1.4.0" },
      env: { GITHUB_REF: "refs/tags/v1.4.0" },
    });

    expectExit(result, 0);
    const modelWrites = writesTo(emu, /\/virtualMachineScaleSets\/vmss-web$/i);
    expect(modelWrites).toHaveLength(1);
    expect(JSON.stringify(modelWrites[0]?.body)).toContain('"version":"1.4.0"');
    expect(emu.state("vmss-web").instances.map((i) => i.imageReference["version"])).toEqual(["1.4.0", "1.4.0"]);
    expect(record(result).changes.map((c) => c.after)).toContain("1.4.0");
    expect(result.stdout).toMatch(/v1\.4\.0.*1\.4\.0/);
  });

  it("image-version: release-1.4 is refused before anything is written, naming the input and the value", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 1 }] });
    const result = await runAction({ emu, scaleSet: "vmss-web", inputs: { ...FAST, "image-version": "release-1.4" } });

    expectExit(result, 1);
    expect(emu.writes()).toEqual([]);
    expect(result.stdout).toMatch(/image-version.*'release-1\.4'.*<major>\.<minor>\.<patch>/);
  });
});
