// Tags on scale sets, as the emulator answers them (README "Tags and the lease"): a PATCH's tags replace the set's,
// the etag moves, nothing starts on the instances in any upgrade mode, and Azure's limits are refused with its codes.
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator } from "./index.ts";
import { computeClient, FAST_POLL } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-tags";
let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(upgradeMode: "Manual" | "Automatic" | "Rolling", tags: Record<string, string> = {}) {
  emu = await start({ speed: 0.001, scaleSets: [{ name: VMSS, instances: 3, upgradeMode, tags }] });
  return { emu, client: computeClient(emu) };
}

describe("tags-only PATCH of a scale set", () => {
  it.each(["Manual", "Automatic", "Rolling"] as const)(
    "%s: replaces the tags, moves the etag, and starts nothing on the instances (stale ones stay stale)",
    async (mode) => {
      const { emu, client } = await setup(mode, { keep: "1", drop: "2" });
      // Another client changed the model without an operation: every instance is stale, and no roll runs.
      emu.faults.concurrentWrite({
        patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "2" } } } } },
      });
      await client.virtualMachineScaleSets.get(RG, VMSS);
      const before = emu.state(VMSS);
      const updated = await client.virtualMachineScaleSets.update(
        RG,
        VMSS,
        { tags: { keep: "1", added: "3" } },
        { ...FAST_POLL, ifMatch: String(before.model["etag"]) },
      );
      expect(updated.tags).toEqual({ keep: "1", added: "3" });
      expect(Number(JSON.parse(updated.etag ?? "0"))).toBe(Number(JSON.parse(String(before.model["etag"]))) + 1);
      const after = emu.state(VMSS);
      expect(after.model["properties"]).toEqual(before.model["properties"]);
      expect(after.instances.map((i) => i.latestModelApplied)).toEqual([false, false, false]);
      expect(after.operations.map((o) => [o.operation, o.status])).toEqual([
        ["VirtualMachineScaleSets.UpdateTags", "Succeeded"],
      ]);
      await expect(client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS)).rejects.toMatchObject({
        statusCode: 404,
      });
    },
  );

  it.each([
    {
      name: "51 tags",
      tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"])),
      code: "InvalidTags",
      message: "Too many tags specified. Requested tag count - '51'. Maximum number of tags allowed - '50'.",
    },
    {
      name: "a name with '/'",
      tags: { "a/b": "v" },
      code: "InvalidTagNameCharacters",
      message: "The tag names 'a/b' have reserved characters '<,>,%,&,\\,?,/' or control characters.",
    },
    {
      name: "a 513-character name",
      tags: { ["n".repeat(513)]: "v" },
      code: "InvalidTagName",
      message: expect.stringMatching(
        /^Tag key too large\..* Maximum allowed length for tag name - '512' characters\.$/,
      ),
    },
    {
      name: "a 257-character value",
      tags: { a: "v".repeat(257) },
      code: "InvalidTagValueLength",
      message: expect.stringMatching(
        /^Tag value too large\..* Maximum allowed length for tag value - '256' characters\.$/,
      ),
    },
  ])("refuses $name with 400 $code, changing nothing", async ({ tags, code, message }) => {
    const { emu, client } = await setup("Manual", { keep: "1" });
    await expect(client.virtualMachineScaleSets.update(RG, VMSS, { tags }, FAST_POLL)).rejects.toMatchObject({
      statusCode: 400,
      code,
      message,
    });
    expect(emu.state(VMSS).model["tags"]).toEqual({ keep: "1" });
    expect(emu.state(VMSS).model["etag"]).toBe('"1"');
  });

  it("takes the lease's names (the `vmss-rollout.` prefix, dot-separated words) and 50 tags", async () => {
    const { emu, client } = await setup("Manual");
    const tags = {
      ...Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`t${i}`, "v"])),
      "vmss-rollout.lease": "v1;until=2026-12-04T01:00:00.000Z;token=x;run=1/1",
      "vmss-rollout.lease.repository": "octo/app",
      "vmss-rollout.lease.server": "https://github.com",
    };
    await client.virtualMachineScaleSets.update(RG, VMSS, { tags }, FAST_POLL);
    expect(emu.state(VMSS).model["tags"]).toEqual(tags);
  });
});
