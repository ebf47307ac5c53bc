import { describe, expect, it } from "vitest";
import { planRollback, rollbackStillApplies } from "../../../src/domain/rollback-plan.ts";
import { encodeRecord, RECORD_TAG, type RolloutTagRecord } from "../../../src/domain/rollout-tags.ts";
import type { ScaleSetModel } from "../../../src/domain/scale-set.ts";

const RUN = { repository: "octo/app", runId: "42", attempt: "1", workflow: "deploy" };
const AT = "2026-12-04T01:00:00.000Z";
const GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app/versions/";

function scaleSet(
  options: { version?: string; imageId?: string; fileUris?: string[]; tag?: string } = {},
  record?: RolloutTagRecord,
): ScaleSetModel {
  const encoded = record ? encodeRecord(record) : undefined;
  if (encoded && !encoded.ok) throw new Error(encoded.reason);
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    etag: '"7"',
    orchestrationMode: "Uniform",
    upgradeMode: "Manual",
    imageReference: options.imageId
      ? { id: options.imageId }
      : { publisher: "Canonical", offer: "ubuntu", sku: "24_04-lts", version: options.version ?? "2.0.0" },
    extensions: [
      {
        name: "customScript",
        settings: { fileUris: options.fileUris ?? ["https://example.com/v2.sh"], commandToExecute: "bash run.sh" },
        ...(options.tag !== undefined && { forceUpdateTag: options.tag }),
      },
    ],
    hasHealthSignal: false,
    tags: { owner: "ops", ...(encoded?.ok && encoded.tags) },
  };
}

function record(changes: RolloutTagRecord["changes"], extra: Partial<RolloutTagRecord> = {}): RolloutTagRecord {
  return { at: AT, run: RUN, outcome: "succeeded", changes, ...extra };
}

const VERSION_CHANGE = record([{ property: "image-version", before: "1.0.0", after: "2.0.0" }]);

describe("planRollback: the change request a rollback run becomes", () => {
  it.each([
    {
      name: "an image version: back to the previous one",
      model: scaleSet({}, VERSION_CHANGE),
      request: { imageVersion: "1.0.0" },
    },
    {
      name: "a gallery image ID",
      model: scaleSet(
        { imageId: `${GALLERY}1.1.0` },
        record([{ property: "image-id", before: `${GALLERY}1.0.0`, after: `${GALLERY}1.1.0` }]),
      ),
      request: { imageId: `${GALLERY}1.0.0` },
    },
    {
      name: "public file URIs and a tag (the model's URIs compared without their query)",
      model: scaleSet(
        { fileUris: ["https://example.com/v2.sh?sv=1&sig=abcdefgh"], tag: "t2" },
        record([
          {
            property: "extension-file-uris",
            extension: "customScript",
            before: ["https://example.com/v1.sh"],
            after: ["https://example.com/v2.sh?[query removed]"],
          },
          { property: "force-update-tag", extension: "customScript", before: "t1", after: "t2" },
        ]),
      ),
      request: { extension: { name: "customScript", fileUris: ["https://example.com/v1.sh"], forceUpdateTag: "t1" } },
    },
    {
      name: "image and a tag that had no value before: the image goes back, the tag stays",
      model: scaleSet(
        { tag: "t2" },
        record([
          { property: "image-version", before: "1.0.0", after: "2.0.0" },
          { property: "force-update-tag", extension: "customScript", after: "t2", notRestorable: "had none" },
        ]),
      ),
      request: { imageVersion: "1.0.0" },
      kept: [expect.stringContaining("forceUpdateTag stays t2")],
    },
    {
      name: "a failed run whose rollback-on-failure put the model back but not every instance: the instances follow",
      model: scaleSet({ version: "1.0.0" }, { ...VERSION_CHANGE, outcome: "failed" }),
      request: { imageVersion: "1.0.0" },
    },
    {
      name: "a rollback's record is finished, never undone: its current values again",
      model: scaleSet(
        { version: "1.0.0" },
        record([{ property: "image-version", before: "2.0.0", after: "1.0.0" }], {
          outcome: "failed",
          rollbackOf: { at: "2026-12-03T00:00:00.000Z", run: { repository: "octo/app", runId: "41" } },
        }),
      ),
      request: { imageVersion: "1.0.0" },
      finishing: true,
    },
  ])("$name", ({ model, request, kept, finishing }) => {
    const plan = planRollback(model);
    expect(plan).toMatchObject({ ok: true, request, finishing: finishing ?? false, kept: kept ?? [] });
  });
});

