import { describe, expect, it } from "vitest";
import { headline, renderSummary } from "../../../src/report/index.ts";
import { SUMMARY_BUDGET_BYTES } from "../../../src/report/summary.ts";
import type { RolloutRecord } from "../../../src/types.ts";
import { instance, range, rolledBack, SCENARIOS, success, thousandInstances } from "./fixtures.ts";

const MIB = 1024 * 1024;

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

// Each scenario: the headline a person reads first, and lines that must be in its summary.
const cases: Array<{ name: keyof typeof SCENARIOS; headline: string; contains: string[] }> = [
  {
    name: "success",
    headline: "Rollout succeeded: 49/50 instances on the new model, 1 skipped (protected)",
    contains: [
      "| 1 (canary) | 5: 0–4 | 12:00:12 UTC (+12s) | 2m 20s | ✅ succeeded |",
      "| <code>storageProfile.imageReference.version</code> | <code>1.0.0</code> | <code>1.1.0</code> |",
      '    image-version: "1.0.0"',
    ],
  },
  {
    name: "unchanged",
    headline: "Nothing to change: 10/10 instances already on the requested model",
    contains: ["The scale set model already held the requested values; nothing was written to it."],
  },
  {
    name: "dry-run",
    headline: "Dry run: would upgrade 20 of 20 instances in 4 batches; nothing was changed",
    contains: ["### The change (not applied: dry run)", "| 1 (canary) | 2: 0, 1 | – | – | 📋 planned |"],
  },
  {
    name: "failure-with-stragglers",
    headline: "Rollout failed: 25/30 instances on the new model, 2 failed, 3 unfinished",
    contains: [
      "| 3 | 10: 20–29 | 12:25:10 UTC (+25m 10s) | 34m 50s | ⏳ timed out |",
      "| 27 <code>vmss-web&#95;27</code> | ⏳ unfinished | 3 | Updating | running | initializing |   |",
      "- **OSProvisioningTimedOut** (1 instance: 12): The instance started from the new image",
      "**Resume:** fix the cause above, then re-run this job",
    ],
  },
  {
    name: "stopped-on-max-unhealthy",
    headline: "Rollout failed: 12/50 instances on the new model, 3 unhealthy, 35 not started",
    contains: [
      "> **Why:** Stopped after batch 2: 3 of 15 upgraded instances (20%) failed or turned unhealthy; max-unhealthy is 10%.",
      "| 6 <code>vmss-web&#95;6</code> | ⚠️ unhealthy | 2 | Succeeded | running | unhealthy |   |",
      "**Not started** (35): 15–49. The run ended before their batch.",
      "- **Unhealthy** (2 instances: 6, 9): Upgraded, but did not report healthy within `health-timeout`.",
    ],
  },
  {
    name: "rolled-back",
    headline: "Rollout rolled back: 2 instances back on the previous model, 8 not started",
    contains: [
      "**Rollback:** ✅ the previous model is back, 2 instances brought back: 0, 1",
      "| 1 (canary) | 2: 0, 1 | 12:00:09 UTC (+9s) | 4m 40s | ❌ failed: **VMExtensionProvisioningError** |",
    ],
  },
  {
    name: "cancelled",
    headline: "Rollout cancelled: 11/20 instances on the new model, 5 unfinished, 4 not started",
    contains: ["| 2 | 8: 8–15 | 12:05:05 UTC (+5m 05s) | 3m 15s | ⏹️ cancelled |", "**Resume:** re-run this job"],
  },
  {
    name: "thousand-instances",
    headline: "Rollout failed: 960/1000 instances on the new model, 20 failed, 20 unhealthy",
    contains: ["<details><summary>All 1000 instances</summary>", "| 999 | ✅ updated | 20 | Succeeded / running / healthy |   |"],
  },
];

describe("renderSummary", () => {
  it.each(cases)("$name: headline, key lines and snapshot", async ({ name, headline: expected, contains }) => {
    const record = SCENARIOS[name]();
    const summary = renderSummary(record);
    expect(headline(record)).toBe(expected);
    expect(summary.split("\n")[0]).toContain(expected);
    for (const line of contains) expect(summary).toContain(line);
    await expect(summary).toMatchFileSnapshot(`./__snapshots__/summary-${name}.md`);
  });

  it("is the same text for the same record", () => {
    expect(renderSummary(success())).toBe(renderSummary(success()));
  });

  it("links the scale set to the portal of the run's cloud", () => {
    const record: RolloutRecord = {
      ...success(),
      cloud: "AzureUSGovernment",
      target: { ...success().target, portalUrl: "https://portal.azure.us/#@/resource/x/overview" },
    };
    const summary = renderSummary(record);
    expect(summary).toContain('<a href="https://portal.azure.us/#@/resource/x/overview"><code>vmss-web</code></a>');
    expect(summary).toContain("**Cloud** AzureUSGovernment");
  });

  it("does not turn a non-https portal link into a link", () => {
    const record = { ...success(), target: { ...success().target, portalUrl: "javascript:alert(1)" } };
    expect(renderSummary(record)).not.toContain("javascript:");
  });
});

