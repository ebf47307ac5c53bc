// SAS query strings must never leave the action: every rendered string and every output is scanned.

import { describe, expect, it } from "vitest";
import { annotationsFor, buildOutputs, headline, renderSummary } from "../../../src/report/index.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { failureWithStragglers, instance, rolledBack } from "./fixtures.ts";

const SAS = "?sv=2024-11-04&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=c2VjcmV0JTJCc2lnbmF0dXJl";
const uri = (file: string) => `https://stweb.blob.core.windows.net/scripts/${file}${SAS}`;

/** A record whose every free-text field quotes a SAS URL, as if the engine had missed one. */
function leakyRecord(): RolloutRecord {
  const base = failureWithStragglers();
  const error = { code: "VMExtensionProvisioningError", message: `Failed to download ${uri("install.sh")}: 403` };
  return {
    ...base,
    reason: `Download of ${uri("install.sh")} failed`,
    changes: [
      {
        property: "extensions[customScript].settings.fileUris",
        before: uri("a.sh"),
        after: `${uri("b.sh")}\n${uri("c.sh")}`,
      },
    ],
    previousModel: {
      imageReference: { version: "1.0.0" },
      extension: { name: "customScript", fileUris: [uri("a.sh"), uri("b.sh")], forceUpdateTag: "v1" },
    },
    batches: base.batches.map((b) => ({ ...b, error })),
    instances: [
      instance(1, "failed", { error, image: uri("image.vhd") }),
      instance(2, "straggler", { error }),
      ...base.instances.slice(3),
    ],
    rolling: {
      code: "Faulted",
      successfulInstanceCount: 1,
      failedInstanceCount: 1,
      inProgressInstanceCount: 0,
      pendingInstanceCount: 0,
      error,
    },
    rollback: { succeeded: false, instanceIds: ["1"], error: `Could not fetch ${uri("a.sh")}` },
  };
}

function everyRenderedString(record: RolloutRecord): string[] {
  return [
    renderSummary(record),
    headline(record),
    ...Object.values(buildOutputs(record)),
    ...annotationsFor(record).flatMap((a) => [a.title, a.message]),
  ];
}

describe("SAS query strings", () => {
  it.each([
    { name: "a record quoting SAS URLs everywhere", record: leakyRecord() },
    { name: "a rolled-back record", record: { ...rolledBack(), reason: `see ${uri("x.sh")}` } },
  ])("never appear in the summary, headline, outputs or annotations: $name", ({ record }) => {
    for (const text of everyRenderedString(record)) {
      expect(text).not.toMatch(/sig=/i);
      expect(text).not.toMatch(/sv=/i);
    }
  });

  it("are replaced by the redaction marker, so a reader sees a query was removed", () => {
    const outputs = buildOutputs(leakyRecord());
    expect(JSON.parse(outputs["previous-model"] ?? "").extension.fileUris).toEqual([
      "https://stweb.blob.core.windows.net/scripts/a.sh?[query removed]",
      "https://stweb.blob.core.windows.net/scripts/b.sh?[query removed]",
    ]);
    expect(renderSummary(leakyRecord())).toContain(
      "https&#8288;://stweb.blob.core.windows.net/scripts/b.sh?&#91;query removed&#93;",
    );
  });
});
