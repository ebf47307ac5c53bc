// The runner module against @actions/core itself: the same calls write the same bytes (stdout, $GITHUB_OUTPUT, the job
// summary file) and leave the same exit code, for texts that need escaping (%, CR, LF, ':' and ',' in properties).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as runner from "../../../src/github/runner.ts";

const HOSTILE = "50% done\r\nnext: ::error::x, y\n::add-mask::z";

interface Written {
  stdout: string;
  output: string;
  summary: string;
  exitCode: number | string | null | undefined;
}

let dir: string;
const saved = { output: process.env["GITHUB_OUTPUT"], summary: process.env["GITHUB_STEP_SUMMARY"] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "runner-"));
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  for (const [name, value] of [
    ["GITHUB_OUTPUT", saved.output],
    ["GITHUB_STEP_SUMMARY", saved.summary],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Runs `act` with stdout captured and fresh output and summary files (or none); the delimiter's UUID normalised. */
async function capture(files: boolean, act: () => void | Promise<void>): Promise<Written> {
  const output = join(dir, `output-${Math.random()}`);
  const summary = join(dir, `summary-${Math.random()}`);
  if (files) {
    writeFileSync(output, "");
    writeFileSync(summary, "");
    process.env["GITHUB_OUTPUT"] = output;
    process.env["GITHUB_STEP_SUMMARY"] = summary;
  } else {
    delete process.env["GITHUB_OUTPUT"];
    delete process.env["GITHUB_STEP_SUMMARY"];
  }
  process.exitCode = undefined;
  let stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    await act();
  } finally {
    vi.restoreAllMocks();
  }
  const uuid = /ghadelimiter_[0-9a-f-]{36}/g;
  const read = (path: string): string => (files ? readFileSync(path, "utf8").replace(uuid, "ghadelimiter_U") : "");
  return { stdout, output: read(output), summary: read(summary), exitCode: process.exitCode };
}

describe("runner module: the same bytes as @actions/core", () => {
  it.each([
    { call: "info", ours: () => runner.info(HOSTILE), theirs: () => core.info(HOSTILE) },
    { call: "debug", ours: () => runner.debug(HOSTILE), theirs: () => core.debug(HOSTILE) },
    { call: "setSecret", ours: () => runner.setSecret(HOSTILE), theirs: () => core.setSecret(HOSTILE) },
    { call: "warning", ours: () => runner.warning(HOSTILE), theirs: () => core.warning(HOSTILE) },
    {
      call: "warning with a title",
      ours: () => runner.warning(HOSTILE, { title: "a: b, c%" }),
      theirs: () => core.warning(HOSTILE, { title: "a: b, c%" }),
    },
    {
      call: "error with a title",
      ours: () => runner.error(HOSTILE, { title: "t" }),
      theirs: () => core.error(HOSTILE, { title: "t" }),
    },
    {
      call: "notice with a title",
      ours: () => runner.notice(HOSTILE, { title: "t" }),
      theirs: () => core.notice(HOSTILE, { title: "t" }),
    },
    { call: "startGroup", ours: () => runner.startGroup(HOSTILE), theirs: () => core.startGroup(HOSTILE) },
    { call: "endGroup", ours: () => runner.endGroup(), theirs: () => core.endGroup() },
    { call: "setFailed", ours: () => runner.setFailed(HOSTILE), theirs: () => core.setFailed(HOSTILE) },
  ])("$call", async ({ ours, theirs }) => {
    expect(await capture(true, ours)).toEqual(await capture(true, theirs));
  });

  it.each([
    { files: true, value: HOSTILE },
    { files: true, value: "" },
    { files: false, value: HOSTILE },
  ])("setOutput (output file: $files)", async ({ files, value }) => {
    const ours = await capture(files, () => runner.setOutput("summary-json", value));
    expect(ours).toEqual(await capture(files, () => core.setOutput("summary-json", value)));
    if (files) expect(ours.output).toBe(`summary-json<<ghadelimiter_U\n${value}\nghadelimiter_U\n`);
  });

  it("the job summary: appended as core.summary.addRaw(text).write() appends it", async () => {
    const text = "## Title\n\n| a | b |\n";
    const ours = await capture(true, async () => {
      await runner.appendSummary(text);
      await runner.appendSummary(text);
    });
    const theirs = await capture(true, async () => {
      await core.summary.addRaw(text).write();
      await core.summary.addRaw(text).write();
    });
    expect(ours).toEqual(theirs);
    expect(ours.summary).toBe(text + text);
  });

  it("no summary file: core's error (its summary caches the first path it saw, so it is not asked here)", async () => {
    delete process.env["GITHUB_STEP_SUMMARY"];
    await expect(runner.appendSummary("x")).rejects.toThrow(
      "Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.",
    );
  });

  it.each([
    { name: "scale-set", env: { "INPUT_SCALE-SET": "  vmss-web \n" }, value: "vmss-web" },
    { name: "image version", env: { INPUT_IMAGE_VERSION: "1.2.3" }, value: "1.2.3" },
    { name: "dry-run", env: {}, value: "" },
  ])("getInput('$name')", ({ name, env, value }) => {
    const before = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(runner.getInput(name)).toBe(value);
      expect(runner.getInput(name)).toBe(core.getInput(name));
    } finally {
      for (const key of Object.keys(env)) if (!(key in before)) delete process.env[key];
    }
  });
});

describe("pullRequestHeadSha", () => {
  const HEAD = "0123456789abcdef0123456789abcdef01234567";
  it.each([
    {
      name: "a pull_request event",
      event: "pull_request",
      payload: { pull_request: { head: { sha: HEAD } } },
      sha: HEAD,
    },
    // pull_request_target runs the base branch's code, at GITHUB_SHA: that is what is deployed.
    {
      name: "pull_request_target",
      event: "pull_request_target",
      payload: { pull_request: { head: { sha: HEAD } } },
      sha: undefined,
    },
    { name: "a push", event: "push", payload: { head_commit: { id: HEAD } }, sha: undefined },
    {
      name: "a head that is no SHA",
      event: "pull_request",
      payload: { pull_request: { head: { sha: "::error::x" } } },
      sha: undefined,
    },
    { name: "a payload that is not JSON", event: "pull_request", payload: undefined, sha: undefined },
  ])("$name: $sha", ({ event, payload, sha }) => {
    const path = join(dir, "event.json");
    writeFileSync(path, payload === undefined ? "{not json" : JSON.stringify(payload));
    expect(runner.pullRequestHeadSha({ GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: path })).toBe(sha);
  });
});
