// How busy the machine was besides the benchmark: CPU time the whole machine spent (/proc/stat) less the CPU time of
// the benchmark itself (this process, with the emulator in it, and its waited-for children: /proc/self/stat utime,
// stime, cutime, cstime). Linux only; elsewhere undefined. The 1-minute load average is recorded too, but it counts
// the benchmark's own two busy processes, so it cannot tell another job's load from ours. On a virtual machine, CPU
// time the host gave to other guests shows as steal time (/proc/stat), recorded as well.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

export interface CpuSnapshot {
  /** Clock ticks the machine spent busy (user, nice, system, irq, softirq), all CPUs. */
  readonly machineTicks: number;
  /** Clock ticks of this process and its reaped children. */
  readonly ownTicks: number;
  /** Clock ticks stolen by the hypervisor for other guests, all CPUs. */
  readonly stealTicks: number;
  readonly atMs: number;
}

/** Linux's USER_HZ: 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    // /proc/self/stat: the command name is in parentheses and may contain spaces; fields follow the last ")".
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    // Fields 14–17 of the full line (utime, stime, cutime, cstime) are 11–14 after the command name (0-based).
    const own = (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
    return {
      machineTicks: user + nice + system + irq + softirq,
      ownTicks: own,
      stealTicks: steal,
      atMs: performance.now(),
    };
  } catch {
    return undefined;
  }
}

/** Share (0–1) of the machine's CPU capacity used by anything but the benchmark between two snapshots. */
export function otherCpuShare(from: CpuSnapshot | undefined, to: CpuSnapshot | undefined): number | undefined {
  if (from === undefined || to === undefined || to.atMs <= from.atMs) return undefined;
  const others = Math.max(0, to.machineTicks - from.machineTicks - (to.ownTicks - from.ownTicks)) / TICKS_PER_SECOND;
  return others / (((to.atMs - from.atMs) / 1000) * cpus().length);
}

/** Share (0–1) of the machine's CPU capacity the hypervisor gave to other guests between two snapshots. */
export function stealShare(from: CpuSnapshot | undefined, to: CpuSnapshot | undefined): number | undefined {
  if (from === undefined || to === undefined || to.atMs <= from.atMs) return undefined;
  return (to.stealTicks - from.stealTicks) / TICKS_PER_SECOND / (((to.atMs - from.atMs) / 1000) * cpus().length);
}
