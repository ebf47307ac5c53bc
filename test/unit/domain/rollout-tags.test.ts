import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeRecord,
  encodeRecord,
  FORBIDDEN_NAME_CHARS,
  MAX_NAME_CHARS,
  MAX_TAGS,
  MAX_VALUE_CHARS,
  RECORD_TAG,
  recordedChanges,
  withOutcome,
  withRecord,
  type RolloutTagRecord,
} from "../../../src/domain/rollout-tags.ts";
import { planChange, type ModelChange } from "../../../src/domain/change.ts";
import type { ScaleSetModel } from "../../../src/domain/scale-set.ts";
import type { ChangeRequest } from "../../../src/config/types.ts";

// The longest names ARM allows: resource group 90, gallery 80, gallery image definition 80; version parts are Int32.
const LONG_ID = (version: string) =>
  `/subscriptions/6f1c8e2a-3b4d-4c5e-9f60-7a8b9c0d1e2f/resourceGroups/${"r".repeat(90)}/providers/Microsoft.Compute/galleries/${"g".repeat(80)}/images/${"i".repeat(80)}/versions/${version}`;
const MAX_VERSION = "2147483647.2147483647.2147483647";

const RUN = {
  repository: "octo/app",
  runId: "1234567890",
  attempt: "1",
  workflow: "deploy",
  url: "https://github.com/octo/app/actions/runs/1234567890/attempts/1",
};
const AT = "2026-12-04T01:02:03.456Z";

function rec(changes: RolloutTagRecord["changes"], extra: Partial<RolloutTagRecord> = {}): RolloutTagRecord {
  return { at: AT, run: RUN, outcome: "in-progress", changes, ...extra };
}

function encoded(record: RolloutTagRecord): Record<string, string> {
  const result = encodeRecord(record);
  if (!result.ok) throw new Error(result.reason);
  return { ...result.tags };
}

describe("encode and decode: exact round trip within Azure's tag limits", () => {
  it.each([
    { name: "an image version", record: rec([{ property: "image-version", before: "24.04.1", after: "24.04.2" }]) },
    {
      name: "gallery image version IDs at ARM's longest, split across parts",
      record: rec([{ property: "image-id", before: LONG_ID(MAX_VERSION), after: LONG_ID("2147483647.0.1") }]),
    },
    {
      name: "an extension's file URIs and tag, with a tag that had none before",
      record: rec([
        {
          property: "extension-file-uris",
          extension: "customScript",
          before: ["https://acct.blob.core.windows.net/c/v1.sh"],
          after: ["https://acct.blob.core.windows.net/c/v2.sh?[query removed]", "https://example.com/a%20b.sh"],
        },
        {
          property: "force-update-tag",
          extension: "customScript",
          after: "run-42-1",
          notRestorable: "extension 'customScript' had no forceUpdateTag before, and a PATCH cannot remove one",
        },
      ]),
    },
    {
      name: "a rollback's record, by a workflow whose name has spaces and non-ASCII characters",
      record: rec([{ property: "image-version", before: "2", after: "1" }], {
        run: { ...RUN, workflow: "Déploiement  prod ✓ <&%?/\\>" },
        outcome: "reverted",
        rollbackOf: { at: "2026-12-03T23:00:00.000Z", run: { repository: "octo/app", runId: "7" } },
      }),
    },
    {
      name: "a run outside GitHub Actions",
      record: { at: AT, outcome: "succeeded", changes: [{ property: "image-version", after: "1.0.0" }] },
    },
  ] satisfies { name: string; record: RolloutTagRecord }[])("$name", ({ record }) => {
    const tags = encoded(record);
    expect(Object.keys(tags).length).toBeLessThanOrEqual(MAX_TAGS);
    for (const [name, value] of Object.entries(tags)) {
      expect(name).toMatch(/^vmss-rollout\.record(\.\d+)?$/);
      expect(name).not.toMatch(FORBIDDEN_NAME_CHARS);
      expect(name.length).toBeLessThanOrEqual(MAX_NAME_CHARS);
      expect(value.length).toBeLessThanOrEqual(MAX_VALUE_CHARS);
      expect(value).toMatch(/^[\x21-\x7e]+$/); // printable ASCII, no spaces: nothing to trim or re-encode
    }
    expect(decodeRecord(tags)).toEqual({ kind: "record", record });
  });

  it("splits a long record into parts that rejoin exactly, and reads tag names case-insensitively", () => {
    const record = rec([{ property: "image-id", before: LONG_ID(MAX_VERSION), after: LONG_ID("1.2.3") }]);
    const tags = encoded(record);
    expect(Object.keys(tags).length).toBeGreaterThan(2);
    const upper = Object.fromEntries(Object.entries(tags).map(([n, v]) => [n.toUpperCase(), v]));
    expect(decodeRecord(upper)).toEqual({ kind: "record", record });
  });

  it("no record: none, whatever other tags there are", () => {
    expect(decodeRecord({})).toEqual({ kind: "none" });
    expect(decodeRecord({ env: "prod", "vmss-rollout.lease": "x" })).toEqual({ kind: "none" });
  });
});

