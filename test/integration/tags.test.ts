// The run's tag writer (engine/tags.ts) against the emulator with the real SDK: one write at a time, the whole map
// with If-Match, 412 → read again and decide again on the fresh tags, nothing sent when refused or unchanged, and the
// etag a tag write answers used by the model write after it only when no other writer changed the model around it.
// Over every orchestration mode.

import { describe, expect, it } from "vitest";
import { Run } from "../../src/engine/run.ts";
import { TagWriter, tagWriteEnd, type Tags } from "../../src/engine/tags.ts";
import type { RolloutEvent } from "../../src/engine/events.ts";
import { isPreconditionFailed } from "../../src/domain/azure-errors.ts";
import {
  ORCHESTRATIONS,
  PATCH_TAGS,
  TAGS,
  adapterFor,
  configFor,
  memoryLogger,
  tagWritesOf,
  useEmulator,
} from "./harness.ts";
import type { Emulator } from "../../emulator/index.ts";

const emulator = useEmulator();

async function setup(emu: Emulator) {
  const config = configFor(emu);
  const log = memoryLogger();
  const api = adapterFor(config, log);
  const events: RolloutEvent[] = [];
  const run = new Run(config, api, {
    logger: log,
    signal: new AbortController().signal,
    events: (e) => events.push(e),
  });
  run.state.read(await api.getScaleSet());
  return { run, api, tags: new TagWriter(run, api), events, log };
}

const withTag =
  (name: string, value: string) =>
  (tags: Tags): { tags: Tags } => ({ tags: { ...tags, [name]: value } });
const tagsOf = (emu: Emulator): unknown => emu.state().model["tags"];

