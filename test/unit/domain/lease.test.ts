import { describe, expect, it } from "vitest";
import {
  LEASE_REPOSITORY_TAG,
  LEASE_SERVER_TAG,
  LEASE_TAG,
  decodeLease,
  describeHolder,
  encodeLease,
  holderOf,
  leaseHeldBy,
  releaseLease,
  renewLease,
  takeLease,
  type LeaseHolder,
} from "../../../src/domain/lease.ts";
import { tagLimitProblem } from "../../../src/domain/tag-limits.ts";

const T0 = Date.parse("2026-12-04T01:00:00Z");
const MIN = 60_000;
const github = {
  serverUrl: "https://github.com",
  apiUrl: "https://api.github.com",
  repository: "octo/app",
  runId: "42",
  runAttempt: "2",
};
const me: LeaseHolder = holderOf(github, "me-token");
const other: LeaseHolder = holderOf({ ...github, repository: "octo/hotfix", runId: "7", runAttempt: "1" }, "other");
const local: LeaseHolder = holderOf(undefined, "local-token");
const held = (holder: LeaseHolder, expiresAt: number) => ({ user: "tag", ...encodeLease({ holder, expiresAt }) });

describe("lease codec", () => {
  it.each([
    ["a GitHub Actions run", me],
    ["a run outside GitHub Actions (its token only)", local],
  ])("round-trips %s exactly, within Azure's tag limits", (_name, holder) => {
    const tags = encodeLease({ holder, expiresAt: T0 });
    expect(tagLimitProblem(tags)).toBeUndefined();
    expect(decodeLease(tags)).toEqual({ kind: "held", lease: { holder, expiresAt: T0 } });
  });

  it("stores the run's identity and link, never anything else", () => {
    expect(encodeLease({ holder: me, expiresAt: T0 })).toEqual({
      [LEASE_TAG]: "v1;until=2026-12-04T01:00:00.000Z;token=me-token;run=42/2",
      [LEASE_REPOSITORY_TAG]: "octo/app",
      [LEASE_SERVER_TAG]: "https://github.com",
    });
    expect(describeHolder(me, "https://github.com")).toBe(
      "octo/app run 42 (attempt 2) https://github.com/octo/app/actions/runs/42/attempts/2",
    );
    expect(describeHolder(local, "https://github.com")).toBe("a run outside GitHub Actions (lease token local-token)");
  });

  // Tags are anyone's to write: the log and annotations link only to this run's own server, to a well-formed run.
  it.each([
    ["another server", { serverUrl: "https://evil.example/sso" }],
    ["a repository with a path in it", { repository: "octo/app/../../evil" }],
    ["a run ID that is not a number", { runId: "42?x=1" }],
    ["an attempt that is not a number", { runAttempt: "2#frag" }],
  ])("names a holder on %s without a link", (_name, edit) => {
    const text = describeHolder({ ...me, ...edit }, "https://github.com");
    expect(text).not.toMatch(/https?:/);
    expect(text).toMatch(/ run /);
  });

  it.each([
    ["a repository that is a URL", { repository: "https://evil.example/login" }],
    ["a run ID with a URL in it", { runId: "42 https://evil.example" }],
    ["a token that is a URL", { token: "https://evil.example/x", repository: undefined, runId: undefined }],
  ])("prints no tag text that is not a GitHub repository, run or token (%s)", (_name, edit) => {
    const text = describeHolder({ ...me, ...edit }, "https://github.com");
    expect(text).not.toContain("evil");
    expect(text).toMatch(/^a run /);
  });

  it.each([
    ["no lease tag", {}, { kind: "none" }],
    ["another version's value", { [LEASE_TAG]: "v2;whatever" }, { kind: "unreadable", value: "v2;whatever" }],
    ["a value edited by hand", { [LEASE_TAG]: "v1;until=soon" }, { kind: "unreadable", value: "v1;until=soon" }],
  ])("reads %s", (_name, tags, expected) => {
    expect(decodeLease(tags)).toEqual(expected);
  });
});