describe("never a secret in a tag", () => {
  it("file URIs are stored without their query; a previous SAS URI makes the change not restorable", () => {
    const model = scaleSet({ fileUris: ["https://acct.blob.core.windows.net/c/v1.sh?sv=2024&sig=S3CRETsig%2B%3D"] });
    const request: ChangeRequest = {
      extension: {
        name: "customScript",
        fileUris: ["https://acct.blob.core.windows.net/c/v2.sh?sv=2024&sig=N3WSECRET"],
      },
    };
    const changes = recordedChanges(accepted(model, request), request, { image: false, extension: true });
    expect(changes).toEqual([
      {
        property: "extension-file-uris",
        extension: "customScript",
        before: ["https://acct.blob.core.windows.net/c/v1.sh?[query removed]"],
        after: ["https://acct.blob.core.windows.net/c/v2.sh?[query removed]"],
        notRestorable: expect.stringMatching(/SAS/),
      },
    ]);
    const text = JSON.stringify(encoded(rec(changes)));
    expect(text).not.toMatch(/sig|S3CRET|N3WSECRET|sv=/);
  });

  it.each([
    { name: "a SAS signature", tag: "sig=abcdefabcdef0123" },
    { name: "a JWT", tag: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl" },
    { name: "an account key", tag: "AccountKey=abc123abc123" },
    { name: "a URI with a query", tag: "https://x.example/a?token=abc" },
  ])("refuses the whole record when a value looks like a secret: $name", ({ tag }) => {
    const result = encodeRecord(rec([{ property: "force-update-tag", extension: "e", before: "a", after: tag }]));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/looks like a secret/) });
  });

  it("refuses the whole record when it holds one of the run's known secrets", () => {
    const record = rec([{ property: "force-update-tag", extension: "e", before: "a", after: "hunter2-is-secret" }]);
    expect(encodeRecord(record, ["hunter2-is-secret"]).ok).toBe(false);
    expect(encodeRecord(record, ["something-else"]).ok).toBe(true);
  });
});

