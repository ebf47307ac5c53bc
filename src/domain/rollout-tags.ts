// The rollout record kept on the scale set (issue #16): what the action's last model write changed (the previous and
// the current values), the workflow run that made it, when, and how that run ended. A later run reads it to roll the
// change back with `rollback: true`. Pure: the record to tags and back, within Azure's tag limits.
//
// Layout. The record is one JSON document, cut into tag values of at most 256 characters:
//
//   vmss-rollout.record       v1;parts=<n>;sha256=<the first 16 hex digits of the SHA-256 of the document>
//   vmss-rollout.record.1 … vmss-rollout.record.<n>   the document, in order
//
// - Names: `vmss-rollout.` then dot-separated words and digits: none of the characters ARM refuses in a tag name
//   (`< > % & \ ? /`), far below 512 characters. ARM compares tag names case-insensitively, so does the decoder.
// - Values: the document is printable ASCII without spaces (every other character, the space included, is written
//   as a JSON `\u` escape inside its string), so no tool that trims or re-encodes a value can change it unnoticed,
//   and nothing in it trips IMDS's metadata decoding (Microsoft warns about non-English characters in tags).
//   Long values (a gallery image version ID runs to several hundred characters) are split across parts and rejoined
//   exactly; nothing is ever cut.
// - Damage: the header names the number of parts and a checksum of the whole document. A missing or extra part, a
//   part edited by hand, a header without parts or parts without a header: the record is refused as damaged, never
//   half-read.
// - Secrets: never stored. File URIs are stored without their query (a SAS token lives there) or user:password@: a
//   change whose previous URIs carried either is recorded as not restorable, and a rollback of it is refused naming
//   why. A value that looks like a secret anywhere in the document (a token, a `sig=`, a key) or equals one of the
//   run's known secrets makes the encoder refuse the whole record.
// - Budget: Azure allows 50 tags per resource, the user's own included. A record that does not fit next to the
//   other tags is not written (withRecord says why); the other tags are never touched.

import { createHash } from "node:crypto";
import { redactText, safeUri } from "../shared/redact.ts";
import type { ChangeRequest } from "../config/types.ts";
import { floatingBefore, imageNotRestorable, type ModelChange } from "./change.ts";
import type { PropertyChange } from "./record.ts";

/** Every tag the action writes starts with this. */
export const TAG_PREFIX = "vmss-rollout.";
/** The record's header tag; its parts are `<RECORD_TAG>.1` … `<RECORD_TAG>.<n>`. */
export const RECORD_TAG = `${TAG_PREFIX}record`;
/** Azure's limits (ARM, every resource type): tags per resource, characters of a name and of a value. */
export const MAX_TAGS = 50;
export const MAX_NAME_CHARS = 512;
export const MAX_VALUE_CHARS = 256;
/** Characters ARM refuses in a tag name. */
export const FORBIDDEN_NAME_CHARS = /[<>%&\\?/]/;

const FORMAT = 1;
const CHECKSUM_HEX = 16;

/** How the run that wrote a record ended; `in-progress` until it says. */
export const RECORD_OUTCOMES = ["in-progress", "succeeded", "failed", "cancelled", "rolled-back", "reverted"] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

/** What one model write changed. Values as sent to Azure, but file URIs without their query. */
export type RecordedChange =
  | {
      readonly property: "image-version" | "image-id";
      /** undefined: there was none. */
      readonly before?: string;
      readonly after: string;
      /** Why `before` cannot be put back; undefined when it can. */
      readonly notRestorable?: string;
    }
  | {
      readonly property: "extension-file-uris";
      readonly extension: string;
      /** Without their queries. undefined: the extension had no fileUris. */
      readonly before?: readonly string[];
      readonly after: readonly string[];
      readonly notRestorable?: string;
    }
  | {
      readonly property: "force-update-tag";
      readonly extension: string;
      readonly before?: string;
      readonly after: string;
      readonly notRestorable?: string;
    };

