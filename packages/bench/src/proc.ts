/**
 * Reads a server's CPU time and memory from /proc, from outside the process, so
 * berthd and containerd are measured the same way.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, almost always 100). */
export const CLOCK_TICKS: number = (() => {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy CPU seconds of the whole machine so far (all CPUs; everything but idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS;
}

/** One `VmXXX:  N kB` line of /proc/<pid>/status, in bytes. */
function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number {
  return statusBytes(pid, "VmRSS");
}

/** Peak resident set size since the process started (VmHWM), in bytes. */
export function hwmBytes(pid: number): number {
  return statusBytes(pid, "VmHWM");
}

/** Polls a process's RSS and keeps the largest value seen. */
export interface RssSampler {
  /** Stops polling and returns the peak in bytes (at least one sample is always taken). */
  stop(): number;
}

/** Starts polling VmRSS of `pid` every `intervalMs` (default 50 ms). */
export function sampleRss(pid: number, intervalMs = 50): RssSampler {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // The process went away; keep what was seen.
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * Waits (at most `maxMs`) until the rest of the machine — everything but the
 * processes `pids` and this one — used less than `cores` of CPU over a 100 ms
 * window, so that a slice does not start in the middle of someone else's burst
 * on a shared machine. Returns the milliseconds waited.
 */
export async function waitForQuiet(pids: readonly number[], maxMs: number, cores = 0.2): Promise<number> {
  const started = performance.now();
  const ours = () => pids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  while (performance.now() - started < maxMs) {
    const machine = machineBusySeconds();
    const servers = ours();
    const self = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const selfUsage = process.cpuUsage(self);
    const foreign = machineBusySeconds() - machine - (ours() - servers) - (selfUsage.user + selfUsage.system) / 1e6;
    if (foreign < cores * 0.1) break;
  }
  return performance.now() - started;
}
