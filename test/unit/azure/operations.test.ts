// follow(): when the first status read of an operation comes (Pace.firstMs), with a poller standing in for core-lro's.
import { describe, expect, it } from "vitest";
import { follow, OperationErrors, type Poller } from "../../../src/azure/operations.ts";
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