/** The workflow run that made a change (from the runner's GITHUB_* variables). */
export interface RecordedRun {
  /** `owner/repo`. */
  readonly repository: string;
  readonly runId: string;
  readonly attempt?: string;
  readonly workflow?: string;
  /** The run (its attempt) on its GitHub server. */
  readonly url?: string;
}

/** Who wrote a record and when: what tells one record from another. */
export interface RecordIdentity {
  /** When Azure accepted the model write (ISO 8601). */
  readonly at: string;
  /** undefined outside GitHub Actions. */
  readonly run?: RecordedRun;
}

export interface RolloutTagRecord extends RecordIdentity {
  readonly outcome: RecordOutcome;
  readonly changes: readonly RecordedChange[];
  /** Set when the run was a rollback (`rollback: true`): the record whose change it undid. */
  readonly rollbackOf?: RecordIdentity;
}

export type Decoded =
  | { readonly kind: "none" }
  | { readonly kind: "damaged"; readonly reason: string }
  | { readonly kind: "record"; readonly record: RolloutTagRecord };

export type TagsResult =
  | { readonly ok: true; readonly tags: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: string };

type Tags = Readonly<Record<string, string>>;

// ───────────────────────────── encode ─────────────────────────────

/**
 * The record as tags (header and parts). Refused when a value looks like a secret or is one of `secrets`, or when a
 * change is malformed (no extension name, say): nothing of it is to be written then.
 */
export function encodeRecord(record: RolloutTagRecord, secrets: readonly string[] = []): TagsResult {
  const problem = invalidRecord(record);
  if (problem !== undefined) return { ok: false, reason: `the rollout record is not valid: ${problem}` };
  const plain = JSON.stringify(toWire(record));
  // A redaction that changes anything means something secret-shaped is in it (a query string, a token, a key).
  if (redactText(plain) !== plain || secrets.some((s) => s.length > 0 && plain.includes(s))) {
    return {
      ok: false,
      reason: "a value of the change looks like a secret (a SAS query, a token or a key), and tags are plain text",
    };
  }
  const json = asciiJson(plain);
  const parts: string[] = [];
  for (let i = 0; i < json.length; i += MAX_VALUE_CHARS) parts.push(json.slice(i, i + MAX_VALUE_CHARS));
  const tags: Record<string, string> = { [RECORD_TAG]: header(parts.length, checksum(json)) };
  parts.forEach((part, i) => (tags[`${RECORD_TAG}.${i + 1}`] = part));
  return { ok: true, tags };
}

/**
 * `tags` with the record in place of any earlier one; the other tags as they are. Refused when the record cannot be
 * encoded, or does not fit in Azure's 50 tags next to the others.
 */
export function withRecord(tags: Tags, record: RolloutTagRecord, secrets: readonly string[] = []): TagsResult {
  const encoded = encodeRecord(record, secrets);
  if (!encoded.ok) return encoded;
  const others = withoutRecord(tags);
  const needed = Object.keys(encoded.tags).length;
  const free = MAX_TAGS - Object.keys(others).length;
  if (needed > free) {
    return {
      ok: false,
      reason:
        `there is no room for the rollout record on the scale set: it needs ${needed} tags, ${free > 0 ? `only ${free} are` : "none is"} ` +
        `free next to the scale set's ${Object.keys(others).length} other tags, and Azure allows ${MAX_TAGS} per resource ` +
        `(remove ${needed - free} tag(s) from the scale set to make room)`,
    };
  }
  return { ok: true, tags: { ...others, ...encoded.tags } };
}

/**
 * `tags` with the outcome of the record set, when the record on the scale set is still the one `owner` wrote.
 * Refused otherwise (no record, a damaged one, another run's): that record is left as it is.
 */