describe("a damaged or partial record is refused, never half-read", () => {
  const record = rec([{ property: "image-id", before: LONG_ID("1.0.0"), after: LONG_ID("1.1.0") }]);
  const good = encoded(record);
  const parts = Object.keys(good).length - 1;
  const tamper = (change: (tags: Record<string, string>) => void): Record<string, string> => {
    const tags = { ...good };
    change(tags);
    return tags;
  };
  it.each([
    { name: "the header missing", tags: tamper((t) => delete t[RECORD_TAG]), why: /partial: .*header/ },
    { name: "a part missing", tags: tamper((t) => delete t[`${RECORD_TAG}.2`]), why: /partial: part 2 of/ },
    {
      name: "a part beyond the header's count",
      tags: tamper((t) => (t[`${RECORD_TAG}.${parts + 1}`] = "x")),
      why: /inconsistent/,
    },
    { name: "a stray record tag", tags: tamper((t) => (t[`${RECORD_TAG}.note`] = "x")), why: /inconsistent/ },
    {
      name: "a part edited",
      tags: tamper((t) => (t[`${RECORD_TAG}.2`] = `X${(t[`${RECORD_TAG}.2`] ?? "").slice(1)}`)),
      why: /altered/,
    },
    {
      name: "the parts swapped",
      tags: tamper((t) => {
        [t[`${RECORD_TAG}.1`], t[`${RECORD_TAG}.2`]] = [t[`${RECORD_TAG}.2`] ?? "", t[`${RECORD_TAG}.1`] ?? ""];
      }),
      why: /altered/,
    },
    { name: "a garbled header", tags: tamper((t) => (t[RECORD_TAG] = "hello")), why: /unreadable: its header/ },
    {
      name: "a newer format",
      tags: tamper((t) => (t[RECORD_TAG] = (t[RECORD_TAG] ?? "").replace("v1;", "v2;"))),
      why: /format v2/,
    },
    { name: "a checksum-valid but not-JSON document", tags: handMade("not json"), why: /not form a JSON/ },
    {
      name: "a JSON document that is not a record",
      tags: handMade(JSON.stringify({ at: AT, outcome: "in-progress", changes: [] })),
      why: /changes/,
    },
    {
      name: "a change of a kind it does not know",
      tags: handMade(JSON.stringify({ at: AT, outcome: "failed", changes: [{ property: "sku", after: "x" }] })),
      why: /property/,
    },
    // The action writes the run from GITHUB_REPOSITORY / GITHUB_RUN_ID / GITHUB_RUN_ATTEMPT: owner/name and digits.
    ...[
      { name: "a run's repository that is not owner/name", run: { repository: "x/y/../../evil", runId: "1" } },
      { name: "a run's repository with markup", run: { repository: "octo/<b>app</b>", runId: "1" } },
      { name: "a run ID that is not a number", run: { repository: "octo/app", runId: "41 or 42" } },
      { name: "a run attempt that is not a number", run: { repository: "octo/app", runId: "41", attempt: "1\n2" } },
    ].map(({ name, run }) => ({
      name,
      tags: handMade(
        JSON.stringify({ at: AT, run, outcome: "failed", changes: [{ property: "image-version", after: "1" }] }),
      ),
      why: /`run\.(repository|runId|attempt)` is not/,
    })),
  ])("$name", ({ tags, why }) => {
    const decoded = decodeRecord(tags);
    expect(decoded.kind).toBe("damaged");
    expect(decoded.kind === "damaged" && decoded.reason).toMatch(why);
  });
});

