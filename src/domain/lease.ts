// The lease: one run at a time on a scale set. A run holds it as tags on the scale set, written with the scale set's
// etag (If-Match, by engine/tags.ts), so that of two runs that read the same etag exactly one takes it. Pure: the tags'
// codec and the decisions on them (take, renew, release); the engine does the writing and the waiting (engine/lease.ts).
//
// The tags (names: the `vmss-rollout.` prefix, dot-separated words; none of Azure's forbidden `< > % & \ ? /`):
//   vmss-rollout.lease             `v1;until=<ISO-8601 UTC>;token=<this run's random token>[;run=<run id>/<attempt>]`
//   vmss-rollout.lease.repository  `owner/repo` (only in GitHub Actions)
//   vmss-rollout.lease.server      the GitHub server, e.g. `https://github.com` (only in GitHub Actions)
// Each value stays far below Azure's 256 characters (the longest, a repository, is at most 140: a 39-character owner,
// a 100-character name); a server URL longer than 256 characters is left out (the holder is then named without a
// link) rather than cut. The token tells this run's lease from any other, also from another attempt of the same
// workflow run or a run outside GitHub Actions, which has no run id: it is named as such, with its token.
// Nothing secret is in them: a run's identity is public to whoever can read the scale set's tags.

import { runUrl } from "./deployment.ts";
import { MAX_TAG_VALUE } from "./tag-limits.ts";
import type { GitHubContext } from "../config/types.ts";
import type { LeaseHeldBy } from "./record.ts";

export const LEASE_TAG = "vmss-rollout.lease";
export const LEASE_REPOSITORY_TAG = "vmss-rollout.lease.repository";
export const LEASE_SERVER_TAG = "vmss-rollout.lease.server";
export const LEASE_TAGS: readonly string[] = [LEASE_TAG, LEASE_REPOSITORY_TAG, LEASE_SERVER_TAG];

type Tags = Readonly<Record<string, string>>;

/** Who holds a lease. */
export interface LeaseHolder {
  /** Random, one per run of the action: what makes a lease this run's. */
  readonly token: string;
  readonly repository?: string;
  readonly serverUrl?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
}