export function withOutcome(
  tags: Tags,
  owner: RecordIdentity,
  outcome: RecordOutcome,
  secrets: readonly string[] = [],
): TagsResult {
  const decoded = decodeRecord(tags);
  if (decoded.kind === "none") return { ok: false, reason: "the scale set holds no rollout record any more" };
  if (decoded.kind === "damaged")
    return { ok: false, reason: `the rollout record on the scale set is ${decoded.reason}` };
  if (!sameIdentity(decoded.record, owner)) {
    return {
      ok: false,
      reason: `the rollout record on the scale set is now another run's (${describeIdentity(decoded.record)})`,
    };
  }
  if (decoded.record.outcome === outcome) return { ok: true, tags };
  return withRecord(tags, { ...decoded.record, outcome }, secrets);
}

/** `tags` without any tag of the record (header, parts, leftovers), names compared case-insensitively. */
export function withoutRecord(tags: Tags): Record<string, string> {
  const others: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags)) if (!isRecordTag(name)) others[name] = value;
  return others;
}

function isRecordTag(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === RECORD_TAG || lower.startsWith(`${RECORD_TAG}.`);
}

function header(parts: number, sum: string): string {
  return `v${FORMAT};parts=${parts};sha256=${sum}`;
}

function checksum(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, CHECKSUM_HEX);
}

/** JSON with every character outside printable ASCII, and the space, as a `\u` escape (only strings hold such). */
function asciiJson(json: string): string {
  return json.replace(/[^\x21-\x7e]/g, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);
}

// The document: the record's fields as they are, in a fixed order, without undefined ones.
function toWire(record: RolloutTagRecord): unknown {
  return {
    at: record.at,
    ...(record.run && { run: runWire(record.run) }),
    outcome: record.outcome,
    changes: record.changes.map((c) => ({
      property: c.property,
      ...("extension" in c && { extension: c.extension }),
      ...(c.before !== undefined && { before: c.before }),
      after: c.after,
      ...(c.notRestorable !== undefined && { notRestorable: c.notRestorable }),
    })),
    ...(record.rollbackOf && {
      rollbackOf: { at: record.rollbackOf.at, ...(record.rollbackOf.run && { run: runWire(record.rollbackOf.run) }) },
    }),
  };
}

function runWire(run: RecordedRun): RecordedRun {
  return {
    repository: run.repository,
    runId: run.runId,
    ...(run.attempt !== undefined && { attempt: run.attempt }),
    ...(run.workflow !== undefined && { workflow: run.workflow }),
    ...(run.url !== undefined && { url: run.url }),
  };
}

// ───────────────────────────── decode ─────────────────────────────

/** The record the tags hold: none, a damaged one (why), or the record. Names are matched case-insensitively. */
export function decodeRecord(tags: Tags): Decoded {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(tags)) if (isRecordTag(name)) byName.set(name.toLowerCase(), value);
  if (byName.size === 0) return { kind: "none" };
  const head = byName.get(RECORD_TAG);
  if (head === undefined) return damaged(`partial: its parts are there but its header tag ${RECORD_TAG} is missing`);
  const match = /^v(\d+);parts=(\d{1,2});sha256=([0-9a-f]{16})$/.exec(head);
  if (match === null)
    return damaged(`unreadable: its header ${JSON.stringify(head.slice(0, 80))} is not v1;parts=<n>;sha256=<hex>`);
  const [, version = "", count = "", sum = ""] = match;
  if (Number(version) !== FORMAT) {
    return damaged(
      `written in format v${version}, which this version of vmss-rollout does not read (it reads v${FORMAT})`,
    );
  }
  const n = Number(count);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const part = byName.get(`${RECORD_TAG}.${i}`);
    if (part === undefined) return damaged(`partial: part ${i} of ${n} (${RECORD_TAG}.${i}) is missing`);
    parts.push(part);
  }
  const extra = [...byName.keys()].filter(
    (name) => name !== RECORD_TAG && !/^\d+$/.test(name.slice(RECORD_TAG.length + 1)),
  );
  const beyond = [...byName.keys()].filter((name) => {
    const index = Number(name.slice(RECORD_TAG.length + 1));
    return name !== RECORD_TAG && Number.isInteger(index) && (index < 1 || index > n);
  });
  if (extra.length > 0 || beyond.length > 0) {
    return damaged(
      `inconsistent: its header names ${n} part(s) but the scale set also has ${[...extra, ...beyond].join(", ")}`,
    );
  }
  const json = parts.join("");
  if (checksum(json) !== sum) return damaged("altered: its parts do not match the checksum in its header");
  let wire: unknown;
  try {
    wire = JSON.parse(json);
  } catch {
    return damaged("unreadable: its parts do not form a JSON document");
  }
  const record = fromWire(wire);
  if (typeof record === "string") return damaged(`unreadable: ${record}`);
  return { kind: "record", record };
}

