import { describe, expect, it } from "vitest";
import { buildOutputs, headline, renderSummary } from "../../../src/report/index.ts";
import { SUMMARY_BUDGET_BYTES } from "../../../src/report/summary.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import {
  batch,
  cancelled,
  demoRun,
  failureWithStragglers,
  IMAGE_CHANGE,
  instance,
  range,
  refusedBeforeWrite,
  rolledBack,
  SCENARIOS,
  signInFailure,
  success,
  thousandInstances,
} from "./fixtures.ts";

const MIB = 1024 * 1024;

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The text of one `### title` section, up to the next `###` heading or the list of all instances. */
function section(summary: string, title: string): string {
  const start = summary.indexOf(`### ${title}`);
  if (start < 0) return "";
  const rest = summary.slice(start + 4);
  const end = rest.search(/\n### |\n<details><summary>All /);
  return `### ${end < 0 ? rest : rest.slice(0, end)}`;
}

// Each scenario: the headline a person reads first, and lines that must be in its summary.
const cases: Array<{ name: keyof typeof SCENARIOS; headline: string; contains: string[] }> = [
  {
    name: "success",
    headline: "Rollout succeeded: 49/49 targeted instances on the new model, 1 skipped (protected)",
    contains: [
      "<code>████████████████████</code> 100% · 49/49 targeted instances on the new model · 1 skipped (protected)",
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
    contains: [
      "### The change (not applied: dry run)",
      "| 1 (canary) | 2: 0, 1 | – | – | 📋 planned |",
      "| 0 <code>vmss-web&#95;0</code> | 📋 to upgrade | 1 |",
    ],
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
      "- **Unhealthy** (2 instances: 6, 9): Upgraded, but not healthy when `health-timeout` ended, or unhealthy again after it.",
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
    contains: [
      "<details><summary>All 1000 instances</summary>",
      "| 999 | ✅ updated | 20 | Succeeded / running / healthy |   |",
    ],
  },
  {
    name: "sign-in-failure",
    headline: "Rollout failed before it reached the scale set",
    contains: [
      "> **Why:** Failed while reading the scale set: Sign-in failed: application 3f9c2d1e-0000-4000-8000-00000000c1d0 was not found",
      "**Nothing was written to Azure:** the action stopped before it read the scale set",
      "- **Fix the sign-in or the inputs, then re-run this job:**",
    ],
  },
  {
    name: "refused-before-write",
    headline: "Rollout failed before it wrote anything to the scale set",
    contains: [
      "> **Why:** Cannot set image-version &#39;1.1.0&#39;: scale set &#39;vmss-web&#39; runs a gallery image",
      "**Nothing was written to Azure:** the action stopped before it changed the model or upgraded an instance",
      "- **Fix the cause above, then re-run this job:**",
      "| 0 <code>vmss-web&#95;0</code> | ➖ untouched | – |",
    ],
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

  it("names the cloud only when it is not Azure's public one, and a custom ARM endpoint as such", () => {
    expect(renderSummary(success())).not.toContain("**Cloud**");
    const custom = renderSummary({ ...success(), cloud: "Custom" });
    expect(custom).toContain("· **Cloud** custom ARM endpoint ·");
    expect(custom).not.toContain("Custom");
  });

  it("does not repeat a dry run's reason as a **Why:** line", () => {
    expect(renderSummary(SCENARIOS["dry-run"]())).not.toContain("**Why:**");
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
    expect(headline(record)).toBe(
      "Rollout failed: 0/10 instances on the new model, 8 not started, 2 rolled back; the rollback failed",
    );
    expect(summary).toContain(
      "**Rollback:** ❌ the rollback did not complete, 1 instance brought back: 0. Conflict: another operation is in progress.",
    );
    expect(summary).toContain("**Roll back:** run the action with these inputs");
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

describe("renderSummary: the rollback offered after a rollback another writer's change stopped", () => {
  it("warns, and does not offer rollback: true (it would refuse)", () => {
    const record: RolloutRecord = {
      ...rolledBack(),
      result: "failed",
      rollback: { succeeded: false, instanceIds: [], model: "changed-by-another-writer", error: "another writer" },
      scaleSetRecord: { written: true, undoable: true },
    };
    const summary = renderSummary(record);
    expect(summary).toContain("**Another writer changed the model during the rollback**");
    expect(summary).not.toMatch(/with:\n\s+rollback: true/);
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
    expect(summary).toMatch(
      /\n\d+ more instances did not fit in the summary: see the `summary-json` output\.\n\n<\/details>\n$/,
    );
  });
});

describe("renderSummary escaping of Azure text", () => {
  const hostileMessage =
    "Enable failed: <script>alert(1)</script> | exit 1\nline two `rm -rf` [click](https://evil.example) *bold* $x$";
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
    expect(attentionRow).toContain(
      "&#60;script&#62;alert(1)&#60;/script&#62; &#124; exit 1<br>line two &#96;rm -rf&#96;",
    );
    expect(attentionRow).toContain("&#91;click&#93;(https&#8288;://evil.example) &#42;bold&#42; &#36;x&#36;");
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

describe("renderSummary: protected instances are skipped, not a gap", () => {
  it("measures progress over the targeted instances and says the skipped ones apart", () => {
    const summary = renderSummary(demoRun());
    expect(summary.split("\n")[0]).toBe(
      "## ✅ Rollout succeeded: 7/7 targeted instances on the new model, 1 skipped (protected)",
    );
    expect(summary).toContain(
      "\n<code>████████████████████</code> 100% · 7/7 targeted instances on the new model · 1 skipped (protected)\n",
    );
    expect(summary).not.toMatch(/\d+% on the new model/);
  });

  it("leaves protected instances out of the bar of a failed run too", () => {
    const record: RolloutRecord = {
      ...success(),
      result: "failed",
      reason: "3 of 9 instance(s) did not end on the new model and healthy.",
      instances: range(0, 10).map((i) =>
        i === 0 ? instance(i, "skipped-protected") : i < 4 ? instance(i, "failed") : instance(i, "updated"),
      ),
    };
    expect(renderSummary(record)).toContain(
      "<code>█████████████░░░░░░░</code> 66% · 6/9 targeted instances on the new model · 1 skipped (protected)",
    );
  });

  it("counts every instance when none is protected", () => {
    expect(renderSummary(failureWithStragglers())).toContain(
      "<code>████████████████░░░░</code> 83% · 25/30 instances on the new model\n",
    );
  });

  it("lists them under Skipped, not Needs attention, before the list of all instances", () => {
    const summary = renderSummary(success());
    expect(summary).not.toContain("### Needs attention");
    const skipped = section(summary, "Skipped");
    expect(skipped).toContain(
      "### Skipped (1)\n\nProtected from scale-set actions (`protectFromScaleSetActions`), so the action does not upgrade them",
    );
    expect(skipped).toContain("| 7 <code>vmss-web&#95;7</code> | <code>1.0.0</code> | Succeeded | running | healthy |");
    expect(summary.indexOf("### Skipped")).toBeLessThan(summary.indexOf("### Next steps"));
    expect(summary.indexOf("### Next steps")).toBeLessThan(summary.indexOf("<details><summary>All 50 instances"));
  });

  it("keeps failures under Needs attention and protected instances under Skipped in a failed run", () => {
    const record: RolloutRecord = {
      ...success(),
      result: "failed",
      instances: [
        instance(0, "updated"),
        instance(1, "failed"),
        instance(2, "skipped-protected"),
        instance(3, "not-started"),
      ],
    };
    const summary = renderSummary(record);
    const attention = section(summary, "Needs attention");
    expect(attention).toMatch(/^### Needs attention \(2\)/);
    expect(attention).toContain("| 1 <code>vmss-web&#95;1</code> | ❌ failed |");
    expect(attention).toContain("**Not started** (1): 3.");
    expect(attention).not.toContain("vmss-web&#95;2");
    expect(section(summary, "Skipped")).toContain("| 2 <code>vmss-web&#95;2</code> |");
  });

  it("lists many protected instances as ID ranges", () => {
    const record: RolloutRecord = {
      ...success(),
      instances: range(0, 30).map((i) => instance(i, i < 25 ? "skipped-protected" : "updated")),
    };
    expect(section(renderSummary(record), "Skipped")).toContain("**Instances:** 0–24");
  });
});

describe("renderSummary: next steps agree with the result", () => {
  it("on success with a protected instance: done, and how to include the protected one", () => {
    const steps = section(renderSummary(success()), "Next steps");
    expect(steps).toContain(
      "- Every targeted instance runs the new model.\n" +
        "- **Protected instance 7** keeps its old model on purpose. To upgrade it too, remove the protection from " +
        "scale-set actions, then re-run this job:\n  \n  ```sh\n" +
        "  az vmss update --resource-group rg-web --name vmss-web --instance-id 7 --protect-from-scale-set-actions false\n  ```",
    );
    expect(steps).not.toContain("Nothing else to do");
    expect(steps).toContain(
      "- **To roll back** the model and the upgraded instances, run the action with these inputs",
    );
  });

  it("on success with no protected instance: nothing else to do", () => {
    const record: RolloutRecord = {
      ...success(),
      instances: success().instances.filter((i) => i.outcome !== "skipped-protected"),
    };
    const steps = section(renderSummary(record), "Next steps");
    expect(steps).toContain("- Every instance runs the new model. Nothing else to do.");
    expect(steps).not.toContain("Protected");
  });

  it("in a dry run: says the protected instance would keep its model, and to unprotect it before the real run", () => {
    const record: RolloutRecord = {
      ...SCENARIOS["dry-run"](),
      instances: [...SCENARIOS["dry-run"]().instances.slice(0, 19), instance(19, "skipped-protected")],
    };
    const steps = section(renderSummary(record), "Next steps");
    expect(steps).toContain("- Run again without `dry-run: true` to apply this change with this plan.\n");
    expect(steps).toContain(
      "- **Protected instance 19** would keep its current model. To upgrade it too, remove the protection from " +
        "scale-set actions before the real run:",
    );
  });

  it.each([
    { name: "a real run", dryRun: false, then: ", then re-run this job." },
    { name: "a dry run", dryRun: true, then: " before the real run." },
  ])(
    "on a Flexible scale set ($name): the portal, not an az command that takes a Uniform instance's number",
    ({ dryRun, then }) => {
      const base = dryRun ? SCENARIOS["dry-run"]() : success();
      const name = "vmss-web_1a2b3c4d";
      const record: RolloutRecord = {
        ...base,
        orchestrationMode: "Flexible",
        instances: [{ ...instance(0, "skipped-protected"), instanceId: name, name }],
      };
      const steps = section(renderSummary(record), "Next steps");
      expect(steps).toContain(
        "remove its protection from scale-set actions (on the scale set's Instances page in the Azure portal",
      );
      expect(steps).toContain(then);
      expect(steps).not.toContain("az vmss update --resource-group");
    },
  );

  it("names several protected instances in one loop, and no name that is unsafe in a shell", () => {
    const record: RolloutRecord = {
      ...success(),
      target: { ...success().target, resourceGroup: "rg (prod)" },
      instances: [instance(0, "updated"), instance(3, "skipped-protected"), instance(5, "skipped-protected")],
    };
    const steps = section(renderSummary(record), "Next steps");
    expect(steps).toContain("- **Protected instances 3, 5** keep their old model on purpose.");
    expect(steps).toContain(
      '  for id in 3 5; do\n    az vmss update --resource-group <resource-group> --name vmss-web --instance-id "$id" --protect-from-scale-set-actions false\n  done',
    );
  });
});

describe("renderSummary: the batch table and the timeline round the same way", () => {
  it("puts batch 2 (started at +3.546 s) at 4 s in both", () => {
    const summary = renderSummary(demoRun());
    expect(summary).toContain("| 1 (canary) | 1: 0 | 12:00:00 UTC (+382 ms) | 3s | ✅ succeeded |");
    expect(summary).toContain("    Batch 1 canary (1 instance) :done, b1, 00:00:00, 3s");
    expect(summary).toContain("| 2 | 2: 1, 2 | 12:00:04 UTC (+4s) | 3s | ✅ succeeded |");
    expect(summary).toContain("    Batch 2 (2 instances) :done, b2, 00:00:04, 3s");
    expect(summary).toContain("| 4 | 2: 5, 6 | 12:00:11 UTC (+11s) | 3s | ✅ succeeded |");
    expect(summary).toContain("    Batch 4 (2 instances) :done, b4, 00:00:11, 3s");
  });

  it("shows clock times that add up: the run's start plus each batch's offset is the batch's clock time", () => {
    // Started at 11:59:59.4, shown as 11:59:59; batch 2 at 12:00:03.546, shown as 12:00:04: its offset shows as 5s,
    // not as the 4.146 s between the exact times, and the chart puts it at 00:00:05 too.
    const record: RolloutRecord = { ...demoRun(), startedAt: "2025-11-26T11:59:59.400Z" };
    const summary = renderSummary(record);
    expect(summary).toContain("(started 2025-11-26 11:59:59 UTC)");
    expect(summary).toContain("| 1 (canary) | 1: 0 | 12:00:00 UTC (+1s) |");
    expect(summary).toContain("| 2 | 2: 1, 2 | 12:00:04 UTC (+5s) |");
    expect(summary).toContain("    Batch 2 (2 instances) :done, b2, 00:00:05, 3s");
    const seconds = (clock: string) => clock.split(":").reduce((total, part) => total * 60 + Number(part), 0);
    const rows = summary.split("\n").filter((line) => / UTC \(\+\d+s\) \|/.test(line));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [, clock = "", offset = ""] = /\| (\d\d:\d\d:\d\d) UTC \(\+(\d+)s\)/.exec(row) ?? [];
      expect(seconds(clock) - seconds("11:59:59"), row).toBe(Number(offset));
    }
  });
});

describe("renderSummary: a run that stopped before it reached the scale set", () => {
  const summary = renderSummary(signInFailure());

  it("says so first, gives the reason and that nothing was written", () => {
    const lines = summary.split("\n");
    expect(lines[0]).toBe("## ❌ Rollout failed before it reached the scale set");
    expect(lines[4]).toMatch(/^> \*\*Why:\*\* Failed while reading the scale set: Sign-in failed: .*\(AADSTS700016\)/);
    expect(summary).toContain("**Nothing was written to Azure:**");
  });

  it("claims no instance count, no model state and no rollback", () => {
    for (const claim of [
      "0/0",
      "instances on",
      "already held",
      "### The change",
      "<details>",
      "Roll back",
      "roll back the",
      "<code>█",
      "░",
    ]) {
      expect(summary).not.toContain(claim);
    }
    expect(summary).not.toContain("**Upgrade mode**");
  });

  it("tells to fix the sign-in or inputs and re-run", () => {
    const steps = section(summary, "Next steps");
    expect(steps).toContain("- **Fix the sign-in or the inputs, then re-run this job:**");
    expect(steps).toContain("`client-id`, `tenant-id` or `creds`");
    expect(steps).toContain("- Nothing to roll back: this run changed nothing.");
    expect(steps).toContain("Connect GitHub Actions to Azure");
  });

  it("explains a known Azure error the reason quotes", () => {
    const record: RolloutRecord = {
      ...signInFailure(),
      reason:
        "Failed while reading the scale set: AuthorizationFailed: The client 'x' does not have authorization to perform " +
        "action 'Microsoft.Compute/virtualMachineScaleSets/read'.",
    };
    const text = renderSummary(record);
    expect(text).toContain(
      "### What went wrong\n\n- **AuthorizationFailed**: The identity the action signs in with lacks a permission",
    );
    expect(text).not.toContain("### Needs attention");
  });

  it("says cancelled the same way", () => {
    const record: RolloutRecord = {
      ...signInFailure(),
      result: "cancelled",
      reason: "The job was cancelled while reading the scale set; no further batch was started.",
    };
    const text = renderSummary(record);
    expect(headline(record)).toBe("Rollout cancelled before it reached the scale set");
    expect(section(text, "Next steps")).toContain("- **Re-run** this job when you are ready.");
  });
});

describe("renderSummary: a run that read the scale set but wrote nothing", () => {
  it("does not claim the model already held the values when the change was refused", () => {
    const summary = renderSummary(refusedBeforeWrite());
    expect(summary.split("\n")[0]).toBe("## ❌ Rollout failed before it wrote anything to the scale set");
    expect(summary).not.toContain("already held");
    expect(summary).not.toContain("already current");
    expect(summary).not.toContain("<code>█");
    expect(summary).not.toContain("Roll back");
    expect(summary).not.toContain("To roll back");
    expect(summary).toContain(
      "**Nothing was written to Azure:** the action stopped before it changed the model or upgraded an instance",
    );
  });

  it("shows a planned change as not applied, and the plan as not started", () => {
    const record: RolloutRecord = {
      ...refusedBeforeWrite(),
      changes: [IMAGE_CHANGE],
      reason:
        "The scale set changed under the action 3 times in a row (412 PreconditionFailed on its etag); nothing was " +
        "written. Re-run when other changes have settled.",
      batches: [batch(1, range(0, 3), "not-started"), batch(2, range(3, 6), "not-started")],
      instances: range(0, 6).map((i) => instance(i, "not-started", { batch: i < 3 ? 1 : 2, image: "1.0.0" })),
    };
    const summary = renderSummary(record);
    expect(headline(record)).toBe("Rollout failed before it wrote anything to the scale set");
    expect(summary).toContain("### The change (not applied)\n\n| Property | Before | After |");
    expect(summary).toContain("Not applied: the run stopped before it wrote the model.");
    expect(summary).toContain("### The plan (not started)");
    expect(summary).toContain(
      "- **PreconditionFailed**: The scale set model changed between the action reading it and writing it",
    );
    expect(summary).toContain("- **Fix the cause above, then re-run this job:**");
    expect(summary).not.toContain("already held");
  });

  it("still offers the rollback once the model was written, even if no batch started", () => {
    const record: RolloutRecord = {
      ...cancelled(),
      batches: cancelled().batches.map((b) => ({
        ...b,
        result: "not-started" as const,
        startedAt: undefined,
        durationMs: undefined,
      })),
      instances: range(0, 20).map((i) => instance(i, "not-started", { image: "1.0.0" })),
    };
    const summary = renderSummary(record);
    expect(headline(record)).toBe("Rollout cancelled: 0/20 instances on the new model, 20 not started");
    expect(summary).toContain("### The change\n");
    expect(summary).toContain("- **To roll back** the model and the upgraded instances");
  });
});

describe("instances that left the scale set during the run (scale-in)", () => {
  it("are neither on the new model nor failures: the headline counts them apart and the outputs leave them out", () => {
    const base = success();
    const record: RolloutRecord = {
      ...base,
      instances: [
        ...base.instances.slice(0, 49),
        instance(49, "removed", { provisioningState: undefined, powerState: undefined, health: undefined }),
      ],
    };
    expect(headline(record)).toBe(
      "Rollout succeeded: 48/48 targeted instances on the new model, 1 skipped (protected), 1 left the scale set",
    );
    const summary = renderSummary(record);
    expect(summary).toContain("🗑️ left the scale set");
    const outputs = buildOutputs(record);
    for (const name of ["updated-instances", "failed-instances", "skipped-instances", "pending-instances"])
      expect(JSON.parse(outputs[name]!)).not.toContain("49");
  });
});

describe("renderSummary: a Flexible scale set", () => {
  const vm = (suffix: string) => `vmss-web_${suffix}`;
  const flexible = (id: string, outcome: Parameters<typeof instance>[1]) => instance(id, outcome, { name: id });
  const record: RolloutRecord = {
    ...success(),
    instances: [
      flexible(vm("0a1b2c3d"), "updated"),
      flexible(vm("5e6f7a8b"), "updated"),
      flexible("vmss-web_attached0", "skipped-own-model"),
    ],
    batches: [{ ...batch(1, [], "succeeded"), instanceIds: [vm("0a1b2c3d"), vm("5e6f7a8b")] }],
  };

  it("names each VM once (its instance ID is its name)", () => {
    const summary = renderSummary(record);
    expect(summary).toContain("| <code>vmss-web&#95;0a1b2c3d</code> | ✅ updated |");
    expect(summary).not.toContain("vmss-web&#95;0a1b2c3d <code>");
  });

  it("reports VMs attached with their own profile apart: skipped, not counted as upgraded nor as a gap", () => {
    const summary = renderSummary(record);
    expect(summary.split("\n")[0]).toBe(
      "## ✅ Rollout succeeded: 2/2 targeted instances on the new model, 1 skipped (own model)",
    );
    expect(summary).toContain("### Skipped: own model (1)");
    expect(summary).toContain("`modelDefinitionApplied: VirtualMachine`");
    expect(JSON.parse(buildOutputs(record)["skipped-instances"] ?? "[]")).toEqual(["vmss-web_attached0"]);
    expect(JSON.parse(buildOutputs(record)["updated-instances"] ?? "[]")).toEqual([vm("0a1b2c3d"), vm("5e6f7a8b")]);
  });
});

describe("renderSummary: a batch that failed, and the run that went on", () => {
  // Instance 0 (batch 1) failed; batch 2 is [1, 2]. max-unhealthy let the run go on only if batch 2 started.
  const record = (first: "failed" | "unhealthy", secondStarted: boolean): RolloutRecord => ({
    ...success(),
    result: "failed",
    batches: [
      batch(1, [0], first, { start: 5, seconds: 20 }),
      secondStarted ? batch(2, [1, 2], "succeeded", { start: 30, seconds: 20 }) : batch(2, [1, 2], "not-started"),
    ],
    instances: [
      instance(0, first === "failed" ? "failed" : "unhealthy", { batch: 1 }),
      ...(secondStarted
        ? [instance(1, "updated", { batch: 2 }), instance(2, "updated", { batch: 2 })]
        : [instance(1, "not-started"), instance(2, "not-started")]),
    ],
  });
  it.each([
    {
      first: "failed",
      secondStarted: true,
      row: "| ❌ failed; by the end 1 failed; within max-unhealthy, the run went on |",
    },
    {
      first: "unhealthy",
      secondStarted: true,
      row: "| ⚠️ unhealthy; by the end 1 unhealthy; within max-unhealthy, the run went on |",
    },
    // The run stopped on it (or before the next batch, for another reason): its count, and no "went on".
    { first: "failed", secondStarted: false, row: "| ❌ failed; by the end 1 failed |" },
    { first: "unhealthy", secondStarted: false, row: "| ⚠️ unhealthy; by the end 1 unhealthy |" },
  ] as const)("batch 1 $first, batch 2 started: $secondStarted", ({ first, secondStarted, row }) => {
    const summary = renderSummary(record(first, secondStarted));
    expect(summary).toContain(row);
    if (!secondStarted) expect(summary).not.toContain("the run went on");
  });
});

describe("renderSummary: a long reason", () => {
  it("is cut in the middle: its first and last sentences both stay in the Why line", () => {
    const listed = range(0, 200)
      .map((i) => `${i}: provisioning Failed, VMExtensionProvisioningError`)
      .join("; ");
    const last =
      "The scale set's model was changed by another writer during the rollout (extension 'customScript' changed).";
    const reason = `Stopped after batch 2: 200 of 400 upgraded instance(s) failed or are unhealthy: ${listed}. ${last}`;
    const why = renderSummary({ ...success(), result: "failed", reason })
      .split("\n")
      .find((line) => line.startsWith("> **Why:**"));
    expect(why).toContain("Stopped after batch 2: 200 of 400 upgraded instance(s)");
    expect(why).toContain("The scale set&#39;s model was changed by another writer during the rollout");
    expect(why).toContain("…");
    expect(why!.length).toBeLessThan(reason.length);
  });
});

describe("renderSummary: instances a run left untouched", () => {
  const untouched = (
    upgradeMode: RolloutRecord["upgradeMode"],
    modelUpdated: boolean,
    error?: boolean,
    batched?: boolean,
  ): RolloutRecord => ({
    ...success(),
    result: "failed",
    upgradeMode,
    modelUpdated,
    batches: batched ? [batch(1, [0], "failed", { start: 5, seconds: 20 }), batch(2, [1, 2], "not-started")] : [],
    instances: [
      instance(0, "failed", { error: { code: "VMExtensionProvisioningError", message: "boom" } }),
      instance(1, "not-started", error ? { error: { code: "RollingUpgradeFaulted", message: "faulted" } } : {}),
      instance(2, "not-started"),
    ],
  });
  it.each([
    { upgradeMode: "Manual" as const, modelUpdated: true, why: "The run ended before their batch." },
    {
      upgradeMode: "Rolling" as const,
      modelUpdated: true,
      why: "Azure's upgrade ended before it upgraded them (its own count has them pending): they run the model they ran before.",
    },
    {
      upgradeMode: "Automatic" as const,
      modelUpdated: false,
      why: "The run ended before it wrote the model that Azure would have rolled out to them.",
    },
    // A re-run that found the model written sends its own batches, whatever the mode.
    { upgradeMode: "Rolling" as const, modelUpdated: false, batched: true, why: "The run ended before their batch." },
  ])(
    "$upgradeMode, model written $modelUpdated, batches $batched: $why",
    ({ upgradeMode, modelUpdated, batched, why }) => {
      expect(renderSummary(untouched(upgradeMode, modelUpdated, false, batched))).toContain(
        `**Not started** (2): 1, 2. ${why}`,
      );
    },
  );

  it("counts an untouched instance that reported an error once, though it has a row and is in the line", () => {
    const summary = renderSummary(untouched("Rolling", true, true));
    expect(summary).toContain("### Needs attention (3)");
    expect(summary).toContain("| 1 <code>vmss-web&#95;1</code> | ⏸️ not started |");
  });
});
