// `npm run bench:cancel [-- <text>]`: how soon the action ends after a cancel, in each situation a cancel can find it in
// (test/e2e/cancel-cases.ts: an upgrade under way, the list budget's wait, a 429's backoff, GitHub not answering, a
// sign-in not answered), against issue #18's target: within 5 s of the signal, whatever the action is waiting on.
// Each case runs `BENCH_CANCEL_RUNS` times (default 5) as the e2e tests run it (dist/index.js as its own process, a
// fresh emulator), is cancelled as the runner cancels (SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that), and
// the time from the signal to the process's end is measured. Prints a table: median and worst of those times, and
// in how many runs the action ended by itself with a job summary and the result the case expects (`cancelled`;
// `failed` for a run that had failed before the cancel). Nothing is written. A text
// given runs only the cases whose name contains it.
// The tests (cancel.test.ts, sign-in-cancel.test.ts) check what a cancelled run reports and that it ends before the
// runner escalates; this prints the figure, as docs/benchmark.md asks of every speed target.
import { start } from "../emulator/index.ts";
import type { Emulator, EmulatorOptions } from "../emulator/types.ts";
import { CANCEL_CASES } from "../test/e2e/cancel-cases.ts";
import { cancelAsRunner, killRunningActions } from "../test/e2e/harness.ts";
import { median } from "./metrics.ts";

const TARGET_MS = 5_000;
const runs = Number(process.env["BENCH_CANCEL_RUNS"] ?? 5);
const only = process.argv[2];

interface Figure {
  readonly exitMs: number;
  /** Ended by itself (no escalation), with the case's result and a job summary. */
  readonly clean: boolean;
}

async function once(caseIndex: number): Promise<Figure> {
  const c = CANCEL_CASES[caseIndex]!;
  const emulators: Emulator[] = [];
  const undo: (() => void)[] = [];
  try {
    const { running } = await c.hold({
      emulator: async (options: EmulatorOptions) => {
        const emu = await start({ speed: 0.001, ...options });
        emulators.push(emu);
        return emu;
      },
      cleanup: (fn) => undo.push(fn),
    });
    const { result, exitMs, escalated } = await cancelAsRunner(running, c.signal);
    const clean =
      escalated.length === 0 && result.outputs["result"] === (c.result ?? "cancelled") && result.summaryExists;
    return { exitMs, clean };
  } finally {
    // A case that failed before its cancel leaves its action running: no process is left behind.
    killRunningActions();
    for (const fn of undo) fn();
    await Promise.all(emulators.map((emu) => emu.stop()));
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const rows: string[][] = [];
let worst = 0;
let unclean = 0;
for (let i = 0; i < CANCEL_CASES.length; i++) {
  const c = CANCEL_CASES[i]!;
  if (only !== undefined && !c.name.includes(only)) continue;
  const figures: Figure[] = [];
  for (let r = 0; r < runs; r++)
    figures.push(
      await once(i).catch((error: unknown) => {
        // The case could not hold the action where it meant to: no figure, and the run is not clean.
        process.stderr.write(`${c.name}: ${String(error)}\n`);
        return { exitMs: NaN, clean: false };
      }),
    );
  const sorted = figures
    .map((f) => f.exitMs)
    .filter((ms) => !Number.isNaN(ms))
    .sort((a, b) => a - b);
  const max = sorted.at(-1) ?? NaN;
  const clean = figures.filter((f) => f.clean).length;
  worst = Math.max(worst, max);
  unclean += figures.length - clean;
  rows.push([c.name, c.signal, seconds(median(sorted)), seconds(max), `${clean}/${figures.length}`]);
  process.stderr.write(`${c.name}: done\n`);
}

const header = ["where the cancel finds the action", "signal", "ended after (median)", "worst", "clean"];
const lines = [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`);
process.stdout.write(`${lines.join("\n")}\n\n`);
process.stdout.write(
  `Target: every run ends within ${seconds(TARGET_MS)} of the signal: ${worst <= TARGET_MS ? "met" : "MISSED"} ` +
    `(worst ${seconds(worst)} over ${runs} runs a case). "clean": ended by itself, with its result (cancelled; failed ` +
    `where it had failed before the cancel) and a job summary${unclean === 0 ? " (every run)" : `: ${unclean} runs were not`}.\n`,
);
