// Simulated time. Every simulated duration is given in Azure-like seconds and multiplied by `speed` (1 = Azure-like,
// 0.001 in tests), so tests run in milliseconds and benchmarks keep realistic ratios. Timers are tracked so stop()
// leaves nothing behind, and unref'd so they never keep a process alive on their own. A test may pass a hook that
// every wait goes through (EmulatorOptions.sleep), to hold one until it lets it go or to note when each begins and ends.

/** EmulatorOptions.sleep: makes the wait of `seconds` simulated seconds; `timer` is the emulator's own wait for it. */
export type SleepHook = (seconds: number, timer: () => Promise<void>) => Promise<void>;

export class Clock {
  readonly speed: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hook: SleepHook | undefined;
  private stopped = false;

  constructor(speed: number, hook?: SleepHook) {
    if (!(speed > 0)) throw new Error(`speed must be > 0, got ${speed}`);
    this.speed = speed;
    this.hook = hook;
  }

  /** Milliseconds of wall time for `seconds` of simulated time. */
  ms(seconds: number): number {
    return seconds * 1000 * this.speed;
  }

  /** Resolves after `seconds` of simulated time (when the hook's wait ends, with one); never once the clock is stopped. */
  sleep(seconds: number): Promise<void> {
    const hook = this.hook;
    if (hook === undefined) return this.timer(seconds);
    return new Promise((resolve, reject) => {
      if (this.stopped) return;
      hook(seconds, () => this.timer(seconds)).then(() => {
        if (!this.stopped) resolve();
      }, reject);
    });
  }

  /** The emulator's own wait: a timer of `seconds` × speed; never resolves once the clock is stopped. */
  private timer(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, this.ms(seconds));
      timer.unref();
      this.timers.add(timer);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Seconds of an ISO 8601 duration as ARM uses it (`PT0S`, `PT5M`, `PT1H30M`, `P1D`). */
export function isoDurationSeconds(value: string): number {
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
    value,
  );
  if (!match) throw new Error(`not an ISO 8601 duration: ${value}`);
  const [, d, h, m, s] = match;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

/** Azure's timestamp format in Compute bodies: 7 fractional digits and an explicit offset (`…08.1546829+00:00`). */
export function azureTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$10000+00:00");
}