describe("withRecord and withOutcome: the whole tags map to write", () => {
  it("replaces an earlier record (its leftover parts too) and keeps every other tag", () => {
    const long = encoded(rec([{ property: "image-id", before: LONG_ID("1.0.0"), after: LONG_ID("1.1.0") }]));
    const next = rec([{ property: "image-version", before: "1", after: "2" }], { at: "2026-12-05T00:00:00.000Z" });
    const result = withRecord({ env: "prod", "vmss-rollout.lease": "held", ...long }, next);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.tags).toEqual({ env: "prod", "vmss-rollout.lease": "held", ...encoded(next) });
    expect(decodeRecord(result.tags)).toEqual({ kind: "record", record: next });
  });

  it("needs room for the record next to the user's own tags (Azure's 50 per resource), or is not written", () => {
    const record = rec([{ property: "image-version", before: "1", after: "2" }]);
    const needed = Object.keys(encoded(record)).length;
    const user = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`team-${i}`, "x"]));
    const fits = withRecord(user(MAX_TAGS - needed), record);
    expect(fits.ok && Object.keys(fits.tags)).toHaveLength(MAX_TAGS);
    for (const own of [MAX_TAGS - needed + 1, MAX_TAGS]) {
      const result = withRecord(user(own), record);
      expect(result).toEqual({
        ok: false,
        reason: expect.stringMatching(
          new RegExp(`no room for the rollout record.*needs ${needed} tags.*${own} other tags.*50 per resource`),
        ),
      });
    }
  });

  it("sets the outcome of this run's record only", () => {
    const mine = rec([{ property: "image-version", before: "1", after: "2" }]);
    const tags = { env: "prod", ...encoded(mine) };
    const done = withOutcome(tags, mine, "succeeded");
    expect(done.ok && decodeRecord(done.tags)).toEqual({ kind: "record", record: { ...mine, outcome: "succeeded" } });
    expect(done.ok && done.tags["env"]).toBe("prod");

    const otherAttempt = withOutcome(tags, { at: AT, run: { ...RUN, attempt: "2" } }, "failed");
    expect(otherAttempt).toEqual({ ok: false, reason: expect.stringMatching(/another run's/) });
    expect(withOutcome({ env: "prod" }, mine, "failed")).toEqual({
      ok: false,
      reason: expect.stringMatching(/no rollout record/),
    });
  });
});

describe("recordedChanges: what a run's writes changed", () => {
  it.each([
    {
      name: "an image version",
      model: scaleSet(),
      request: { imageVersion: "1.1.0" },
      written: { image: true, extension: false },
      expected: [{ property: "image-version", before: "1.0.0", after: "1.1.0" }],
    },
    {
      name: "an image the write did not reach: nothing",
      model: scaleSet(),
      request: { imageVersion: "1.1.0" },
      written: { image: false, extension: false },
      expected: [],
    },
    {
      name: "a gallery image ID",
      model: scaleSet({ imageId: LONG_ID("1.0.0") }),
      request: { imageId: LONG_ID("1.1.0") },
      written: { image: true, extension: false },
      expected: [{ property: "image-id", before: LONG_ID("1.0.0"), after: LONG_ID("1.1.0") }],
    },
    {
      name: "public file URIs and a tag that existed: both restorable",
      model: scaleSet({ fileUris: ["https://example.com/v1.sh"], forceUpdateTag: "t1" }),
      request: { extension: { name: "customScript", fileUris: ["https://example.com/v2.sh"], forceUpdateTag: "t2" } },
      written: { image: false, extension: true },
      expected: [
        {
          property: "extension-file-uris",
          extension: "customScript",
          before: ["https://example.com/v1.sh"],
          after: ["https://example.com/v2.sh"],
        },
        { property: "force-update-tag", extension: "customScript", before: "t1", after: "t2" },
      ],
    },
    {
      name: "a tag where there was none: not restorable",
      model: scaleSet({ fileUris: ["https://example.com/v1.sh"] }),
      request: { extension: { name: "customScript", forceUpdateTag: "t2" } },
      written: { image: false, extension: true },
      expected: [
        {
          property: "force-update-tag",
          extension: "customScript",
          after: "t2",
          notRestorable: expect.stringMatching(/no forceUpdateTag before/),
        },
      ],
    },
    {
      name: "a pinned version over `latest`: not restorable (Azure would resolve it to the newest again)",
      model: {
        ...scaleSet(),
        imageReference: { publisher: "Canonical", offer: "UbuntuServer", sku: "18.04-LTS", version: "latest" },
      },
      request: { imageVersion: "1.1.0" },
      written: { image: true, extension: false },
      expected: [
        {
          property: "image-version",
          before: "latest",
          after: "1.1.0",
          notRestorable: expect.stringMatching(/named image version 'latest' before/),
        },
      ],
    },
    {
      name: "a gallery image version's ID over the gallery image's (its newest version): not restorable",
      model: scaleSet({ imageId: LONG_ID("1.0.0").replace(/\/versions\/1\.0\.0$/, "") }),
      request: { imageId: LONG_ID("1.1.0") },
      written: { image: true, extension: false },
      expected: [
        {
          property: "image-id",
          before: LONG_ID("1.0.0").replace(/\/versions\/1\.0\.0$/, ""),
          after: LONG_ID("1.1.0"),
          notRestorable: expect.stringMatching(/the gallery image without a version before/),
        },
      ],
    },
  ])("$name", ({ model, request, written, expected }) => {
    expect(recordedChanges(accepted(model, request as ChangeRequest), request as ChangeRequest, written)).toEqual(
      expected,
    );
  });
});

/** A header and one part around `json`, with a valid checksum: damage past the checksum. */
function handMade(json: string): Record<string, string> {
  // The checksum as the codec computes it: the first 16 hex digits of the document's SHA-256.
  const sum = createHash("sha256").update(json, "utf8").digest("hex").slice(0, 16);
  return { [RECORD_TAG]: `v1;parts=1;sha256=${sum}`, [`${RECORD_TAG}.1`]: json };
}

function scaleSet(options: { imageId?: string; fileUris?: string[]; forceUpdateTag?: string } = {}): ScaleSetModel {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    etag: '"3"',
    orchestrationMode: "Uniform",
    upgradeMode: "Manual",
    imageReference: options.imageId
      ? { id: options.imageId }
      : { publisher: "Canonical", offer: "UbuntuServer", sku: "18.04-LTS", version: "1.0.0" },
    extensions: [
      {
        name: "customScript",
        publisher: "Microsoft.Azure.Extensions",
        type: "CustomScript",
        settings: { ...(options.fileUris && { fileUris: options.fileUris }), commandToExecute: "bash run.sh" },
        ...(options.forceUpdateTag !== undefined && { forceUpdateTag: options.forceUpdateTag }),
      },
    ],
    hasHealthSignal: false,
  };
}

function accepted(model: ScaleSetModel, request: ChangeRequest): ModelChange {
  const plan = planChange(model, request);
  if (!plan.ok) throw new Error(plan.reason);
  return plan;
}
