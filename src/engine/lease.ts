// The run's lease on the scale set (domain/lease.ts says what it is and how it is stored): taken before the first
// write, renewed while the run works, released at the end whatever the ending. All of it through the run's one tag
// writer (tags.ts), so every lease write goes with If-Match and decides on the tags as they are.
//
// Why the lease is a tags-only PATCH of the scale set, and when it cannot be renewed (evidence: emulator/README.md,
// "Tags and the lease"):
// - Only a write with If-Match makes "exactly one of two runs that read the same etag wins" true; ARM's Tags API
//   (Microsoft.Resources/tags) takes no If-Match, so two runs could both think they hold the lease.
// - A tags-only PATCH does not touch the virtual machine profile, so no instance is made stale by it and no mode rolls
//   anything because of it.
// - Azure refuses a write to the scale set (409) while a model update runs; in Automatic and Rolling mode that model
//   update lasts until the platform has rolled every instance. No renewal can land then. So before such a write (and
//   before a rollback) the lease is set to last until the run's deadline: renewals that fail meanwhile change
//   nothing. In Manual mode the lease is renewed every third of lease-duration; a renewal refused for a while (409,
//   429, a lost answer) is tried again at the next poll, and a run whose lease runs out without a renewal stops
//   writing (another run may take it over).
// - A renewal that finds the lease another run's (it expired and was taken over) stops the run at once: no further
//   write, no rollback, and the lease is left to its holder.

import { formatDuration, sleep } from "../shared/clock.ts";
import { errorLine } from "../domain/error-text.ts";
import { isRetryableRefusal, isScaleSetGone } from "../domain/azure-errors.ts";
import { AzureApiError } from "../domain/scale-set.ts";
import {
  decodeLease,
  describeHolder,
  holderOf,
  isMine,
  LEASE_TAGS,
  leaseHeldBy,
  releaseLease,
  renewLease,
  takeLease,
  type Lease,
  type LeaseHolder,
  type LeaseStep,
} from "../domain/lease.ts";
import { decodeRecord, describeIdentity, sameIdentity } from "../domain/rollout-tags.ts";
import { StopError, FINAL_WRITE_MS, MIN_FINAL_MS, type Run } from "./run.ts";
import type { ScaleSetApi } from "./ports.ts";
import { tagWriteEnd, type TagDecision, type TagPart, type TagWriteResult, type TagWriter, type Tags } from "./tags.ts";

/**
 * The lease is taken for lost this long before it expires by this run's clock (a tenth of lease-duration when that is
 * less), when no renewal has landed by then: another run judges the expiry by its own clock, which may run ahead.
 */
const EXPIRY_MARGIN_MS = 5_000;

/** The final tag write refused with 409 (an operation still running): tries, and the pause between them at most. */
const MAX_FINAL_CONFLICTS = 50;
const FINAL_CONFLICT_PAUSE_MS = { least: 100, most: 1_000 };

/**
 * The take refused with 409 (another operation holds the scale set: one that started after the run looked for
 * operations in progress): tries after the first, each after poll-interval doubled each time, at most this long, as the
 * model write retries its 409s (phases/model-update.ts). Before (the fuzzer, session 33), one 409 failed the run.
 */
const MAX_TAKE_CONFLICTS = 5;
const MAX_TAKE_BACKOFF_MS = 120_000;

/**
 * The pause before trying a lease write again that Azure refused with 409 (nothing of it landed: TagWriter read it
 * back when a copy may have), after `conflicts` such refusals; undefined when it is not tried again (another error,
 * MAX_TAKE_CONFLICTS reached, or no time left for the pause).
 */
function conflictPause(run: Run, err: unknown, conflicts: number): number | undefined {
  const delay = Math.min(MAX_TAKE_BACKOFF_MS, run.config.rollout.pollIntervalMs * 2 ** conflicts);
  const busy =
    err instanceof AzureApiError &&
    err.statusCode !== undefined &&
    tagWriteEnd(err) === undefined &&
    isRetryableRefusal(err);
  return busy && conflicts < MAX_TAKE_CONFLICTS && delay < run.timeLeft() ? delay : undefined;
}

