// The fault fuzzer's report: one line per violation as each seed ends, then `N seeds, N violations`. A seed whose test
// failed without a violation (the emulator did not start, a timeout) is printed and counted as one.
import type { Reporter, TestCase, TestModule } from "vitest/node";

interface FuzzMeta {
  readonly seed: number;
  readonly mode: string;
  readonly violations: readonly string[];
}

export default class FuzzReporter implements Reporter {
  private seeds = 0;
  private violations = 0;

  onTestCaseResult(test: TestCase): void {
    this.seeds++;
    const meta = (test.meta() as Record<string, unknown>)["fuzz"] as FuzzMeta | undefined;
    const result = test.result();
    if (meta !== undefined && meta.violations.length > 0) {
      for (const v of meta.violations) process.stdout.write(`seed ${meta.seed} (${meta.mode}) ${v.slice(0, 600)}\n`);
      this.violations += meta.violations.length;
    } else if (result.state === "failed") {
      const error = result.errors?.[0]?.message ?? "failed";
      process.stdout.write(`${test.name}: ERROR ${error.split("\n")[0]!.slice(0, 600)}\n`);
      this.violations++;
    }
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    for (const mod of testModules)
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) {
        process.stdout.write(`${mod.moduleId}: ERROR ${mod.errors()[0]?.message ?? "did not load"}\n`);
        this.violations++;
      }
    process.stdout.write(`${this.seeds} seeds, ${this.violations} violations\n`);
  }
}
