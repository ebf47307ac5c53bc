import { describe, expect, it } from "vitest";
import { releaseOf } from "../../../src/domain/release.ts";

const SHA = "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c";
const BASE = { serverUrl: "https://github.com", apiUrl: "https://api.github.com", repository: "octo/app", sha: SHA };

describe("releaseOf: what a run released, with links", () => {
  it.each([
    {
      name: "a tag push",
      github: { ...BASE, ref: "refs/tags/v1.4.0", runId: "42", runAttempt: "2", workflow: "release" },
      expected: {
        refName: "v1.4.0",
        refType: "tag",
        shortSha: "8c1a3e0",
        links: {
          repository: "https://github.com/octo/app",
          ref: "https://github.com/octo/app/tree/v1.4.0",
          commit: `https://github.com/octo/app/commit/${SHA}`,
          run: "https://github.com/octo/app/actions/runs/42/attempts/2",
        },
      },
    },
    {
      name: "a branch with a slash on GitHub Enterprise Server",
      github: { ...BASE, serverUrl: "https://ghe.example.com", ref: "refs/heads/release/1.x", runId: "7" },
      expected: {
        refName: "release/1.x",
        refType: "branch",
        links: {
          repository: "https://ghe.example.com/octo/app",
          ref: "https://ghe.example.com/octo/app/tree/release/1.x",
          commit: `https://ghe.example.com/octo/app/commit/${SHA}`,
          run: "https://ghe.example.com/octo/app/actions/runs/7",
        },
      },
    },
    {
      name: "a pull request's merge ref",
      github: { ...BASE, ref: "refs/pull/7/merge" },
      expected: { ref: "refs/pull/7/merge", links: { repository: "https://github.com/octo/app" } },
    },
  ])("$name", ({ github, expected }) => {
    const release = releaseOf(github);
    expect(release).toMatchObject(expected);
    if (!("refName" in expected)) expect(release.refName).toBeUndefined();
  });
});
