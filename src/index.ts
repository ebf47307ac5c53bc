// The action's entry point (bundled by ncc into dist/index.js).
import { flushStdout } from "./github/runner.ts";
import { run } from "./main.ts";

// Node's `FormData` global is lazy: the first touch loads Node's whole fetch implementation (its copy of undici),
// 30–50 ms here. The Azure SDK's HTTP pipeline touches it on every request, the first sign-in request included, only
// to ask whether the request's body is a FormData (`typeof FormData !== "undefined" && body instanceof FormData` in
// @typespec/ts-http-runtime); none of the action's is, and nothing else in this process uses the
// global (Octokit's fetch and @actions/http-client's undici have their own). Removed before any request (nothing
// touches it at import), so the check costs nothing: the first ARM request comes that much sooner (issue #18,
// docs/benchmark.md "Start-up"). `delete` does not load it; reading or redefining the property would.
delete (globalThis as { FormData?: unknown }).FormData;

await run({ catchStrays: true });

// The run is over once run() returns: a request it gave up on (a sign-in that never answered, after a cancel or the
// timeout) must not keep the process alive until the runner kills it. What was written to stdout goes out first.
await flushStdout();
process.exit();