function damaged(reason: string): Decoded {
  return { kind: "damaged", reason };
}

const PROPERTIES = ["image-version", "image-id", "extension-file-uris", "force-update-tag"] as const;

/** The record from the parsed document, or what is wrong with it. */
function fromWire(wire: unknown): RolloutTagRecord | string {
  if (!isObject(wire)) return "the document is not a JSON object";
  const { at, run, outcome, changes, rollbackOf } = wire;
  if (!isTime(at)) return "`at` is not a time";
  if (!RECORD_OUTCOMES.includes(outcome as RecordOutcome))
    return `\`outcome\` is not one of ${RECORD_OUTCOMES.join(", ")}`;
  if (!Array.isArray(changes) || changes.length === 0) return "`changes` is not a list of changes";
  const parsedRun = run === undefined ? undefined : runFromWire(run);
  if (typeof parsedRun === "string") return parsedRun;
  const parsedChanges: RecordedChange[] = [];
  for (const change of changes) {
    const parsed = changeFromWire(change);
    if (typeof parsed === "string") return parsed;
    parsedChanges.push(parsed);
  }
  let origin: RecordIdentity | undefined;
  if (rollbackOf !== undefined) {
    if (!isObject(rollbackOf) || !isTime(rollbackOf["at"])) return "`rollbackOf` has no time";
    const originRun = rollbackOf["run"] === undefined ? undefined : runFromWire(rollbackOf["run"]);
    if (typeof originRun === "string") return originRun;
    origin = { at: rollbackOf["at"], ...(originRun && { run: originRun }) };
  }
  return {
    at,
    ...(parsedRun && { run: parsedRun }),
    outcome: outcome as RecordOutcome,
    changes: parsedChanges,
    ...(origin && { rollbackOf: origin }),
  };
}

/** A GitHub repository as GITHUB_REPOSITORY spells it (the lease's holder is checked the same way, domain/lease.ts). */
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const DIGITS = /^\d+$/;

/**
 * The link to a recorded run that a report may show: the stored `url` only when it is exactly the run's page on
 * `serverUrl` (this run's own GitHub server), rebuilt from the recorded repository, run and attempt; else undefined.
 * The stored URL is not trusted on its own: anyone who can write the scale set's tags could point it anywhere (a
 * phishing page labelled "workflow run 41 of octo/app"). A record from a run on another GitHub server gets no link.
 */
