// A cancel, or the run's timeout, while the action is still signing in (an audit, 2026-12-06): MSAL, GitHub's ID-token
// request and `az` take no signal, and a sign-in that never answered kept a cancelled job running until the runner
// killed it, with no summary and no outputs; the `timeout` input did not reach it either. Each way of signing in, its
// token request held unanswered: the action ends on SIGTERM by itself (or at its timeout) and says what happened; how
// soon after the signal is `npm run bench:cancel`'s to measure (issue #18: within 5 s).
import { afterEach, describe, expect, it } from "vitest";
import { SIGN_INS, signInHeld } from "./cancel-cases.ts";
import { cancelAsRunner, describeRun, type RunResult } from "./harness.ts";
import { emulator, record } from "./fixtures.ts";

type Emulator = Awaited<ReturnType<typeof emulator>>;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanups.splice(0)) undo();
});
const context = { emulator, cleanup: (undo: () => void) => cleanups.push(undo) };

function expectNothingWritten(emu: Emulator, result: RunResult): void {
  expect(
    emu.requests.filter((r) => r.method !== "GET"),
    describeRun(result),
  ).toEqual([]);
  expect(record(result).modelUpdated).toBe(false);
}

describe.each(SIGN_INS)("sign-in held unanswered: $name", (signIn) => {
  it("SIGTERM: exits by itself, result cancelled, with a summary", async () => {
    const { emu, running } = await signInHeld(signIn)(context);
    const { result, escalated } = await cancelAsRunner(running, "SIGTERM");

    expect(escalated, describeRun(result)).toEqual([]);
    expect(result.exitCode).toBe(1);
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(result.summary).not.toBe("");
    expectNothingWritten(emu, result);
  });
});

describe("sign-in held unanswered past the run's timeout", () => {
  it("the timeout ends it: the job fails on the timeout, having written nothing", async () => {
    const { emu, running } = await signInHeld(SIGN_INS[0]!, { timeout: "3s" })(context);
    const result = await running.done;

    // Ended by itself (the harness kills it at 60 s; the request is never answered), on its timeout (the reason).
    expect(result.killedByHarness, describeRun(result)).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(record(result).reason ?? "", describeRun(result)).toMatch(/timed out after 2\.7s \(timeout 3s, /i);
    expectNothingWritten(emu, result);
  });
});
