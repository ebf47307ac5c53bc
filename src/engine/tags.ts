// The run's one writer of the scale set's tags (the lease, the rollout record): every tag write of a run goes through
// one TagWriter, so they happen one at a time, in the order asked, each on the tags the one before it left.
//
// A write is a read-modify-write of the WHOLE tags map (ARM replaces a resource's tags with a PATCH's) guarded by the
// scale set's etag (If-Match), so nothing another writer put on the scale set is lost:
// - the first attempt starts from the tags and etag the run state holds (the last read, or the last tag write);
// - on 412 PreconditionFailed (the scale set changed since) it reads the scale set again and applies `mutate` again to
//   the fresh tags: `mutate` decides anew (a lease another run took meanwhile is refused, not overwritten); unless
//   the 412 answered the SDK's resend of a copy whose answer was lost and the fresh tags hold what that copy sent:
//   then Azure applied it, and the write is done;
// - the model a write answers goes through RunState.tagsWritten, which takes its etag only when the rest of the model
//   is the one the run knows: so the model write after a tag write goes with the new etag, and a model change by
//   another writer around it still meets 412 (model-update.ts then plans again);
// - tags beyond Azure's limits (50 per resource, name and value lengths, forbidden characters: domain/tag-limits.ts)
//   are refused before anything is sent, with the reason.
//
// Other Azure errors (409 while an operation runs, 429, 404 …) reject: the caller decides whether that stops the run
// (taking the lease) or only warns (the record at the end). Tag values are never logged: only the names written.

import { isPreconditionFailed } from "../domain/azure-errors.ts";
import { MAX_TAGS, tagLimitProblem } from "../domain/tag-limits.ts";
import { abortError, errorLine, isAbort } from "../domain/error-text.ts";
import type { ScaleSetModel } from "../domain/scale-set.ts";
import type { ScaleSetApi } from "./ports.ts";
import type { Run } from "./run.ts";
import { landedCopy, mayHaveLanded } from "./write-copies.ts";

export type Tags = Readonly<Record<string, string>>;

/** What `mutate` decides for the tags as they are: the whole next map, or a refusal (nothing is written). */
export type TagDecision = { readonly tags: Tags } | { readonly refused: string };

/**
 * A change that goes in a tag write with another (the record's outcome in the write that releases the lease, at the
 * end of the run): what it makes of the tags, and what it makes of the write's end.
 */
export interface TagPart {
  /** Names the change in the log and the event (`rollout record`). */
  readonly why: string;
  /** The tags with this part's change, or why it is not made (the rest of the write goes on). */
  readonly apply: (tags: Tags) => TagDecision;
  /** Azure took the write (`written`: also when nothing had to change), this part was refused, or an error ended it. */
  readonly settled: (
    end: { readonly refused: string } | { readonly written: true } | { readonly error: unknown },
  ) => void;
}

export type TagWriteResult =
  /** Azure took the write; `tags` is the scale set's tags after it. */
  | { readonly kind: "written"; readonly tags: Tags; readonly names: readonly string[] }
  /** `mutate` asked for the tags the scale set already holds: nothing was sent. */
  | { readonly kind: "unchanged"; readonly tags: Tags }
  /** `mutate` refused on the tags as they are, or Azure would (`tooManyTags`: more than its 50): nothing was sent. */
  | { readonly kind: "refused"; readonly reason: string; readonly tags: Tags; readonly tooManyTags?: true };

/**
 * How a tag write that rejected ended, when that is not what its error alone says (Azure refusing the PATCH with it):
 * - `unknown`: a copy went out and no read said whether Azure took it (cut off by a cancel or a spent budget; its
 *   answer lost and the read after it failed; the SDK's resend met 412, the first copy having moved the etag, and the
 *   read after it failed). Said as unknown, not as refused.
 * - `not-sent`: no PATCH was sent: the read the write starts from failed (`read`, the error is the read's), or the write
 *   was cut off (`cut-off`: a cancel, the run's time budget) before it went out, while it waited for the writes asked
 *   before it, say.
 * - `refused-unread`: Azure refused the PATCH with `refusal` (412: another writer changed the scale set since it was
 *   read), and the read to decide it again failed (the error is the read's): nothing of this write landed, and what the
 *   tags hold now is unknown.
 */
export type TagWriteEnd =
  | { readonly kind: "unknown" }
  | { readonly kind: "not-sent"; readonly before: "read" | "cut-off" }
  | { readonly kind: "refused-unread"; readonly refusal: string };