describe.each(ORCHESTRATIONS)("TagWriter ($mode)", ({ seed }) => {
  it("writes the whole map with If-Match, one write after the other, each on the tags the one before left", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    const { tags, events } = await setup(emu);
    const [a, b] = await Promise.all([
      tags.update(withTag("a", "1"), "first"),
      tags.update(withTag("b", "2"), "second"),
    ]);
    expect(a).toMatchObject({ kind: "written", names: ["a"] });
    expect(b).toMatchObject({ kind: "written", names: ["b"], tags: { a: "1", b: "2" } });
    expect(tagsOf(emu)).toEqual({ a: "1", b: "2" });
    expect(tagWritesOf(emu)).toEqual([PATCH_TAGS, PATCH_TAGS]);
    const ifMatch = emu.writes().map((w) => w.headers?.["if-match"]);
    expect(ifMatch).toEqual(['"1"', '"2"']);
    expect(events.filter((e) => e.type === "tags-written")).toEqual([
      { type: "tags-written", why: "first", names: ["a"] },
      { type: "tags-written", why: "second", names: ["b"] },
    ]);
  });

  it("removes a tag by leaving it out of the map (ARM replaces a resource's tags with a PATCH's)", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 1, tags: { keep: "k", drop: "d" }, ...seed }],
    });
    const { tags } = await setup(emu);
    const result = await tags.update(({ drop: _drop, ...rest }) => ({ tags: rest }), "drop one");
    expect(result).toMatchObject({ kind: "written", names: ["drop"] });
    expect(tagsOf(emu)).toEqual({ keep: "k" });
  });

  it.each([
    { name: "refused", mutate: (): { refused: string } => ({ refused: "not mine" }), kind: "refused" },
    { name: "unchanged", mutate: (t: Tags): { tags: Tags } => ({ tags: { ...t } }), kind: "unchanged" },
  ])("sends nothing when the decision is $name", async ({ mutate, kind }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1, tags: { x: "1" }, ...seed }] });
    const { tags } = await setup(emu);
    expect(await tags.update(mutate, "nothing")).toMatchObject({ kind, tags: { x: "1" } });
    expect(tagWritesOf(emu)).toEqual([]);
  });

  it("on 412 reads the scale set again and decides again on the fresh tags (another writer's tag is kept)", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1, ...seed }] });
    const { tags } = await setup(emu);
    emu.faults.concurrentWrite({ patch: { tags: { other: "theirs" } } }, { operation: TAGS, when: "before" });
    const seen: Tags[] = [];
    const result = await tags.update((t) => {
      seen.push(t);
      return withTag("mine", "1")(t);
    }, "mine");
    expect(seen).toEqual([{}, { other: "theirs" }]);
    expect(result).toMatchObject({ kind: "written", tags: { other: "theirs", mine: "1" } });
    expect(tagWritesOf(emu)).toEqual([`${PATCH_TAGS} → 412`, PATCH_TAGS]);
  });

  it("refuses, writing nothing, when the fresh tags after a 412 make `mutate` refuse", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1, ...seed }] });
    const { tags } = await setup(emu);
    emu.faults.concurrentWrite({ patch: { tags: { holder: "other run" } } }, { operation: TAGS, when: "before" });
    const result = await tags.update(
      (t) =>
        t["holder"] === undefined ? { tags: { ...t, holder: "this run" } } : { refused: `held by ${t["holder"]}` },
      "take",
    );
    expect(result).toEqual({ kind: "refused", reason: "held by other run", tags: { holder: "other run" } });
    expect(tagWritesOf(emu)).toEqual([`${PATCH_TAGS} → 412`]);
    expect(tagsOf(emu)).toEqual({ holder: "other run" });
  });

  it.each([
    {
      name: "no other writer: the model write goes with the tag write's etag",
      foreign: undefined,
      modelWrite: "accepted",
    },
    {
      name: "another writer changed the image around the tag write: the model write meets 412",
      foreign: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202412010" } } } },
      },
      modelWrite: "412",
    },
  ])("$name", async ({ foreign, modelWrite }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1, ...seed }] });
    const { tags, run, api } = await setup(emu);
    const etagBefore = run.state.model?.etag;
    if (foreign) emu.faults.concurrentWrite({ patch: foreign }, { operation: TAGS, when: "after" });
    await tags.update(withTag("a", "1"), "a");
    expect(run.state.model?.tags).toEqual({ a: "1" });
    expect(run.state.model?.etag).toBe(foreign ? etagBefore : '"2"');
    const write = api.patchScaleSet({ imageReference: { version: "24.04.202501140" } }, run.state.model?.etag);
    if (modelWrite === "accepted") await expect(write).resolves.toMatchObject({ tags: { a: "1" } });
    else await expect(write.catch((err: unknown) => isPreconditionFailed(err))).resolves.toBe(true);
  });

  it("a write cut off while it waits its turn sends nothing and ends as not sent, not as refused; the next write still runs", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1, ...seed }] });
    const { tags, log } = await setup(emu);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = tags.exclusive(() => gate);
    const cut = new AbortController();
    const waiting = tags.update(withTag("a", "1"), "waits", cut.signal).catch((err: unknown) => err);
    cut.abort();
    release();
    await held;
    const err = await waiting;
    // Before: the SDK's abort, unmarked ("Azure did not take the tag write"), after a log line saying it PATCHed.
    expect(tagWriteEnd(err)).toEqual({ kind: "not-sent", before: "cut-off" });
    expect(tagWritesOf(emu)).toEqual([]);
    expect(log.text()).not.toContain("PATCH");
    await expect(tags.update(withTag("b", "2"), "after")).resolves.toMatchObject({ kind: "written" });
    expect(tagsOf(emu)).toEqual({ b: "2" });
  });

  it("gives up after repeated 412s, and the next write still runs", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1, ...seed }] });
    const { tags } = await setup(emu);
    for (let i = 0; i < 5; i++)
      emu.faults.concurrentWrite({ patch: { tags: { n: String(i) } } }, { operation: TAGS, after: i, when: "before" });
    await expect(tags.update(withTag("a", "1"), "busy")).rejects.toThrow(/changed 5 times in a row/);
    await expect(tags.update(withTag("b", "2"), "after")).resolves.toMatchObject({ kind: "written" });
    expect(tagsOf(emu)).toEqual({ n: "4", b: "2" });
  });
});
