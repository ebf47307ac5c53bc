// `npm run fuzz`: the fault fuzzer alone (test/fuzz/faults.fuzz.ts), one seed after another in one worker, reported
// by test/fuzz/reporter.ts. The root vitest.config.ts (npm test) matches *.test.ts only, so it never runs this.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The emulator's certificate, for the worker this starts, as scripts/test.ts sets it for npm test (whatever the shell
// has: the runs talk to the emulator alone).
process.env["NODE_EXTRA_CA_CERTS"] = fileURLToPath(new URL("../../emulator/tls/cert.pem", import.meta.url));

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/fuzz/**/*.fuzz.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 1,
    reporters: ["./test/fuzz/reporter.ts"],
  },
});
