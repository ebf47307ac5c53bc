// `npm test`: the type check, the lint and every vitest suite. All three run whatever fails first, and the closing
// line `N passed, N failed` (test/support/count-reporter.ts, read by CI) counts the two checks with the tests, so a
// type error or a lint error shows in it too. Exits 1 when anything failed.
import { spawnSync } from "node:child_process";

const CHECKS = [
  { name: "typecheck", script: "typecheck" },
  { name: "lint", script: "lint" },
] as const;

let passed = 0;
let failed = 0;
for (const check of CHECKS) {
  const ok = spawnSync("npm", ["run", check.script], { stdio: "inherit" }).status === 0;
  if (ok) passed++;
  else {
    failed++;
    process.stdout.write(`\n${check.name} failed (counted in the closing line)\n`);
  }
}

const tests = spawnSync("vitest", ["run", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: {
    ...process.env,
    NODE_EXTRA_CA_CERTS: "emulator/tls/cert.pem",
    COUNT_CHECKS_PASSED: String(passed),
    COUNT_CHECKS_FAILED: String(failed),
  },
});
// vitest could not run at all (not installed, a broken config): the closing line is this script's.
if (tests.status === null || tests.error !== undefined)
  process.stdout.write(`\n${passed} passed, ${failed + 1} failed\n`);
process.exit(failed > 0 || tests.status !== 0 ? 1 : 0);
