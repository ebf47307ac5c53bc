import { describe, expect, it } from "vitest";
import { buildOutputs } from "../../../src/report/index.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { dryRun, failureWithStragglers, instance, SCENARIOS, success, unchanged } from "./fixtures.ts";

describe("buildOutputs", () => {
  it("has exactly the outputs action.yml declares", () => {
    expect(Object.keys(buildOutputs(success())).sort()).toEqual([
      "deployment-id",
      "failed-instances",
      "pending-instances",
      "previous-model",
      "result",
      "skipped-instances",
      "summary-json",
      "unknown-instances",
      "updated-instances",
    ]);
  });

  it.each([
    { deployment: undefined, id: "" },
    { deployment: { environment: "production", statuses: [] }, id: "" },
    { deployment: { environment: "production", id: 17, statuses: ["in_progress", "success"] as const }, id: "17" },
  ])("deployment-id $id from $deployment", ({ deployment, id }) => {
    const record: RolloutRecord = { ...success(), ...(deployment && { deployment }) };
    expect(buildOutputs(record)["deployment-id"]).toBe(id);
  });

  it.each([
    { name: "success", record: success(), result: "succeeded", updated: 48, failed: [], skipped: ["7"] },
    { name: "unchanged", record: unchanged(), result: "unchanged", updated: 0, failed: [], skipped: [] },
    { name: "dry run", record: dryRun(), result: "planned", updated: 0, failed: [], skipped: [] },
    {
      name: "stragglers",
      record: failureWithStragglers(),
      result: "failed",
      updated: 25,
      failed: ["11", "12", "27", "28", "29"],
      skipped: [],
    },
  ])("$name: result and instance lists", ({ record, result, updated, failed, skipped }) => {
    const outputs = buildOutputs(record);
    expect(outputs["result"]).toBe(result);
    expect(JSON.parse(outputs["updated-instances"] ?? "")).toHaveLength(updated);
    expect(outputs["failed-instances"]).toBe(JSON.stringify(failed));
    expect(outputs["skipped-instances"]).toBe(JSON.stringify(skipped));
  });

  it("lists the instances a stopped run never started as pending", () => {
    const record: RolloutRecord = {
      ...success(),
      result: "failed",
      instances: [
        instance("0", "updated"),
        instance("1", "failed"),
        instance("2", "not-started"),
        instance("3", "not-started"),
      ],
    };
    const outputs = buildOutputs(record);
    expect(outputs["pending-instances"]).toBe('["2","3"]');
    expect(outputs["failed-instances"]).toBe('["1"]');
  });

  it("lists instance IDs as JSON strings in numeric order", () => {
    const record: RolloutRecord = {
      ...success(),
      instances: ["10", "2", "1", "100", "21"].map((id) => instance(id, "updated")),
    };
    expect(buildOutputs(record)["updated-instances"]).toBe('["1","2","10","21","100"]');
  });

  it("gives previous-model as JSON of the values before the patch, and null when there are none", () => {
    expect(JSON.parse(buildOutputs(success())["previous-model"] ?? "")).toEqual({
      imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "1.0.0" },
      extension: {
        name: "customScript",
        fileUris: ["https://stweb.blob.core.windows.net/scripts/install-1.0.sh?[query removed]"],
        forceUpdateTag: "v41",
      },
    });
    const { previousModel: _, ...withoutPrevious } = success();
    expect(buildOutputs(withoutPrevious)["previous-model"]).toBe("null");
  });

  it("summary-json and previous-model carry no workflow command from Azure's words, for a later step that prints them", () => {
    // An audit (2026-12-06): the outputs kept Azure's `##[` and line-initial `::` as sent.
    const forged = "Conflict.\n::error title=forged::deploy ok\n##[group]x";
    const record: RolloutRecord = {
      ...success(),
      reason: forged,
      previousModel: { imageReference: { version: "1\n::add-mask::x" } },
    };
    const outputs = buildOutputs(record);
    const printed = [
      ...Object.values(JSON.parse(outputs["summary-json"] ?? "") as Record<string, unknown>).map(String),
      JSON.stringify(JSON.parse(outputs["previous-model"] ?? "")).replace(/\\n/g, "\n"),
      String((JSON.parse(outputs["summary-json"] ?? "") as RolloutRecord).reason),
    ].join("\n");
    expect(printed).not.toMatch(/^\s*::/m);
    expect(printed).not.toContain("##[");
    expect((JSON.parse(outputs["summary-json"] ?? "") as RolloutRecord).reason).toBe(
      "Conflict.\n: :error title=forged::deploy ok\n## [group]x",
    );
  });

  it("instance IDs and the portal link, as Azure gave them, carry no workflow command either", () => {
    // An audit (2026-12-06): `pending-instances` held `1##[stop-commands]x` and the portal link (built from the scale
    // set's ID as read) the same, for a later step that prints them.
    const base = success();
    const record: RolloutRecord = {
      ...base,
      target: { ...base.target, portalUrl: "https://portal.azure.com/#resource/x/vmss##[stop-commands]p/overview" },
      instances: base.instances.map((i, n) => (n === 0 ? { ...i, instanceId: "1##[stop-commands]p" } : i)),
    };
    const outputs = buildOutputs(record);
    for (const [name, value] of Object.entries(outputs)) expect(value, name).not.toContain("##[");
    expect((JSON.parse(outputs["summary-json"] ?? "") as RolloutRecord).target.portalUrl).toBe(
      "https://portal.azure.com/#resource/x/vmss## [stop-commands]p/overview",
    );
  });

  it.each(Object.entries(SCENARIOS))("%s: summary-json parses back to the record", (_name, build) => {
    const record = build();
    expect(JSON.parse(buildOutputs(record)["summary-json"] ?? "")).toEqual(record);
  });
});
