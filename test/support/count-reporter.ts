// Prints one plain closing line, `N passed, N failed`, after vitest's own report (read by CI).
import type { Reporter, TestModule } from "vitest/node";

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A file that failed to load has no tests but is a failure.
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) failed++;
    }
    // `npm test` (scripts/test.ts) ran the type check and the lint first: they count here too.
    passed += Number(process.env["COUNT_CHECKS_PASSED"] ?? 0) || 0;
    failed += Number(process.env["COUNT_CHECKS_FAILED"] ?? 0) || 0;
    const tail = skipped > 0 ? `, ${skipped} skipped` : "";
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
