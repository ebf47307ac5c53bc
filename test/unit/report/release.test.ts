// The run in every link: the summary names what was released and by which run, the GitHub deployment, and the
// rollback instructions point back to the run that made the change.
import { describe, expect, it } from "vitest";
import { buildOutputs, renderSummary } from "../../../src/report/index.ts";
import { releaseOf } from "../../../src/domain/release.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { failureWithStragglers, success } from "./fixtures.ts";

const SHA = "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c";
const RELEASE = releaseOf({
  serverUrl: "https://github.com",
  apiUrl: "https://api.github.com",
  repository: "octo/app",
  ref: "refs/tags/v1.4.0",
  sha: SHA,
  runId: "42",
  runAttempt: "2",
  workflow: "release",
});
const RUN = "https://github.com/octo/app/actions/runs/42/attempts/2";

function hrefs(markdown: string): string[] {
  return [...markdown.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]!);
}

describe("the run in the summary and summary-json", () => {
  it.each([
    ["a success", success()],
    ["a failure", failureWithStragglers()],
  ])("%s names the repository, the tag, the commit and the run, linked", (_name, base) => {
    const summary = renderSummary({ ...base, release: RELEASE });
    expect(summary).toContain("**Released**");
    expect(hrefs(summary)).toEqual(
      expect.arrayContaining([
        "https://github.com/octo/app",
        "https://github.com/octo/app/tree/v1.4.0",
        `https://github.com/octo/app/commit/${SHA}`,
        RUN,
      ]),
    );
    expect(summary).toContain("<code>8c1a3e0</code>");
    expect(summary).toContain("release run 42, attempt 2");
  });

  it("the rollback instructions link back to the run that made the change", () => {
    const record: RolloutRecord = { ...failureWithStragglers(), release: RELEASE };
    const summary = renderSummary(record);
    const rollback = summary.slice(summary.indexOf("roll back"));
    expect(rollback).toContain(`(made by <a href="${RUN}">`);
    expect(rollback.indexOf(RUN)).toBeLessThan(rollback.indexOf("```yaml"));
  });

  it.each([
    [{ environment: "production", id: 17, statuses: ["in_progress", "success"] as const }, "in_progress → success"],
    [{ environment: "production", statuses: [], warning: "Could not record it (403 Forbidden)." }, "not recorded"],
  ])("the GitHub deployment: %j", (deployment, shown) => {
    const summary = renderSummary({ ...success(), release: RELEASE, deployment });
    expect(summary).toContain("**GitHub deployment**");
    expect(summary).toContain(shown);
  });

  it("summary-json carries the release and its links", () => {
    const json = JSON.parse(buildOutputs({ ...success(), release: RELEASE })["summary-json"]!) as RolloutRecord;
    expect(json.release).toEqual(RELEASE);
  });

  it("without a GitHub context the summary is as before", () => {
    expect(renderSummary(success())).not.toContain("**Released**");
  });
});