/** How errors that ended a tag write ended it, when not as they say (TagWriteEnd). */
const ends = new WeakMap<object, TagWriteEnd>();

/** How `err` ended a tag write, when not as it says (TagWriteEnd); undefined: Azure refused the PATCH with it. */
export function tagWriteEnd(err: unknown): TagWriteEnd | undefined {
  return typeof err === "object" && err !== null ? ends.get(err) : undefined;
}

/** `err`, marked as ending a tag write as `end` says (tagWriteEnd). */
function endedAs(err: unknown, end: TagWriteEnd): unknown {
  if (typeof err === "object" && err !== null) ends.set(err, end);
  return err;
}

/** `err`, marked as ending a write that may have landed (TagWriteEnd `unknown`). */
function unknownOutcome(err: unknown): unknown {
  return endedAs(err, { kind: "unknown" });
}

/** 412 PreconditionFailed re-reads before a tag write gives up (each one is a change by another writer). */
export const MAX_TAG_ATTEMPTS = 5;

export class TagWriter {
  readonly #run: Run;
  readonly #api: Pick<ScaleSetApi, "getScaleSet" | "writeTags" | "writeSends">;
  /** The last write asked for; the next one starts when it has settled (either way). */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(run: Run, api: Pick<ScaleSetApi, "getScaleSet" | "writeTags" | "writeSends">) {
    this.#run = run;
    this.#api = api;
  }