export class RunLease {
  readonly #run: Run;
  readonly #tags: TagWriter;
  readonly #api: Pick<ScaleSetApi, "getScaleSet" | "useDeadline">;
  readonly holder: LeaseHolder;
  /** Epoch ms the lease lasts until as this run last wrote it; undefined: not held. */
  #until: number | undefined;
  /**
   * Maybe held: the expiry a take sent without an answer (lost, reset on every retry, or the run cancelled meanwhile)
   * asked for. Azure may have applied it, so release() removes the lease if the tags, read afresh, show it this run's.
   */
  #maybeUntil: number | undefined;
  /** Stops the renewal loop (release, loss, end of run). */
  readonly #stopRenewing = new AbortController();
  #renewing: Promise<void> | undefined;
  /** release() ran (it runs once). */
  #ended = false;
  /** The 404 a cover's write met: the scale set was deleted. */
  #gone: Error | undefined;
  /** Fires shortly before the lease expires (#watchExpiry). */
  #watch: ReturnType<typeof setTimeout> | undefined;

  constructor(run: Run, tags: TagWriter, api: Pick<ScaleSetApi, "getScaleSet" | "useDeadline">, token: string) {
    this.#run = run;
    this.#tags = tags;
    this.#api = api;
    this.holder = holderOf(run.config.github, token);
  }

  get held(): boolean {
    return this.#until !== undefined;
  }