describe("renderSummary: Azure's rolling upgrade and a failed rollback", () => {
  const record: RolloutRecord = {
    ...rolledBack(),
    result: "failed",
    upgradeMode: "Rolling",
    batches: [],
    rolling: {
      code: "Faulted",
      successfulInstanceCount: 3,
      failedInstanceCount: 2,
      inProgressInstanceCount: 0,
      pendingInstanceCount: 5,
      error: {
        code: "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
        message: "Rolling Upgrade failed after exceeding the MaxUnhealthyUpgradedInstancePercent value.",
      },
    },
    rollback: { succeeded: false, instanceIds: ["0"], error: "Conflict: another operation is in progress." },
  };
  const summary = renderSummary(record);

  it("says the rollback failed in the headline and tells how to finish it", () => {
    expect(headline(record)).toBe("Rollout failed: 0/10 instances on the new model, 8 not started, 2 rolled back; the rollback failed");
    expect(summary).toContain("**Rollback:** ❌ the rollback did not complete, 1 instance brought back: 0. Conflict: another operation is in progress.");
    expect(summary).toContain('**Roll back:** run the action with these inputs');
  });

  it("shows Azure's rolling upgrade status and explains its error", () => {
    expect(summary).toContain(
      "**Azure's rolling upgrade:** Faulted (3 succeeded, 2 failed, 0 in progress, 5 pending). Error " +
        "**MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade**: Rolling Upgrade failed after exceeding",
    );
    expect(summary).toContain(
      "- **MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade**: Azure stopped its rolling upgrade",
    );
  });
});

describe("renderSummary size", () => {
  it("keeps 1,000 instances readable (one compact row each) and under 1 MiB", () => {
    const summary = renderSummary(thousandInstances());
    expect(bytes(summary)).toBeLessThan(MIB);
    const allInstances = summary.slice(summary.indexOf("<summary>All 1000 instances</summary>"));
    expect(allInstances.match(/^\| \d+ \| /gm)).toHaveLength(1000);
    expect(summary).not.toContain("did not fit in the summary");
  });

  it("never exceeds the budget: rows that do not fit are left out and counted", () => {
    const hostile = "&<|>`[]*_$".repeat(40);
    const record: RolloutRecord = {
      ...thousandInstances(),
      instances: range(0, 20_000).map((i) =>
        instance(`flex-instance-with-a-long-name-${i}`, i % 2 ? "failed" : "updated", {
          name: `${hostile}-${i}`,
          provisioningState: hostile,
          error: { code: `Code${hostile}`, message: hostile },
        }),
      ),
    };
    const summary = renderSummary(record);
    expect(bytes(summary)).toBeLessThanOrEqual(SUMMARY_BUDGET_BYTES);
    expect(summary).toMatch(/\n\d+ more instances did not fit in the summary: see the `summary-json` output\.\n\n<\/details>\n$/);
  });
});

describe("renderSummary escaping of Azure text", () => {
  const hostileMessage = "Enable failed: <script>alert(1)</script> | exit 1\nline two `rm -rf` [click](https://evil.example) *bold* $x$";
  const record: RolloutRecord = {
    ...success(),
    instances: [
      instance(3, "failed", {
        name: "vm|<b>3</b>",
        provisioningState: "Failed\n|injected|",
        error: { code: "VMExtensionProvisioningError", message: hostileMessage },
      }),
    ],
  };
  const summary = renderSummary(record);
  const attentionRow = summary.split("\n").find((line) => line.startsWith("| 3 ") && line.includes("failed")) ?? "";

  it("escapes <, >, &, |, backticks, brackets and Markdown markers into character references", () => {
    expect(attentionRow).toContain("&#60;script&#62;alert(1)&#60;/script&#62; &#124; exit 1<br>line two &#96;rm -rf&#96;");
    expect(attentionRow).toContain("&#91;click&#93;(https://evil.example) &#42;bold&#42; &#36;x&#36;");
    expect(attentionRow).toContain("<code>vm&#124;&#60;b&#62;3&#60;/b&#62;</code>");
    expect(summary).not.toContain("<script>");
    expect(summary).not.toContain("<b>3</b>");
  });

  it("keeps each table row to its columns: no raw | or newline from Azure splits a cell", () => {
    const columns = ["Instance", "Outcome", "Batch", "Provisioning", "Power", "Health", "Error"].length;
    expect(attentionRow.split("|")).toHaveLength(columns + 2);
    expect(attentionRow).toContain("| Failed &#124;injected&#124; |");
  });
});