export interface Lease {
  readonly holder: LeaseHolder;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** The lease the tags hold: none, one, or a value the action cannot read (another version's, or edited by hand). */
export type LeaseOnTags =
  | { readonly kind: "none" }
  | { readonly kind: "held"; readonly lease: Lease }
  | { readonly kind: "unreadable"; readonly value: string };

/** This run as a lease holder: the workflow run when in GitHub Actions, otherwise only its token. */
export function holderOf(github: GitHubContext | undefined, token: string): LeaseHolder {
  if (github === undefined) return { token };
  return {
    token,
    repository: github.repository,
    serverUrl: github.serverUrl,
    ...(github.runId !== undefined && { runId: github.runId }),
    ...(github.runAttempt !== undefined && { runAttempt: github.runAttempt }),
  };
}

export function encodeLease(lease: Lease): Record<string, string> {
  const { holder } = lease;
  const run = holder.runId !== undefined ? `;run=${holder.runId}/${holder.runAttempt ?? ""}` : "";
  return {
    [LEASE_TAG]: `v1;until=${new Date(lease.expiresAt).toISOString()};token=${holder.token}${run}`,
    ...(holder.repository !== undefined && { [LEASE_REPOSITORY_TAG]: holder.repository }),
    ...(holder.serverUrl !== undefined &&
      holder.serverUrl.length <= MAX_TAG_VALUE && { [LEASE_SERVER_TAG]: holder.serverUrl }),
  };
}

export function decodeLease(tags: Tags): LeaseOnTags {
  const value = tags[LEASE_TAG];
  if (value === undefined) return { kind: "none" };
  const [version, ...parts] = value.split(";");
  const fields = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const until = Date.parse(fields.get("until") ?? "");
  const token = fields.get("token");
  if (version !== "v1" || Number.isNaN(until) || !token) return { kind: "unreadable", value };
  const [runId, runAttempt] = (fields.get("run") ?? "").split("/");
  const repository = tags[LEASE_REPOSITORY_TAG];
  const serverUrl = tags[LEASE_SERVER_TAG];
  return {
    kind: "held",
    lease: {
      expiresAt: until,
      holder: {
        token,
        ...(repository && { repository }),
        ...(serverUrl && { serverUrl }),
        ...(runId && { runId }),
        ...(runAttempt && { runAttempt }),
      },
    },
  };
}

/** The holder's workflow run, as a link; undefined outside GitHub Actions or without a run id. */
function holderLink(holder: LeaseHolder): string | undefined {
  if (holder.repository === undefined || holder.runId === undefined) return undefined;
  return runUrl({
    serverUrl: holder.serverUrl ?? "https://github.com",
    apiUrl: "",
    repository: holder.repository,
    runId: holder.runId,
    ...(holder.runAttempt !== undefined && { runAttempt: holder.runAttempt }),
  });
}

/**
 * The holder's run as a link, only when the holder is on `serverUrl` (this run's own GitHub server) with a well-formed
 * repository and run: tags are anyone's to write, and neither the log nor the summary links anywhere else.
 */
function trustedHolderLink(holder: LeaseHolder, serverUrl: string | undefined): string | undefined {
  const trusted = holder.serverUrl !== undefined && holder.serverUrl === serverUrl && wellFormedRun(holder);
  return trusted ? holderLink(holder) : undefined;
}

/** The holder's repository and run as GitHub spells them: anything else in those tags is not printed. */
function wellFormedRun(holder: LeaseHolder): boolean {
  return (
    /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(holder.repository ?? "") &&
    /^\d+$/.test(holder.runId ?? "") &&
    /^\d*$/.test(holder.runAttempt ?? "")
  );
}

/** The holder in words: its repository and run when well formed, else its token when that looks like one. */
function holderWords(holder: LeaseHolder): string {
  const token = /^[A-Za-z0-9-]{1,64}$/.test(holder.token) ? `lease token ${holder.token}` : "an unreadable lease token";
  if (holder.repository === undefined || holder.runId === undefined) return `a run outside GitHub Actions (${token})`;
  if (!wellFormedRun(holder)) return `a run whose lease tags do not name a GitHub repository and run (${token})`;
  return `${holder.repository} run ${holder.runId}${holder.runAttempt ? ` (attempt ${holder.runAttempt})` : ""}`;
}

/** Another run's lease as the record shows it, its link only as trustedHolderLink allows. */
export function leaseHeldBy(lease: Lease, serverUrl: string | undefined): LeaseHeldBy {
  const { holder } = lease;
  const link = trustedHolderLink(holder, serverUrl);
  return {
    run: holderWords(holder),
    ...(link !== undefined && { link }),
    until: new Date(lease.expiresAt).toISOString(),
  };
}

/**
 * `octo/app run 42 (attempt 2) https://github.com/…` or `a run outside GitHub Actions (token 1a2b…)`; the link only as
 * trustedHolderLink allows (`serverUrl`: this run's GitHub server).
 */
export function describeHolder(holder: LeaseHolder, serverUrl: string | undefined): string {
  const link = trustedHolderLink(holder, serverUrl);
  return `${holderWords(holder)}${link ? ` ${link}` : ""}`;
}

/** What a run decides on the tags as they are. `tags` is the whole next map; nothing is written on a refusal. */
export type LeaseStep =
  | { readonly tags: Tags; readonly takenOver?: Lease }
  | { readonly refused: string; readonly heldBy?: Lease; readonly unreadable?: string };

function withoutLease(tags: Tags): Record<string, string> {
  const rest: Record<string, string> = { ...tags };
  for (const name of LEASE_TAGS) delete rest[name];
  return rest;
}

/** Whether `lease` is the run `me`'s (its token). */
export const isMine = (lease: Lease, me: LeaseHolder): boolean => lease.holder.token === me.token;

/** ` (format v2)` when an unreadable lease value starts with a format version; nothing else of it is printed. */
function formatOf(value: string): string {
  const version = /^v(\d{1,3});/.exec(value)?.[1];
  return version === undefined ? "" : ` (format v${version})`;
}

/**
 * Take the lease: free, or this run's already, or past its expiry (a runner that died: taken over, `takenOver` says
 * whose). Held by another run until later, or unreadable: refused, nothing written.
 */
export function takeLease(tags: Tags, me: LeaseHolder, now: number, durationMs: number): LeaseStep {
  const on = decodeLease(tags);
  if (on.kind === "unreadable")
    return {
      refused: `the scale set's tag '${LEASE_TAG}' holds a value this version of the action cannot read${formatOf(on.value)}: another version of the action may hold it. Remove the tag once no run works on the scale set`,
      unreadable: on.value,
    };
  const next = { ...withoutLease(tags), ...encodeLease({ holder: me, expiresAt: now + durationMs }) };
  if (on.kind === "none" || isMine(on.lease, me)) return { tags: next };
  if (on.lease.expiresAt <= now) return { tags: next, takenOver: on.lease };
  return {
    refused: `another run holds the scale set's lease until ${new Date(on.lease.expiresAt).toISOString()}: ${describeHolder(on.lease.holder, me.serverUrl)}`,
    heldBy: on.lease,
  };
}

/**
 * Renew this run's lease to at least `until` (never shortening it; `exact`: to `until`, shorter or longer). Refused
 * when it is no longer this run's: taken over by another run after it expired, removed, or unreadable.
 */
export function renewLease(tags: Tags, me: LeaseHolder, until: number, exact = false): LeaseStep {
  const on = decodeLease(tags);
  if (on.kind !== "held" || !isMine(on.lease, me)) {
    const now =
      on.kind === "held"
        ? `${describeHolder(on.lease.holder, me.serverUrl)} holds it now`
        : on.kind === "none"
          ? "the lease tag was removed"
          : `the tag '${LEASE_TAG}' was changed to a value the action cannot read`;
    return {
      refused: `the scale set's lease is no longer this run's: ${now}`,
      ...(on.kind === "held" && { heldBy: on.lease }),
    };
  }
  if (exact ? on.lease.expiresAt === until : on.lease.expiresAt >= until) return { tags };
  return { tags: { ...withoutLease(tags), ...encodeLease({ holder: me, expiresAt: until }) } };
}

/** Release: this run's lease tags removed; another run's lease (or none) left as it is. */
export function releaseLease(tags: Tags, me: LeaseHolder): LeaseStep {
  const on = decodeLease(tags);
  if (on.kind !== "held" || !isMine(on.lease, me)) return { tags };
  return { tags: withoutLease(tags) };
}
