// Preload for the benchmark (`node --import ./bench/peak-rss.mjs dist/index.js`): when the process exits, writes its
// own peak resident set size to $BENCH_PEAK_RSS_FILE. Both figures are kernel high-water marks, not samples, so a
// short spike is never missed: getrusage's ru_maxrss (process.resourceUsage().maxRSS, KiB) and, on Linux, VmHWM from
// /proc/self/status. The file is plain JavaScript so the preload costs the action no type stripping.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.env.BENCH_PEAK_RSS_FILE;
delete process.env.BENCH_PEAK_RSS_FILE;

if (file) {
  process.on("exit", (code) => {
    let vmHwmKiB;
    try {
      const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
      if (match) vmHwmKiB = Number(match[1]);
    } catch {
      // not Linux: ru_maxrss alone
    }
    writeFileSync(file, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, vmHwmKiB, exitCode: code }));
  });
}