  /**
   * Writes the tags `mutate` makes of the current ones, after every write asked before it. `why` names the write in
   * the log and the event (`lease taken`, `rollout record`). `signal` defaults to the run's work signal; a release at
   * the end of a cancelled run passes its own. `fresh`: `mutate` decides on the tags read now, not on the ones the run
   * holds (a write whose answer was lost may have changed them). `last`: no write of the run follows it (see
   * ScaleSetApi.writeTags). Rejects on an Azure error other than 412, or after MAX_TAG_ATTEMPTS 412s in a row.
   */
  update(
    mutate: (tags: Tags) => TagDecision,
    why: string,
    signal?: AbortSignal,
    { fresh = false, last = false }: { readonly fresh?: boolean; readonly last?: boolean } = {},
  ): Promise<TagWriteResult> {
    const write = (): Promise<TagWriteResult> => this.#write(mutate, why, signal ?? this.#run.work, fresh, last);
    const next = this.#tail.then(write, write);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /**
   * Runs `body` (a model write) with no tag write of this run in between: tag writes asked meanwhile wait until it has
   * settled. A tag write landing between a model write and the check after it (model-update.ts: the etag moved by that
   * write only) would look like another writer's.
   */
  exclusive<T>(body: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(body, body);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #write(
    mutate: (tags: Tags) => TagDecision,
    why: string,
    signal: AbortSignal,
    fresh: boolean,
    last: boolean,
  ): Promise<TagWriteResult> {
    const { state, log } = this.#run;
    let model = (!fresh && state.model) || (await this.#readBeforeWrite(signal));
    for (let attempt = 1; ; attempt++) {
      // Aborted before the first copy went out (a cancel, the budget spent while the write waited its turn): nothing is
      // sent, and nothing decided. Not "Azure did not take it": Azure never saw it. (From the second attempt on, Azure
      // refused a copy already: the SDK's abort stands.)
      if (attempt === 1 && signal.aborted) throw endedAs(abortError(), { kind: "not-sent", before: "cut-off" });
      const current: Tags = model.tags ?? {};
      const decision = mutate(current);
      if ("refused" in decision) return { kind: "refused", reason: decision.refused, tags: current };
      const names = changedNames(current, decision.tags);
      if (names.length === 0) return { kind: "unchanged", tags: current };
      const problem = tagLimitProblem(decision.tags);
      if (problem !== undefined)
        return {
          kind: "refused",
          reason: `Azure would refuse the tags: ${problem}`,
          tags: current,
          ...(Object.keys(decision.tags).length > MAX_TAGS && { tooManyTags: true as const }),
        };
      log.info(
        `Tags (${why}): PATCH ${names.map((n) => `'${n}'`).join(", ")} with If-Match ${model.etag ?? "(none)"}.`,
      );
      const sendsBefore = this.#api.writeSends?.("scale-set");
      try {
        const answered = await this.#api.writeTags(decision.tags, model.etag, signal, { last });
        state.tagsWritten(answered);
        this.#run.emit({ type: "tags-written", why, names });
        return { kind: "written", tags: answered.tags ?? decision.tags, names };
      } catch (err) {
        if (!isPreconditionFailed(err)) {
          const landed = await this.#landedAnyway(err, sendsBefore, decision.tags, names, why, signal);
          if (landed === "unknown") throw unknownOutcome(err);
          if (landed !== undefined) {
            this.#run.emit({ type: "tags-written", why, names });
            return { ...landed, names };
          }
          throw err;
        }
        if (attempt >= MAX_TAG_ATTEMPTS) {
          throw new Error(
            `The scale set changed ${attempt} times in a row while the action wrote its tags (${why}): ${errorLine(err)}.`,
            { cause: err },
          );
        }
        log.info(`Tags (${why}): the scale set changed since it was read (412 PreconditionFailed); reading it again.`);
        // The 412 may answer the SDK's resend of a copy Azure took (its answer lost, the copy having moved the etag).
        const resent = landedCopy(this.#api, "scale-set", sendsBefore);
        try {
          model = await this.#api.getScaleSet(signal);
        } catch (readErr) {
          // The read would have said whether it landed. Otherwise Azure refused the write (412), and the read that
          // would decide it again failed: nothing landed, and another writer's change is on the tags.
          throw resent
            ? unknownOutcome(readErr)
            : endedAs(readErr, { kind: "refused-unread", refusal: errorLine(err) });
        }
        // It did when every tag it changed holds what it sent: the write is done, and is not decided again (the
        // callers' decisions note what they wrote). Decided again, it would be a second write on top of the first
        // (a lease take renewing its own lease), and its failure would say that nothing was written.
        if (resent && landedIn(model.tags ?? {}, decision.tags, names)) {
          state.tagsWritten(model);
          log.info(`Tags (${why}): the resent PATCH met 412, but the tags hold what it wrote: Azure applied it.`);
          this.#run.emit({ type: "tags-written", why, names });
          return { kind: "written", tags: model.tags ?? {}, names };
        }
      }
    }
  }

  /**
   * A tag write that failed after it may have landed: no answer (a connection lost after the SDK's resends), or a copy
   * Azure accepted whose answer or status read failed then (writeSends counts it). One read says: when every tag the
   * write changed holds what it sent (a tag it removed is absent), Azure applied it. The decision is not made again
   * (the callers' decisions note what they wrote). Otherwise undefined, and the error stands (the lease's release says
   * it could not be done, and what that means); "unknown" when no read could say.
   */
  async #landedAnyway(
    err: unknown,
    sendsBefore: number | undefined,
    sent: Tags,
    names: readonly string[],
    why: string,
    signal: AbortSignal,
  ): Promise<{ kind: "written"; tags: Tags } | "unknown" | undefined> {
    if (!mayHaveLanded(this.#api, "scale-set", sendsBefore, err)) return undefined;
    // Cut off (a cancel's few seconds, the final steps' budget) after a copy went out: no time is left to read it.
    if (isAbort(err) || signal.aborted) return "unknown";
    let fresh: ScaleSetModel;
    try {
      fresh = await this.#api.getScaleSet(signal);
    } catch {
      return "unknown";
    }
    const tags: Tags = fresh.tags ?? {};
    if (!landedIn(tags, sent, names)) return undefined;
    this.#run.state.tagsWritten(fresh);
    this.#run.log.info(
      `Tags (${why}): the PATCH failed (${errorLine(err)}), but the tags hold what it wrote: Azure applied it.`,
    );
    return { kind: "written", tags };
  }

  /** The read a write starts from, into the run state; its failure ends the write with nothing sent (`not-sent`). */
  async #readBeforeWrite(signal: AbortSignal): Promise<ScaleSetModel> {
    let model: ScaleSetModel;
    try {
      model = await this.#api.getScaleSet(signal);
    } catch (err) {
      throw endedAs(err, { kind: "not-sent", before: "read" });
    }
    this.#run.state.read(model);
    return model;
  }
}

/** Whether `tags` hold what a write sent for every name it changed (a name it removed absent): Azure applied it. */
function landedIn(tags: Tags, sent: Tags, names: readonly string[]): boolean {
  return names.every((name) => tags[name] === sent[name]);
}

/** The names whose value differs (added, changed or removed), sorted. */
export function changedNames(before: Tags, after: Tags): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}
