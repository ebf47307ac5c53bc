// Runs one Node program as its own process, the way a runner starts an action: `node <script>` with a prepared
// environment and working directory, output to a log file. Measures its wall time from just before spawn to its exit,
// and its peak RSS through the bench/peak-rss.mjs preload (kernel high-water marks written at exit), with a sampled
// /proc/<pid>/status VmHWM from the outside as a fallback should the child die before its exit handler runs.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PEAK_RSS_PRELOAD = fileURLToPath(new URL("./peak-rss.mjs", import.meta.url));

export interface ChildRun {
  /** Epoch milliseconds (sub-millisecond precision) taken immediately before spawn. */
  readonly startEpochMs: number;
  readonly wallMs: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly killedAfterTimeout: boolean;
  /** Peak RSS in bytes, undefined when neither the preload nor sampling produced one. */
  readonly peakRssBytes: number | undefined;
  readonly peakRssSource: "ru_maxrss" | "sampled VmHWM" | undefined;
}

export interface ChildOptions {
  readonly script: string;
  readonly args?: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly logFile: string;
  /** Where the preload writes the peak RSS JSON. */
  readonly rssFile: string;
  /** Hard limit; the child is killed (SIGKILL, by its pid) after this many ms. */
  readonly killAfterMs: number;
  /** Another program than Node (the Azure CLI baselines: bash running az): `script` and `args` are its arguments;
   *  no preload, so its peak RSS is only sampled (of that program, not of what it starts). */
  readonly program?: string;
}

export function runChild(options: ChildOptions): Promise<ChildRun> {
  const log = openSync(options.logFile, "w");
  const env = { ...options.env, BENCH_PEAK_RSS_FILE: options.rssFile };
  const argv =
    options.program === undefined
      ? ["--import", PEAK_RSS_PRELOAD, options.script, ...(options.args ?? [])]
      : [options.script, ...(options.args ?? [])];
  return new Promise((resolve, reject) => {
    const startEpochMs = performance.timeOrigin + performance.now();
    const t0 = performance.now();
    const child = spawn(options.program ?? process.execPath, argv, {
      env,
      cwd: options.cwd,
      stdio: ["ignore", log, log],
    });
    let sampledHwmKiB = 0;
    let killed = false;
    const statusFile = `/proc/${child.pid}/status`;
    const sample = (): void => {
      try {
        const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(statusFile, "utf8"));
        if (match) sampledHwmKiB = Math.max(sampledHwmKiB, Number(match[1]));
      } catch {
        // gone, or not Linux
      }
    };
    const sampler = setInterval(sample, 100);
    const killer = setTimeout(() => {
      killed = true;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, options.killAfterMs);
    child.on("error", (error) => {
      clearInterval(sampler);
      clearTimeout(killer);
      closeSync(log);
      reject(error);
    });
    child.on("exit", (exitCode, signal) => {
      const wallMs = performance.now() - t0;
      clearInterval(sampler);
      clearTimeout(killer);
      closeSync(log);
      let peakRssBytes: number | undefined;
      let peakRssSource: ChildRun["peakRssSource"];
      if (existsSync(options.rssFile)) {
        const written = JSON.parse(readFileSync(options.rssFile, "utf8")) as { maxRssKiB?: number; vmHwmKiB?: number };
        const kib = Math.max(written.maxRssKiB ?? 0, written.vmHwmKiB ?? 0);
        if (kib > 0) {
          peakRssBytes = kib * 1024;
          peakRssSource = "ru_maxrss";
        }
      }
      if (peakRssBytes === undefined && sampledHwmKiB > 0) {
        peakRssBytes = sampledHwmKiB * 1024;
        peakRssSource = "sampled VmHWM";
      }
      resolve({ startEpochMs, wallMs, exitCode, signal, killedAfterTimeout: killed, peakRssBytes, peakRssSource });
    });
  });
}

/** The last `lines` lines of a log file, for a failure message. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
