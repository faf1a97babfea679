import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Milliseconds since the epoch with sub-millisecond resolution, on the clock the AWS proxy logs with. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface ProcMemory {
  /** Resident set now. */
  rssKiB: number;
  /** The kernel's high-water mark of the resident set over the process's life. */
  hwmKiB: number;
}

/** VmRSS and VmHWM of a live process from /proc (Linux); undefined once it has gone. */
export function procMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${String(pid)}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

let clockTicks: number | undefined;

/** CPU time (user + system) a live process has used, in seconds, from /proc (Linux); undefined once it has gone. */
export function procCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Samples a process's memory on an interval and remembers the peaks, so they survive its exit. */
export class MemorySampler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private peakHwm = 0;
  private peakRss = 0;
  private last: ProcMemory | undefined;
  private stretchPeakRss = 0;
  private lastCpu = 0;
  private stretchStartCpu = 0;
  /** The largest sampled resident set of each stretch of the process's life, as marked, its final
   * resident set and the CPU seconds the process used in it. */
  readonly stretches: { label: string; peakRssMiB: number; endRssMiB: number; cpuSeconds: number }[] = [];

  constructor(
    readonly pid: number,
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
    }, intervalMs);
    this.timer.unref();
  }

  sample(): ProcMemory | undefined {
    const m = procMemory(this.pid);
    this.lastCpu = procCpuSeconds(this.pid) ?? this.lastCpu;
    if (m) {
      this.last = m;
      this.peakHwm = Math.max(this.peakHwm, m.hwmKiB);
      this.peakRss = Math.max(this.peakRss, m.rssKiB);
      this.stretchPeakRss = Math.max(this.stretchPeakRss, m.rssKiB);
    }
    return m;
  }

  /** Ends a stretch (e.g. a phase) of the process's life: its peak and final resident set. */
  mark(label: string): void {
    const now = this.sample() ?? this.last;
    this.stretches.push({ label, peakRssMiB: round(this.stretchPeakRss / 1024), endRssMiB: round((now?.rssKiB ?? Number.NaN) / 1024), cpuSeconds: round(this.lastCpu - this.stretchStartCpu, 2) });
    this.stretchPeakRss = 0;
    this.stretchStartCpu = this.lastCpu;
  }

  /** The current resident set in MiB (the last sample if the process has gone). */
  rssMiB(): number {
    return ((this.sample() ?? this.last)?.rssKiB ?? Number.NaN) / 1024;
  }

  /** CPU seconds (user + system) used so far (the last sample's once the process has gone). */
  cpuSeconds(): number {
    this.sample();
    return this.lastCpu;
  }

  /** The largest resident set seen: the kernel's VmHWM, which no sampling interval can miss. */
  peakMiB(): number {
    this.sample();
    return Math.max(this.peakHwm, this.peakRss) / 1024;
  }

  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
