// Issue 11, finding 6 (and the summary side of 2): Azure-provided text in the job summary never becomes a link, an
// image, HTML or a Mermaid directive. Every string Azure supplies in each scenario's record carries hostile Markdown;
// the summary is rendered as GitHub-flavoured Markdown (marked, GFM autolinks on) and the HTML is inspected.
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { renderSummary } from "../../../src/report/index.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { Gate } from "../../../src/shared/gate.ts";
import { SCENARIOS } from "./fixtures.ts";

const HOSTILE = [
  "visit https://evil.example/a or http://evil.example/h or www.evil.example or admin@evil.example",
  "[click](https://evil.example/b) ![img](https://evil.example/c.png) <https://evil.example/d> [ref][x]",
  "<img src=x onerror=alert(1)> <a href='https://evil.example/e'>x</a> <script>alert(1)</script> &lt;b&gt;",
  "```mermaid",
  "%%{init: {'securityLevel':'loose'}}%%",
  'graph TD; A-->B; click A href "https://evil.example/f"',
  "```",
  "~~~",
  "[x]: https://evil.example/g",
].join("\n");

/** Keys whose string values come from Azure (or from the user, echoed back by Azure). */
const AZURE_KEYS = new Set([
  "message",
  "code",
  "name",
  "reason",
  "error",
  "provisioningState",
  "powerState",
  "health",
  "image",
  "before",
  "after",
  "scaleSet",
  "resourceGroup",
  // Mapped to the modes the action knows (src/azure/mapping.ts), and escaped by the summary all the same.
  "upgradeMode",
]);

function poisoned(record: RolloutRecord): RolloutRecord {
  return JSON.parse(JSON.stringify(record), (key, value: unknown) =>
    typeof value === "string" && AZURE_KEYS.has(key) ? `${value} ${HOSTILE}` : value,
  ) as RolloutRecord;
}

const OWN_LINK = /^https:\/\/(learn\.microsoft\.com|portal\.azure\.com|aka\.ms|docs\.github\.com)\//;

