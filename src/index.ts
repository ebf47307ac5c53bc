// The action's entry point (bundled by ncc into dist/index.js).
import { run } from "./main.ts";

await run({ catchStrays: true });