describe("lease decisions", () => {
  it.each([
    { name: "free: taken", tags: { user: "tag" }, taken: true, takenOver: false },
    { name: "this run's already: taken again", tags: held(me, T0 + MIN), taken: true, takenOver: false },
    { name: "another run's, not expired: refused", tags: held(other, T0 + 1), taken: false, takenOver: false },
    { name: "another run's, expired: taken over", tags: held(other, T0), taken: true, takenOver: true },
    { name: "unreadable: refused", tags: { [LEASE_TAG]: "v9" }, taken: false, takenOver: false },
  ] as { name: string; tags: Record<string, string>; taken: boolean; takenOver: boolean }[])(
    "take — $name",
    ({ tags, taken, takenOver }) => {
      const step = takeLease(tags, me, T0, 10 * MIN);
      if (!taken) {
        expect(step).toHaveProperty("refused");
        return;
      }
      expect(step).toMatchObject({ tags: { user: "tag", ...encodeLease({ holder: me, expiresAt: T0 + 10 * MIN }) } });
      expect("takenOver" in step && step.takenOver !== undefined).toBe(takenOver);
    },
  );

  it("names the holder, its link and its expiry when refusing", () => {
    const step = takeLease(held(other, T0 + 5 * MIN), me, T0, 10 * MIN);
    expect(step).toMatchObject({
      refused:
        "another run holds the scale set's lease until 2026-12-04T01:05:00.000Z: octo/hotfix run 7 (attempt 1) https://github.com/octo/hotfix/actions/runs/7/attempts/1",
      heldBy: { holder: other, expiresAt: T0 + 5 * MIN },
    });
  });

  it.each([
    { name: "this run's: moved on", tags: held(me, T0 + MIN), until: T0 + 10 * MIN, result: T0 + 10 * MIN },
    {
      name: "this run's, already longer: kept (never shortened)",
      tags: held(me, T0 + 30 * MIN),
      until: T0 + 10 * MIN,
      result: T0 + 30 * MIN,
    },
    {
      name: "this run's, expired but not taken: renewed",
      tags: held(me, T0 - MIN),
      until: T0 + 10 * MIN,
      result: T0 + 10 * MIN,
    },
    {
      name: "this run's, longer, exact (before a platform roll): set to until",
      tags: held(me, T0 + 30 * MIN),
      until: T0 + 10 * MIN,
      result: T0 + 10 * MIN,
      exact: true,
    },
  ])("renew — $name", ({ tags, until, result, exact }) => {
    const step = renewLease(tags, me, until, exact);
    expect("tags" in step && decodeLease(step.tags)).toEqual({
      kind: "held",
      lease: { holder: me, expiresAt: result },
    });
  });

  it.each([
    { name: "another run took it over", tags: held(other, T0 + MIN), says: /octo\/hotfix run 7 .* holds it now/ },
    { name: "the tag was removed", tags: { user: "tag" }, says: /the lease tag was removed/ },
    { name: "the tag was made unreadable", tags: { [LEASE_TAG]: "x" }, says: /cannot read/ },
  ])("renew refuses when $name: the run has lost it", ({ tags, says }) => {
    const step = renewLease(tags, me, T0 + MIN);
    expect("refused" in step && step.refused).toMatch(says);
  });

  it.each([
    { name: "this run's: removed, other tags kept", tags: held(me, T0), after: { user: "tag" } },
    { name: "another run's: left as it is", tags: held(other, T0), after: held(other, T0) },
    { name: "none: nothing to do", tags: { user: "tag" }, after: { user: "tag" } },
  ])("release — $name", ({ tags, after }) => {
    expect(releaseLease(tags, me)).toEqual({ tags: after });
  });
});

describe("the holder as the record shows it", () => {
  it.each([
    { name: "on this run's server: linked", holder: other, server: "https://github.com", link: true },
    { name: "on another server: not linked", holder: other, server: "https://ghe.example.com", link: false },
    {
      name: "a hostile repository in the tags: not linked",
      holder: { ...other, repository: "x/y/../../evil" },
      server: "https://github.com",
      link: false,
    },
    { name: "outside GitHub Actions: named by its token", holder: local, server: "https://github.com", link: false },
  ])("$name", ({ holder, server, link }) => {
    const held = leaseHeldBy({ holder, expiresAt: T0 }, server);
    expect(held.until).toBe("2026-12-04T01:00:00.000Z");
    expect(held.link !== undefined).toBe(link);
    if (link) expect(held.link).toBe("https://github.com/octo/hotfix/actions/runs/7/attempts/1");
  });
});

describe("tag limits", () => {
  it.each([
    ["50 tags", Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, "v"])), undefined],
    [
      "51 tags",
      Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"])),
      /51 tags and Azure allows 50/,
    ],
    ["a 257-character value", { a: "x".repeat(257) }, /257 characters long \(Azure allows 256\)/],
    ["a name with '/'", { "a/b": "v" }, /character Azure refuses/],
    ["the lease's names", { "vmss-rollout.lease": "v", "vmss-rollout.lease.repository": "v" }, undefined],
  ])("%s", (_name, tags, problem) => {
    const found = tagLimitProblem(tags);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