export function trustedRunUrl(
  run: Pick<RecordedRun, "repository" | "runId" | "attempt" | "url">,
  serverUrl: string | undefined,
): string | undefined {
  if (run.url === undefined || serverUrl === undefined || !/^https:\/\/[^\s/?#]+$/i.test(serverUrl)) return undefined;
  if (!REPOSITORY.test(run.repository) || !DIGITS.test(run.runId)) return undefined;
  if (run.attempt !== undefined && !DIGITS.test(run.attempt)) return undefined;
  const page = `${serverUrl}/${run.repository}/actions/runs/${run.runId}`;
  const rebuilt = [page, ...(run.attempt === undefined ? [] : [`${page}/attempts/${run.attempt}`])];
  return rebuilt.find((candidate) => candidate === run.url);
}

function runFromWire(run: unknown): RecordedRun | string {
  if (!isObject(run) || !isText(run["repository"]) || !isText(run["runId"])) return "`run` has no repository or run ID";
  for (const key of ["attempt", "workflow", "url"]) {
    if (run[key] !== undefined && typeof run[key] !== "string") return `\`run.${key}\` is not text`;
  }
  const { repository, runId, attempt, workflow, url } = run as Record<string, string | undefined>;
  // Tags are anyone's to write who may write the scale set. The action writes these from GITHUB_REPOSITORY,
  // GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT, which are always `owner/name` and digits: anything else was not written by
  // it, and the record is refused as damaged (as an altered part is) rather than shown.
  if (!REPOSITORY.test(repository ?? "")) return "`run.repository` is not owner/name";
  if (!DIGITS.test(runId ?? "")) return "`run.runId` is not a number";
  if (attempt !== undefined && !DIGITS.test(attempt)) return "`run.attempt` is not a number";
  if (url !== undefined && !/^https:\/\/[^\s]+$/.test(url)) return "`run.url` is not an https URL";
  return {
    repository: repository ?? "",
    runId: runId ?? "",
    ...(attempt !== undefined && { attempt }),
    ...(workflow !== undefined && { workflow }),
    ...(url !== undefined && { url }),
  };
}

function changeFromWire(change: unknown): RecordedChange | string {
  if (!isObject(change)) return "a change is not a JSON object";
  const { property, extension, before, after, notRestorable } = change;
  if (!PROPERTIES.includes(property as (typeof PROPERTIES)[number]))
    return `a change's property is not one of ${PROPERTIES.join(", ")}`;
  if (notRestorable !== undefined && !isText(notRestorable)) return "a change's `notRestorable` is not text";
  const why = notRestorable === undefined ? {} : { notRestorable };
  if (property === "extension-file-uris") {
    if (!isText(extension)) return "a file URIs change names no extension";
    if (!isTextList(after) || (before !== undefined && !isTextList(before)))
      return "a file URIs change is not lists of URIs";
    return { property, extension, ...(before !== undefined && { before }), after, ...why };
  }
  if (!isText(after) || (before !== undefined && !isText(before))) return `a ${String(property)} change has no value`;
  if (property === "force-update-tag") {
    if (!isText(extension)) return "a force-update-tag change names no extension";
    return { property, extension, ...(before !== undefined && { before }), after, ...why };
  }
  return { property: property as "image-version" | "image-id", ...(before !== undefined && { before }), after, ...why };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** What makes a record unwritable: a malformed change. */
function invalidRecord(record: RolloutTagRecord): string | undefined {
  if (!isTime(record.at)) return "its time is not a time";
  if (record.changes.length === 0) return "it records no change";
  for (const c of record.changes) {
    if ("extension" in c && !isText(c.extension)) return `its ${c.property} change names no extension`;
  }
  return undefined;
}

// ───────────────────────────── identity ─────────────────────────────

/** Whether two records were written by the same run at the same time. */
export function sameIdentity(a: RecordIdentity, b: RecordIdentity): boolean {
  if (Date.parse(a.at) !== Date.parse(b.at)) return false;
  if (a.run === undefined || b.run === undefined) return a.run === b.run;
  return (
    a.run.repository.toLowerCase() === b.run.repository.toLowerCase() &&
    a.run.runId === b.run.runId &&
    a.run.attempt === b.run.attempt
  );
}

/** `deploy run 42, attempt 1 of octo/app at 2026-12-04T01:02:03.000Z`, or `a run outside GitHub Actions at …`. */
export function describeIdentity(identity: RecordIdentity): string {
  return `${describeRun(identity.run)} at ${identity.at}`;
}

/** `deploy run 42, attempt 1 of octo/app`. */
export function describeRun(run: RecordedRun | undefined): string {
  if (run === undefined) return "a run outside GitHub Actions";
  const attempt = run.attempt ? `, attempt ${run.attempt}` : "";
  return `${run.workflow ?? "workflow"} run ${run.runId}${attempt} of ${run.repository}`;
}

// ───────────────────────────── from a model change ─────────────────────────────

/**
 * What a run's model writes changed, to record: the image when it was written, the extension's fileUris and
 * forceUpdateTag when they were in the extension write. `request` is the run's change request (the values sent).
 */
export function recordedChanges(
  change: ModelChange,
  request: ChangeRequest,
  written: { readonly image: boolean; readonly extension: boolean },
): RecordedChange[] {
  const changes: RecordedChange[] = [];
  const image = change.previousModel.imageReference;
  // A model that named the newest version (`latest`) is not put back: see floatingBefore.
  const floating = floatingBefore(image, request);
  // Or one Azure would refuse (withoutImageRollback): the change planned says either (imageNotRestorable).
  const versionBack = floating ?? imageNotRestorable(change);
  if (written.image && request.imageVersion !== undefined && image.version !== request.imageVersion) {
    changes.push({
      property: "image-version",
      ...(image.version !== undefined && { before: image.version }),
      after: request.imageVersion,
      ...(image.version === undefined
        ? { notRestorable: "the scale set had no image version before, and a PATCH cannot remove one" }
        : versionBack !== undefined && { notRestorable: versionBack }),
    });
  }
  if (written.image && request.imageId !== undefined && image.id?.toLowerCase() !== request.imageId.toLowerCase()) {
    changes.push({
      property: "image-id",
      ...(image.id !== undefined && { before: image.id }),
      after: request.imageId,
      ...(image.id === undefined
        ? { notRestorable: "the scale set had no image ID before" }
        : floating !== undefined && { notRestorable: floating }),
    });
  }
  const patch = change.extensionPatch;
  if (written.extension && patch !== undefined) {
    const previous = change.previousModel.extension;
    if (patch.settings !== undefined) {
      const raw = change.rollback.extensionPatch?.settings?.["fileUris"];
      const before = Array.isArray(raw) ? raw.map(String) : undefined;
      const after = Array.isArray(patch.settings["fileUris"]) ? patch.settings["fileUris"].map(String) : [];
      const withSecret = before?.some((uri) => safeUri(uri) !== uri) ?? false;
      changes.push({
        property: "extension-file-uris",
        extension: patch.name,
        ...(before !== undefined && { before: before.map(safeUri) }),
        after: after.map(safeUri),
        ...(before === undefined
          ? { notRestorable: `extension '${patch.name}' had no fileUris before, and a PATCH cannot remove them` }
          : withSecret && {
              notRestorable:
                "the previous file URIs carried query strings (SAS tokens) or user:password@, which are never stored in tags",
            }),
      });
    }
    if (patch.forceUpdateTag !== undefined) {
      changes.push({
        property: "force-update-tag",
        extension: patch.name,
        ...(previous?.forceUpdateTag !== undefined && { before: previous.forceUpdateTag }),
        after: patch.forceUpdateTag,
        ...(previous?.forceUpdateTag === undefined && {
          notRestorable: `extension '${patch.name}' had no forceUpdateTag before, and a PATCH cannot remove one`,
        }),
      });
    }
  }
  return changes;
}

/** A recorded change as the report shows a change: model path, before → after (`(none)` for a value not set). */
export function displayChange(change: RecordedChange): PropertyChange {
  const text = (value: string | readonly string[] | undefined): string =>
    value === undefined
      ? "(none)"
      : typeof value === "string"
        ? value
        : value.length === 0
          ? "(none)"
          : value.join(", ");
  return { property: propertyPath(change), before: text(change.before), after: text(change.after) };
}

/** The model path a recorded change is about, as PropertyChange names it. */
function propertyPath(change: RecordedChange): string {
  switch (change.property) {
    case "image-version":
      return "storageProfile.imageReference.version";
    case "image-id":
      return "storageProfile.imageReference.id";
    case "extension-file-uris":
      return `extensions[${change.extension}].settings.fileUris`;
    case "force-update-tag":
      return `extensions[${change.extension}].forceUpdateTag`;
  }
}
