// follow(): when the first status read of an operation comes (Pace.firstMs), with a poller standing in for core-lro's;
// tagsAnswerIsFinal(): which answers to a tag write are taken as its result.
import { describe, expect, it, vi } from "vitest";
import {
  follow,
  OperationErrors,
  tagsAnswerIsFinal,
  type Poller,
  type RawAnswer,
} from "../../../src/azure/operations.ts";
import type { Pace } from "../../../src/azure/operation-pace.ts";

/** A poller whose operation is done after `doneAfter` status reads (0: Azure answered it as done). */
function poller(doneAfter: number): Poller<string> & { reads: number } {
  const p = {
    reads: 0,
    submitted: () => Promise.resolve(),
    poll: () => {
      p.reads++;
      return Promise.resolve();
    },
    get isDone() {
      return p.reads >= doneAfter;
    },
    result: "ok",
  };
  return p;
}

const pace = (firstMs: number): Pace => ({ firstMs: () => firstMs, nextMs: () => 1, ended: () => undefined });

describe("follow: the first status read", () => {
  it("waits firstMs before it: an abort meanwhile means no read at all", async () => {
    const p = poller(1);
    const abort = new AbortController();
    const followed = follow(p, abort.signal, pace(60_000), new OperationErrors());
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    await expect(followed).rejects.toThrow();
    expect(p.reads).toBe(0);
  });

  it("reads at once when firstMs is 0", async () => {
    const p = poller(1);
    await expect(follow(p, undefined, pace(0), new OperationErrors())).resolves.toBe("ok");
    expect(p.reads).toBe(1);
  });

  it("does not wait for an operation Azure answered as done", async () => {
    const p = poller(0);
    // Were it to wait the minute, the test would time out.
    await expect(follow(p, undefined, pace(60_000), new OperationErrors())).resolves.toBe("ok");
  });
});

describe("follow: the reads after the first", () => {
  it("tells the pace how long the read just made took, not counting the wait before it", async () => {
    // Each status read takes 40 ms; the pace asks for 30 ms between reads. Three reads, then done.
    let reads = 0;
    const p: Poller<string> = {
      submitted: () => Promise.resolve(),
      poll: async () => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        reads++;
      },
      get isDone() {
        return reads >= 3;
      },
      result: "ok",
    };
    const told: number[] = [];
    const observed: Pace = {
      firstMs: () => 0,
      nextMs: (_elapsed, readMs) => {
        told.push(readMs ?? -1);
        return 30;
      },
      ended: () => undefined,
    };
    // Fake timers (Date.now and setTimeout): the figures are exact, whatever the machine's load.
    vi.useFakeTimers();
    try {
      const followed = follow(p, undefined, observed, new OperationErrors());
      await vi.runAllTimersAsync();
      await expect(followed).resolves.toBe("ok");
    } finally {
      vi.useRealTimers();
    }
    // The read's own 40 ms each time, never the 30 ms wait before it as well.
    expect(told).toEqual([40, 40]);
  });
});

describe("tagsAnswerIsFinal: a tag write's answer taken as its result", () => {
  const HEADERS = {
    "azure-asyncoperation": "https://management.azure.com/operations/1",
    location: "https://management.azure.com/operations/1?monitor=true",
    "operation-location": "https://management.azure.com/operations/1",
    "x-ms-request-id": "r1",
  };
  const sent = { lease: "run 1", record: "{}" };
  it.each<{ name: string; answer: Omit<RawAnswer, "rawHeaders">; final: boolean }>([
    { name: "200 showing the tags sent", answer: { status: 200, parsedBody: { tags: { ...sent } } }, final: true },
    {
      name: "200 showing them in another order",
      answer: { status: 200, parsedBody: { tags: { record: "{}", lease: "run 1" } } },
      final: true,
    },
    {
      name: "200 with a tag more",
      answer: { status: 200, parsedBody: { tags: { ...sent, other: "x" } } },
      final: false,
    },
    { name: "200 with a tag less", answer: { status: 200, parsedBody: { tags: { lease: "run 1" } } }, final: false },
    {
      name: "200 with another value",
      answer: { status: 200, parsedBody: { tags: { ...sent, lease: "run 2" } } },
      final: false,
    },
    { name: "200 without tags", answer: { status: 200, parsedBody: { name: "vmss1" } }, final: false },
    { name: "200 with tags not a map", answer: { status: 200, parsedBody: { tags: ["lease"] } }, final: false },
    { name: "200 without a body", answer: { status: 200 }, final: false },
    { name: "202 (no body)", answer: { status: 202 }, final: false },
    { name: "201 showing the tags sent", answer: { status: 201, parsedBody: { tags: { ...sent } } }, final: false },
    { name: "412", answer: { status: 412, parsedBody: { error: { code: "PreconditionFailed" } } }, final: false },
  ])("$name: taken as the result: $final", ({ answer, final }) => {
    const rawHeaders: Record<string, string> = { ...HEADERS };
    tagsAnswerIsFinal(sent)({ ...answer, rawHeaders });
    expect(rawHeaders).toEqual(final ? { "x-ms-request-id": "r1" } : HEADERS);
  });

  it("an empty map sent: an answer showing no tags is the result", () => {
    const rawHeaders: Record<string, string> = { ...HEADERS };
    tagsAnswerIsFinal({})({ status: 200, parsedBody: { tags: {} }, rawHeaders });
    expect(rawHeaders).toEqual({ "x-ms-request-id": "r1" });
  });
});