describe("planRollback: refusals, before anything is written", () => {
  it.each([
    { name: "no record", model: scaleSet(), why: /found no rollout record.*vmss-rollout\.record/ },
    {
      name: "a damaged record",
      model: { ...scaleSet({}, VERSION_CHANGE), tags: { [`${RECORD_TAG}.1`]: "{}" } },
      why: /cannot use the rollout record.*partial/,
    },
    {
      name: "previous file URIs with a SAS query (never stored)",
      model: scaleSet(
        {},
        record([
          {
            property: "extension-file-uris",
            extension: "customScript",
            before: ["https://example.com/v1.sh?[query removed]"],
            after: ["https://example.com/v2.sh"],
            notRestorable: "the previous file URIs carried query strings (SAS tokens), which are never stored in tags",
          },
        ]),
      ),
      why: /cannot be undone.*SAS tokens.*SAS tokens added back/,
    },
    {
      name: "only a forceUpdateTag that had no value before",
      model: scaleSet(
        { tag: "t2" },
        record([
          {
            property: "force-update-tag",
            extension: "customScript",
            after: "t2",
            notRestorable: "extension 'customScript' had no forceUpdateTag before, and a PATCH cannot remove one",
          },
        ]),
      ),
      why: /cannot be undone.*forceUpdateTag: extension 'customScript' had no forceUpdateTag/,
    },
    {
      name: "another writer changed the model since",
      model: scaleSet({ version: "3.0.0" }, VERSION_CHANGE),
      why: /no longer holds what deploy run 42, attempt 1 of octo\/app.*version is 3\.0\.0, not 2\.0\.0.*Another writer/,
    },
    {
      // Another writer's URI with user:password@ in the model: quoted without it (as the record stores URIs).
      name: "another writer's file URIs since, with credentials in them",
      model: scaleSet(
        { fileUris: ["https://ops:hunter2@example.com/v3.sh"] },
        record([
          {
            property: "extension-file-uris",
            extension: "customScript",
            before: ["https://example.com/v1.sh"],
            after: ["https://example.com/v2.sh"],
          },
        ]),
      ),
      why: /^(?!.*hunter2).*no longer holds.*https:\/\/\*\*\*@example\.com\/v3\.sh.*Another writer/,
    },
    {
      name: "a change its own run already rolled back",
      model: scaleSet({ version: "1.0.0" }, { ...VERSION_CHANGE, outcome: "rolled-back" }),
      why: /already rolled back by that run itself/,
    },
  ])("$name", ({ model, why }) => {
    const plan = planRollback(model);
    expect(plan).toEqual({ ok: false, reason: expect.stringMatching(why) });
    expect(!plan.ok && plan.reason).toMatch(/[Nn]othing was written/);
  });
});

describe("rollbackStillApplies: the model read again before the write", () => {
  it.each([
    { name: "still the recorded value", version: "2.0.0", ok: true },
    { name: "already the rollback's value (its own write landed)", version: "1.0.0", ok: true },
    { name: "a third value (another writer)", version: "3.0.0", ok: false },
  ])("$name", ({ version, ok }) => {
    const why = rollbackStillApplies(scaleSet({ version }), VERSION_CHANGE, false);
    expect(why === undefined).toBe(ok);
  });
});