describe.each(Object.entries(SCENARIOS))("summary of %s with hostile Azure text", (_name, scenario) => {
  const record = poisoned(scenario());
  const markdown = renderSummary(record);
  const html = marked.parse(markdown, { gfm: true, async: false });

  it("links only to the action's own pages", () => {
    const hrefs = [...html.matchAll(/<[a-z][^>]*?\s(?:href|src)\s*=\s*["']?([^"' >]+)/gi)].map((m) => m[1] ?? "");
    for (const href of hrefs) expect(href).toMatch(OWN_LINK);
    expect(html).not.toMatch(/evil\.example<\/a>|href="[^"]*evil/);
  });

  it("holds no image, script or other HTML from Azure", () => {
    expect(html).not.toMatch(/<(img|script|iframe|svg|style|form|input)\b/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son\w+\s*=/i);
    const tags = new Set([...html.matchAll(/<\/?([a-z][a-z0-9]*)/gi)].map((m) => (m[1] ?? "").toLowerCase()));
    const allowed = [
      "h2",
      "h3",
      "h4",
      "p",
      "a",
      "code",
      "pre",
      "table",
      "thead",
      "tbody",
      "tr",
      "th",
      "td",
      "br",
      "details",
    ];
    allowed.push("summary", "strong", "em", "i", "blockquote", "ul", "ol", "li", "hr", "sub", "sup");
    for (const tag of tags) expect(allowed).toContain(tag);
  });

  it("puts nothing of Azure's into a Mermaid chart, and cannot open or close a code block", () => {
    const fences = [...markdown.matchAll(/^ *(```|~~~)([^\n]*)\n([\s\S]*?)^ *\1/gm)];
    for (const [, , info, body = ""] of fences) {
      if (info === "mermaid") expect(body).not.toMatch(/evil|%%\{/);
      // The rollback inputs quote Azure's previous values as JSON strings: one line each, inert in a code block.
      else for (const line of body.split("\n")) expect(line).not.toMatch(/^ *(```|~~~)/);
    }
    // Every ``` in the summary is the report's own fence at the start of a line.
    for (const line of markdown.split("\n"))
      if (/^ *(```|~~~)/.test(line)) expect(line).toMatch(/^ *```(mermaid|yaml|sh)?$/);
  });
});

// Issue 11, finding 2: the report escapes `~` and `_`, so a secret echoed by Azure must be masked before that.
describe("a known secret in Azure text, through the gate and the report", () => {
  const SECRET = "emu8Q~AbC_dEf-GhI.jKl";
  it.each(Object.entries(SCENARIOS))("%s: absent from the summary in every spelling", (_name, scenario) => {
    const gate = new Gate([SECRET]);
    const record = JSON.parse(JSON.stringify(scenario()), (key, value: unknown) =>
      typeof value === "string" && AZURE_KEYS.has(key) ? `${value} (echo ${SECRET})` : value,
    ) as RolloutRecord;
    const summary = gate.maskKnown(renderSummary(gate.scrub(record)));
    for (const form of [SECRET, "emu8Q&#126;AbC&#95;dEf", encodeURIComponent(SECRET), "AbC", "GhI.jKl"])
      expect(summary).not.toContain(form);
  });
});

// A rollback run links the run that made the change it undid, from the record on the scale set's tags: anyone who can
// write those tags writes that record, so its `run.url` is linked only when it is that run's own page on this run's
// GitHub server (rebuilt from the recorded repository, run and attempt).
describe("the recorded run's link in a rollback run's summary", () => {
  const OWN = "https://github.com/octo/app/actions/runs/41";
  type RecordedRun = NonNullable<NonNullable<RolloutRecord["rollbackOf"]>["run"]>;
  function rollbackRun(run: RecordedRun): RolloutRecord {
    const base = SCENARIOS.success();
    return {
      ...base,
      result: "reverted",
      release: { repository: "octo/app", runId: "52", links: { repository: "https://github.com/octo/app" } },
      rollbackOf: {
        run,
        at: "2025-11-26T11:00:00.000Z",
        outcome: "failed",
        changes: base.changes,
        finishing: false,
      },
    };
  }
  it.each([
    { name: "its own page", run: { repository: "octo/app", runId: "41", url: OWN }, href: OWN },
    {
      name: "its attempt's page",
      run: { repository: "octo/app", runId: "41", attempt: "2", url: `${OWN}/attempts/2` },
      href: `${OWN}/attempts/2`,
    },
    { name: "another site", run: { repository: "octo/app", runId: "41", url: "https://evil.example/login" } },
    { name: "another run", run: { repository: "octo/app", runId: "41", url: `${OWN}9` } },
    {
      name: "another repository's run",
      run: { repository: "octo/app", runId: "41", url: "https://github.com/evil/app/actions/runs/41" },
    },
    {
      name: "a look-alike host",
      run: { repository: "octo/app", runId: "41", url: "https://github.com.evil.example/octo/app/actions/runs/41" },
    },
    {
      name: "a repository that is not owner/name",
      run: { repository: "x/y/../../evil", runId: "41", url: "https://github.com/x/y/../../evil/actions/runs/41" },
    },
    { name: "a run ID that is not a number", run: { repository: "octo/app", runId: "41?x", url: `${OWN}?x` } },
  ] as { name: string; run: RecordedRun; href?: string }[])("$name: links to $href", ({ run, href }) => {
    const html = marked.parse(renderSummary(rollbackRun(run)), { gfm: true, async: false });
    const line = html.split("\n").find((l) => l.includes("undoing the change made by")) ?? "";
    expect(line).toContain("undoing the change made by");
    const hrefs = [...line.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(href === undefined ? [] : [href]);
    expect(line).not.toMatch(/<a [^>]*evil/);
  });

  it("links nothing for a run outside GitHub Actions (no server of its own)", () => {
    const { release: _release, ...record } = rollbackRun({ repository: "octo/app", runId: "41", url: OWN });
    expect(renderSummary(record)).not.toContain(`href="${OWN}"`);
  });
});

// The rolling upgrade's counts are mapped to numbers at the edge (src/azure/mapping.ts); the summary prints only
// non-negative integers all the same, whatever a record holds.
describe("Azure's rolling upgrade counts that are not numbers", () => {
  it.each([
    { name: "hostile text", value: `3 ${HOSTILE}` },
    { name: "a number as text", value: "3" },
    { name: "an object", value: { count: HOSTILE } },
    { name: "a list", value: [HOSTILE] },
    { name: "a negative number", value: -2 },
    { name: "a fraction", value: 0.5 },
    { name: "null", value: null },
  ])("$name: shown as ?", ({ value }) => {
    const record = {
      ...SCENARIOS.success(),
      upgradeMode: "Rolling",
      rolling: {
        code: "Faulted",
        successfulInstanceCount: value,
        failedInstanceCount: value,
        inProgressInstanceCount: value,
        pendingInstanceCount: value,
      },
    } as unknown as RolloutRecord;
    const markdown = renderSummary(record);
    expect(markdown).toContain(
      "**Azure's rolling upgrade:** Faulted (? succeeded, ? failed, ? in progress, ? pending)",
    );
    const html = marked.parse(markdown, { gfm: true, async: false });
    expect(html).not.toMatch(/evil|<img|<script|\[object/);
  });
});

// The adapter takes only a positive integer as GitHub's deployment ID (src/github/deployments.ts); the summary shows
// anything else escaped all the same.
describe("a GitHub deployment ID that is not a number", () => {
  it.each([{ id: 42, label: ">42</a>" }, { id: `42 ${HOSTILE}` }, { id: { toString: () => HOSTILE } }])(
    "$id",
    ({ id, label }) => {
      const record = {
        ...SCENARIOS.success(),
        release: { repository: "octo/app", links: { repository: "https://github.com/octo/app" } },
        deployment: { environment: "production", id, statuses: ["in_progress", "success"] },
      } as unknown as RolloutRecord;
      const markdown = renderSummary(record);
      const html = marked.parse(markdown, { gfm: true, async: false });
      const line = html.split("\n").find((l) => l.includes("GitHub deployment")) ?? "";
      expect(line).toContain('href="https://github.com/octo/app/deployments"');
      if (label) expect(line).toContain(label);
      expect(html).not.toMatch(/<(img|script)\b|href="[^"]*evil/i);
    },
  );
});