  /**
   * The expiry a lease must carry for the run to work until `end`: the expiry watch (#watchExpiry) stops the work its
   * margin before the expiry. A platform write's cover asked for `end` itself (the deadline plus health-timeout) before,
   * so with a health-timeout under that margin (5 s) the watch stopped a run whose roll outlasted a short timeout with
   * "the run's lease … expires … no renewal landed in time" before its own timeout (a review, 2026-12-07).
   */
  expiryFor(end: number): number {
    return end + expiryMargin(this.#run.config.rollout.leaseDurationMs);
  }

  /**
   * Takes the lease, or stops the run (StopError) naming who holds it, having written nothing; with lease-wait, waits
   * for it first (reading the scale set once per poll). Returns what it waited for, if it did (another run's lease,
   * or an operation, after a take Azure refused with 409): the caller plans again then, on what the holder left. `part` (the rollout record as
   * planned) goes in the write that takes the lease, unless the run waited: then the caller plans again, and the
   * record would be the old plan's.
   */
  async acquire(part?: () => TagPart | undefined): Promise<string | undefined> {
    const run = this.#run;
    const { leaseDurationMs, leaseWaitMs } = run.config.rollout;
    const waitUntil = run.now() + leaseWaitMs;
    let waited = false;
    let conflicts = 0;
    const before = run.state.phase;
    for (;;) {
      let step: LeaseStep | undefined;
      let seen: Tags = {};
      // A stop from here on (an answer lost, a cancel) is said of taking the lease.
      run.enter({ kind: "taking-lease" });
      this.#maybeUntil = run.now() + leaseDurationMs;
      const withPart = waited || conflicts > 0 ? undefined : part?.();
      let partRefused: string | undefined;
      let result: TagWriteResult;
      // The expiry the write that lands carries: counted from when its tags were made, not from when its answer came
      // (a take Azure held up, 429 waited for, would otherwise seem to last longer than its tag says).
      let writtenUntil: number | undefined;
      try {
        result = await this.#tags.update(
          (tags) => {
            const now = run.now();
            writtenUntil = now + leaseDurationMs;
            this.#maybeUntil = writtenUntil;
            seen = tags;
            step = takeLease(tags, this.holder, now, leaseDurationMs);
            // A rollback run planned on the record it read: a take decided again on fresh tags (a 412) needs the record
            // to be that one still (or this run's own, a take whose answer was lost), as after a lease-wait (survey.ts).
            // Not while it waits: the run holding the lease may take its planned record back (a review, 2026-12-06).
            const changed = "tags" in step ? recordChangedSincePlan(run, tags) : undefined;
            if (changed !== undefined) return { refused: changed };
            if (withPart === undefined || !("tags" in step)) return step;
            // The record these tags hold is the one at the lease, which this run's may replace (record-tags.ts).
            run.state.leaseTaken(tags);
            const { next, refused } = applyPart(withPart, step.tags);
            partRefused = refused;
            return { tags: next };
          },
          withPart !== undefined ? `lease taken, ${withPart.why}` : "lease taken",
        );
      } catch (error) {
        // Azure refused the take (409): tried again after a pause, within the run's time, as a model write is.
        const delay = conflictPause(run, error, conflicts);
        if (delay !== undefined) {
          conflicts++;
          this.#maybeUntil = undefined;
          run.log.info(
            `Taking the lease: Azure refused the tag write (${errorLine(error)}); another operation holds the scale set, trying again in ${formatDuration(delay)}.`,
          );
          await run.sleep(delay, run.work);
          run.checkTime();
          continue;
        }
        withPart?.settled({ error });
        // Not sent (cut off before it went out, or the read before it failed): the lease is not there, maybe or not.
        if (tagWriteEnd(error)?.kind === "not-sent") this.#maybeUntil = undefined;
        throw error;
      }
      // Answered: held, or refused (nothing written).
      this.#maybeUntil = undefined;
      if (result.kind !== "refused") {
        withPart?.settled(partRefused !== undefined ? { refused: partRefused } : { written: true });
        run.state.leaseTaken(seen);
        run.enter(before);
        this.#until = writtenUntil ?? run.now() + leaseDurationMs;
        this.#watchExpiry();
        const over = step !== undefined && "takenOver" in step ? step.takenOver : undefined;
        if (over !== undefined) this.#warnTakeover(over);
        run.log.info(
          `Lease taken on the scale set until ${iso(this.#until)} (lease-duration ${formatDuration(leaseDurationMs)}), renewed while the run works.`,
        );
        run.emit({
          type: "lease",
          what: "taken",
          ...(over && { takenOverFrom: describeHolder(over.holder, run.config.github?.serverUrl) }),
        });
        this.#startRenewing();
        // After a 409's pause too: the operation that held the scale set may have changed it, and the time left is
        // less; the caller plans again (and checks again that the plan fits), as after a lease-wait.
        return waited
          ? "another run's lease"
          : conflicts > 0
            ? "the operation that held the scale set (Azure refused the lease's take with 409)"
            : undefined;
      }
      const heldBy = step !== undefined && "heldBy" in step ? step.heldBy : undefined;
      const left = waitUntil - run.now();
      if (left <= 0 || heldBy === undefined) {
        if (heldBy !== undefined) run.state.leaseRefused(leaseHeldBy(heldBy, run.config.github?.serverUrl));
        throw new StopError({
          kind: "failed",
          reason: refusal(result.reason, run, heldBy !== undefined, result.tooManyTags === true),
        });
      }
      if (!waited) {
        run.log.info(
          `The scale set's lease is held by ${describeHolder(heldBy.holder, run.config.github?.serverUrl)} until ${iso(heldBy.expiresAt)}: waiting for it (lease-wait, ${formatDuration(left)} left).`,
        );
        run.emit({ type: "lease", what: "waiting" });
      }
      run.enter({
        kind: "waiting-for-operation",
        busy: `the lease of ${describeHolder(heldBy.holder, run.config.github?.serverUrl)}`,
      });
      waited = true;
      await run.sleep(
        Math.min(run.config.rollout.pollIntervalMs, left, Math.max(0, heldBy.expiresAt - run.now()) + 1),
        run.work,
      );
      run.checkTime();
      run.state.read(await this.#api.getScaleSet(run.work));
    }
  }

  /**
   * Before a stretch in which Azure may refuse every write to the scale set (a model update that the platform rolls
   * out, a rollback): the lease is made to last at least until `until` (`exact`: until then, no longer, so that a run
   * that cannot release it at the end, Azure still rolling, leaves it no longer than that). `part` (the rollout
   * record) goes in the same write: the last one Azure may take before the roll. `signal`: the write's, when the run's
   * work signal may be spent already (a rollback after the timeout). Returns when the lease lasts until now (`until`
   * when the write landed, else what it was), undefined when the run holds none.
   */
  async cover(
    until: number,
    options: {
      readonly exact?: boolean;
      readonly part?: TagPart | undefined;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<number | undefined> {
    if (!this.held || this.#run.state.leaseLost !== undefined) return undefined;
    this.#gone = undefined;
    const run = this.#run;
    // Refused with 409 (another operation holding the scale set for a moment): tried again after a pause, as the take
    // is (MAX_TAKE_CONFLICTS), within the run's time; the part is settled once, by the last try. Before (the fuzzer,
    // session 33: seeds 6002, 6047, 6064), one 409 ended an Automatic or Rolling run before its model write.
    for (let conflicts = 0; ; conflicts++) {
      let delay: number | undefined;
      const retry = (err: unknown): boolean =>
        options.signal?.aborted !== true && (delay = conflictPause(run, err, conflicts)) !== undefined;
      const renewed = await this.#renew(until, "lease extended", options.signal, { ...options, retry });
      if (typeof renewed === "boolean" || delay === undefined) break;
      run.log.info(
        `Extending the lease: Azure refused the tag write (${errorLine(renewed.retry)}); another operation holds the scale set, trying again in ${formatDuration(delay)}.`,
      );
      await run.sleep(delay, options.signal ?? run.work);
    }
    // The scale set was deleted: the run ends on Azure's 404 as on any other (not "the lease could not be extended").
    // (Set by #renew during the await: read as the field's type, not as narrowed by the assignment above.)
    const gone = this.#gone as Error | undefined;
    if (gone !== undefined) throw gone;
    return this.#run.state.leaseLost === undefined ? this.#until : undefined;
  }

  /**
   * At the end of the run, whatever the ending: this run's lease removed (another run's left alone), in one write with
   * `part` (the record's outcome) when there is one, so that the two land together or not at all. Once a run; never
   * throws. Nothing is written for a scale set deleted during the run.
   */
  async release(part?: TagPart): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#watch);
    this.#stopRenewing.abort();
    await this.#renewing;
    const run = this.#run;
    // A scale set deleted during the run: no lease, no record, nothing to write to.
    if (run.state.deleted) return;
    const maybe = this.#until === undefined && this.#maybeUntil !== undefined;
    const releasing = (this.held || maybe) && run.state.leaseLost === undefined;
    if (!releasing && part === undefined) return;
    // One budget for the final steps (Run.finalBy); the adapter's deadline, the work deadline (spent after a timeout),
    // moves with it so that a 429's Retry-After can be waited out.
    const by = run.finalBy(FINAL_WRITE_MS);
    this.#api.useDeadline?.(Math.max(by, run.now() + MIN_FINAL_MS));
    let partRefused: string | undefined;
    let removed = false;
    let othersNow = false;
    // What the tags the write last decided on (read afresh, or as the run holds them) showed of this run's lease: what
    // a failed write says of it (#notReleased), not "unknown" for a lease a read showed there, nor "kept" for one it
    // showed gone. Undefined: the write decided on none (the read before it failed).
    let onTags: OwnLease | undefined;
    const mutate = (tags: Tags): TagDecision => {
      onTags = ownLease(tags, this.holder);
      // Another run holds the lease now (it took it over once this run's expired, unknown to this run): the scale
      // set's tags are that run's to write, its record included. Taking this run's record back now could remove the
      // record that run keeps until it writes its own.
      othersNow = heldByAnother(tags, this.holder);
      if (othersNow || run.state.leaseLost !== undefined) {
        // Lost meanwhile too: the renewal awaited above may have found the lease another run's, after the part was made.
        partRefused = othersNow ? "another run holds the scale set's lease now" : "the run lost its lease";
        return { refused: partRefused };
      }
      const { next, refused } = applyPart(part, tags);
      partRefused = refused;
      if (!releasing) return partRefused !== undefined ? { refused: partRefused } : { tags: next };
      const step = releaseLease(next, this.holder);
      const after = "tags" in step ? step.tags : next;
      removed = after !== next;
      return { tags: after };
    };
    const why = [part?.why, releasing ? "lease released" : undefined].filter((w) => w !== undefined).join(", ");
    let result: TagWriteResult;
    const signal = run.finalSignal(FINAL_WRITE_MS);
    for (let attempt = 1; ; attempt++) {
      try {
        // Maybe held: the tags the run holds are from before the take; only a fresh read shows whether it landed. The
        // tags last read showing another run's lease may be old too (that run may have released it since): read again.
        const fresh = maybe || heldByAnother(run.state.model?.tags ?? {}, this.holder);
        // The run's last write: its answer is its result (ScaleSetApi.writeTags, `last`).
        result = await this.#tags.update(mutate, why, signal, { fresh, last: true });
        break;
      } catch (err) {
        // 409: Azure still applies a model write (one a cancel or the deadline cut off while Azure had it, whose
        // operation the run no longer follows) and refuses the tag write meanwhile. Tried again within the final
        // steps' budget, so that the record and the lease's release are not lost to it.
        if (
          err instanceof AzureApiError &&
          err.statusCode !== undefined &&
          isRetryableRefusal(err) &&
          attempt < MAX_FINAL_CONFLICTS &&
          !signal.aborted
        ) {
          const { least, most } = FINAL_CONFLICT_PAUSE_MS;
          const delay = Math.min(most, Math.max(least, run.config.rollout.pollIntervalMs));
          run.log.info(
            `Tags (${why}): Azure is still busy with the scale set (${err.code}); trying again in ${formatDuration(delay)}.`,
          );
          await run.sleep(delay, signal);
          if (!signal.aborted) continue;
        }
        part?.settled({ error: err });
        if (releasing) this.#notReleased(...releaseFailure(err), onTags);
        return;
      }
    }
    part?.settled(
      partRefused !== undefined
        ? { refused: partRefused }
        : result.kind === "refused"
          ? { refused: result.reason }
          : { written: true },
    );
    if (othersNow) {
      run.log.warning(
        "The scale set's lease is another run's now (it took it over once this run's had expired): this run left the scale set's tags, its rollout record included, to that run.",
        "Lease taken over",
      );
      return;
    }
    if (!releasing) return;
    if (result.kind === "refused") return this.#notReleased(result.reason, false, onTags);
    this.#until = undefined;
    this.#maybeUntil = undefined;
    if (removed && result.kind === "written") {
      run.log.info("Lease released.");
      run.emit({ type: "lease", what: "released" });
    }
  }

  /**
   * Said in the log and the record (the summary, summary-json): another run waits for the lease until it ends.
   * `onTags`: what the tags the release's write decided on showed of the lease (undefined: it decided on none).
   */
  #notReleased(why: string, mayBeGone: boolean, onTags: OwnLease | undefined): void {
    // Not on the tags (its take never landed, another writer removed it): nothing is kept, whatever the write's end (the
    // run's writes only remove it).
    if (onTags === "none") {
      this.#until = undefined;
      this.#maybeUntil = undefined;
      return;
    }
    // The tags showed it: it lasts until the expiry they hold.
    // The later of the two when both are known: the tags decided on may be the run's cached ones, read before its last
    // renewal landed (a review, 2026-12-07), and this run's renewals only ever move the expiry later.
    const known = this.#until ?? this.#maybeUntil;
    const until = iso(onTags === undefined ? (known ?? 0) : Math.max(onTags.expiresAt, this.#until ?? 0));
    // Unknown whether the lease is there: its release may have landed (or another writer's change removed it), or its
    // take (answer lost) never did and no read in the release showed it.
    const maybe = mayBeGone || (onTags === undefined && this.#until === undefined);
    this.#run.state.leaseKept({ why, until, maybe });
    this.#run.log.warning(
      maybe
        ? `Could not release the lease on the scale set for certain (${why}): whether it is still there is unknown; if it is, it lasts until ${until}, and another run can take it over then.`
        : `Could not release the lease on the scale set (${why}): it lasts until ${until}, and another run can take it over then.`,
      "Lease not released",
    );
  }

  #startRenewing(): void {
    const run = this.#run;
    const every = Math.floor(run.config.rollout.leaseDurationMs / 3);
    const retry = Math.min(every, Math.max(1_000, run.config.rollout.pollIntervalMs));
    // A cancel ends renewing too (the release follows within seconds): a renewal in flight must not hold up the final
    // steps, which queue behind it for the tag writer.
    const signal = AbortSignal.any([this.#stopRenewing.signal, run.end.signal, run.cancel]);
    this.#renewing = (async () => {
      let wait = every;
      while (!signal.aborted) {
        // Wall-clock time, whatever clock the run is given: other runs judge the lease's expiry by theirs.
        await sleep(wait, signal);
        if (signal.aborted) return;
        const ok = await this.#renew(run.now() + run.config.rollout.leaseDurationMs, "lease renewed", signal);
        if (run.state.leaseLost !== undefined) return;
        wait = ok === true ? every : retry;
      }
    })();
  }

  /** One renewal to at least `until` (see cover); false when it could not be written (tried again later). */
  async #renew(
    until: number,
    why: string,
    signal?: AbortSignal,
    {
      exact = false,
      part,
      retry,
    }: {
      readonly exact?: boolean;
      readonly part?: TagPart | undefined;
      /** The caller tries again on this error: it is returned, the part left unsettled and nothing logged. */
      readonly retry?: (err: unknown) => boolean;
    } = {},
  ): Promise<boolean | { readonly retry: unknown }> {
    const run = this.#run;
    let partRefused: string | undefined;
    const mutate = (tags: Tags): TagDecision => {
      const { next, refused } = applyPart(part, tags);
      partRefused = refused;
      return renewLease(next, this.holder, until, exact);
    };
    try {
      const result = await this.#tags.update(mutate, part ? `${why}, ${part.why}` : why, signal);
      if (result.kind === "refused") {
        part?.settled({ error: new Error(result.reason) });
        run.leaseLost(`${capitalize(result.reason)}. This run stopped: it wrote nothing more to the scale set.`);
        run.emit({ type: "lease", what: "lost" });
        return false;
      }
      part?.settled(partRefused !== undefined ? { refused: partRefused } : { written: true });
      this.#until = exact ? until : Math.max(this.#until ?? 0, until);
      this.#watchExpiry();
      return true;
    } catch (err) {
      if (retry?.(err) === true) return { retry: err };
      part?.settled({ error: err });
      // 404 for the scale set: deleted, not a renewal to try again. cover() ends the run on it (rollout.ts).
      if (isScaleSetGone(err) && err instanceof Error) this.#gone = err;
      if (!signal?.aborted)
        run.log.info(
          retry !== undefined
            ? `The lease could not be extended (${errorLine(err)}).`
            : `The lease could not be renewed now (${errorLine(err)}): trying again soon.`,
        );
      return false;
    }
  }

  /**
   * A watch on the lease's expiry, set again whenever a take or renewal lands: when it comes (EXPIRY_MARGIN_MS before)
   * with no renewal landed since, the run's work stops at once (Run.leaseRunsOut). The renewal loop alone would notice
   * only once a renewal attempt returned, and one can be held up long past the expiry: queued behind a model write that
   * Azure keeps refusing (409, retried for minutes, the tag writer held meanwhile), or its own answer lost and resent.
   * Another run may take the lease over from then on, and both would write the scale set. The final steps still write:
   * each tag write decides on the tags read afresh (If-Match), so another run's lease, if one took it, is respected.
   */
  #watchExpiry(): void {
    clearTimeout(this.#watch);
    const run = this.#run;
    const until = this.#until;
    if (until === undefined || this.#ended) return;
    const at = until - expiryMargin(run.config.rollout.leaseDurationMs);
    this.#watch = setTimeout(
      () => {
        if (this.#ended || this.#until !== until || run.state.leaseLost !== undefined) return;
        if (run.now() < at) return this.#watchExpiry();
        run.leaseRunsOut(
          `The run's lease on the scale set expires at ${iso(until)} and no renewal landed in time (Azure refused or held them up, or a write kept the tag writer busy): another run may take it over then, so this run stopped its work.`,
        );
      },
      Math.max(0, at - run.now()),
    );
    this.#watch.unref?.();
  }

  #warnTakeover(over: Lease): void {
    this.#run.log.warning(
      `Took over the scale set's lease from ${describeHolder(over.holder, this.#run.config.github?.serverUrl)}: it expired at ${iso(over.expiresAt)} without being released (its runner probably died). Check the scale set's instances: that run may have left a rollout half done.`,
      "Lease taken over",
    );
  }
}

/**
 * Why the lease was not taken. Held by another run: lease-wait is what would have waited for it. Otherwise (the
 * scale set's tags leave no room for the lease, a lease value this version cannot read) waiting would not help: the
 * reason says what to change.
 */
function refusal(reason: string, run: Run, heldByAnother: boolean, tooManyTags: boolean): string {
  if (!heldByAnother) {
    // Only a count over Azure's 50 is a lack of room (tag-limits.ts); a name or value Azure refuses is said as it is.
    const room = tooManyTags
      ? ` The run's lease takes up to ${LEASE_TAGS.length} tags on the scale set (${LEASE_TAGS.join(", ")}), and the rollout record, when there is room, a tag more and one per 256 characters of it (usually 2 to 4, more for long lists of file URIs): remove tags the scale set no longer needs.`
      : "";
    return `Nothing was written: ${reason}.${room}`;
  }
  const wait =
    run.config.rollout.leaseWaitMs > 0
      ? `lease-wait (${formatDuration(run.config.rollout.leaseWaitMs)}) ran out`
      : "to wait for it instead, set lease-wait (e.g. 30m), or, for runs of one repository, a workflow concurrency group";
  return `Nothing was written: ${reason}. One run at a time may roll a scale set out; ${wait}.`;
}

/**
 * Why the release's write failed, as it happened (tags.ts, TagWriteEnd), and whether the lease may be gone all the same:
 * the write may have landed, or Azure refused it because another writer changed the scale set (412) and the read that
 * would show the tags failed. Not "Azure did not take the write" for a write never sent (the read before it failed, or
 * it was cut off before it went out).
 */
function releaseFailure(err: unknown): [why: string, mayBeGone: boolean] {
  const error = errorLine(err);
  const how = tagWriteEnd(err);
  switch (how?.kind) {
    case undefined:
      return [error, false];
    case "unknown":
      return [`the write got no answer the run could rely on: ${error}`, true];
    case "not-sent":
      return how.before === "read"
        ? [`no write was sent: reading the scale set before it failed: ${error}`, false]
        : [`no write was sent: it was cut off before it went out (${error})`, false];
    case "refused-unread":
      return [
        `Azure refused the write (${how.refusal}; another writer changed the scale set since it was read), and reading it again failed: ${error}`,
        true,
      ];
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** How long before its expiry the lease is taken for lost when no renewal has landed (EXPIRY_MARGIN_MS). */
const expiryMargin = (leaseDurationMs: number): number => Math.min(EXPIRY_MARGIN_MS, leaseDurationMs / 10);
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The tags with `part` (the rollout record's share of a tag write) applied; when the part refuses, the tags as they
 * were and its reason: the lease's own change still goes in the same write.
 */
function applyPart(part: TagPart | undefined, tags: Tags): { readonly next: Tags; readonly refused?: string } {
  if (part === undefined) return { next: tags };
  const decided = part.apply(tags);
  return "refused" in decided ? { next: tags, refused: decided.refused } : { next: decided.tags };
}

/** This run's lease on the tags: its expiry there, or "none" (none there, or another run's). */
type OwnLease = { readonly expiresAt: number } | "none";

function ownLease(tags: Tags, me: LeaseHolder): OwnLease {
  const on = decodeLease(tags);
  return on.kind === "held" && isMine(on.lease, me) ? { expiresAt: on.lease.expiresAt } : "none";
}

/**
 * The tags hold a lease of another run than `me` (whether or not it has expired by this run's clock), or a lease value
 * the action cannot read (another version's, or edited): not this run's either (as renewLease judges it).
 */
function heldByAnother(tags: Tags, me: LeaseHolder): boolean {
  const on = decodeLease(tags);
  return on.kind === "unreadable" || (on.kind === "held" && !isMine(on.lease, me));
}

/**
 * A rollback run (`rollback: true`): why the record on `tags` is no longer the one it planned on (another run's record
 * written since, or none); undefined when it still is, or is this run's own.
 */
function recordChangedSincePlan(run: Run, tags: Tags): string | undefined {
  const origin = run.state.rollbackOrigin;
  if (origin === undefined) return undefined;
  const found = decodeRecord(tags);
  const own = run.state.tagRecord?.record;
  if (
    found.kind === "record" &&
    (sameIdentity(found.record, origin.origin) || (own !== undefined && sameIdentity(found.record, own)))
  )
    return undefined;
  const now =
    found.kind === "record"
      ? `now ${describeIdentity(found.record)}`
      : found.kind === "none"
        ? "now none"
        : "now damaged";
  return `the rollout record on the scale set changed before the rollback took its lease (${now}): another run changed the scale set. Run the rollback again to undo the latest change`;
}
