// SDK failures → the domain's AzureApiError / OperationOutcome. Classified by what the SDK's RestError carries (`code`,
// `statusCode`, the response's headers and ARM error body), never by the wording of a message.

import { abortError, isAbort } from "../domain/error-text.ts";
import { AzureApiError, type AzureErrorInfo } from "../domain/scale-set.ts";

/** The fields of @azure/core-rest-pipeline's RestError this module reads (structurally: no SDK import needed). */
export interface RestErrorLike extends Error {
  readonly statusCode?: number;
  /** ARM's `error.code` for an HTTP error; a Node system error code (`ECONNRESET`, …) when no response came. */
  readonly code?: string;
  readonly response?: ResponseLike;
  /** The request that failed (the very object the pipeline's policies were handed). */
  readonly request?: object;
}

export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | undefined };
  readonly bodyAsText?: string | null;
}

export function isRestError(err: unknown): err is RestErrorLike {
  return err instanceof Error && err.name === "RestError";
}

/** ARM's id of a request, the first thing Azure support asks for: `x-ms-correlation-request-id` of its response. */
export function correlationIdOf(response: ResponseLike | undefined): string | undefined {
  return response?.headers.get("x-ms-correlation-request-id") || undefined;
}

/**
 * ARM's error body `{"error":{"code","message","details"}}` (also the body of a failed operation's status,
 * `{"status":"Failed","error":{…}}`); undefined when the body is not one.
 */
export function armErrorOf(body: string | null | undefined): AzureErrorInfo | undefined {
  return armErrorIn(jsonOf(body));
}

/** A response body as JSON; undefined when it is empty or not JSON. */
export function jsonOf(body: string | null | undefined): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * ARM's error of a refused read, by its request. The SDK's pager turns a refused page into "Pagination failed with
 * unexpected statusCode 409" and keeps the body it parsed nowhere (its RestError's response has no `bodyAsText`:
 * @typespec/ts-http-runtime createRestError keeps a body only when it is a string), so Azure's message was lost (fuzz
 * runs, 2026-12-07; the adapter's test "a refused list page"). The pipeline's watching policy notes the error of every
 * refused GET here (pipeline.ts); toApiError reads it back when the error itself has no body. Weak: a request's note
 * goes with it.
 */
const refusedReads = new WeakMap<object, AzureErrorInfo>();

/** Notes ARM's error in a refused read's body (see refusedReads). */
export function noteRefusedRead(request: object, body: string | null | undefined): void {
  const error = armErrorOf(body);
  if (error !== undefined) refusedReads.set(request, error);
}

/** ARM's `{"error":{"code","message"}}` in a body already parsed (jsonOf). */
export function armErrorIn(parsed: unknown): AzureErrorInfo | undefined {
  const error = (parsed as { error?: unknown } | null)?.error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string" || code === "") return undefined;
  return { code, message: typeof message === "string" ? message : "" };
}

/**
 * Any failure of an SDK call as the engine sees it: aborts as they are, a sign-in failure as `AuthenticationFailed`,
 * an HTTP error or a request that got no answer as an AzureApiError (ARM's code and message from the body, the status,
 * the correlation ID); anything else unchanged.
 */
export function toApiError(err: unknown, describeAuthError: (err: unknown) => string | undefined): unknown {
  if (isAbort(err) || err instanceof AzureApiError) return err;
  const rest = isRestError(err) ? err : undefined;
  const correlationId = correlationIdOf(rest?.response);
  const status = rest?.statusCode ?? rest?.response?.status;
  // Sign-in's failures (the credential's, or ARM's 401) only: an answer of Azure's that merely quotes "az login" or an
  // AADSTS code (a 400 quoting a user's command line, say) keeps its own message.
  const signIn = rest?.response === undefined || status === 401 ? describeAuthError(err) : undefined;
  if (signIn !== undefined) return new AzureApiError("AuthenticationFailed", signIn, status, correlationId);
  if (rest === undefined) return err;
  // The pager reports a refused page as "Pagination failed with unexpected statusCode 403": ARM's message is in the body
  // (noted by the pipeline when the error does not carry it: refusedReads).
  const body =
    armErrorOf(rest.response?.bodyAsText) ?? (rest.request !== undefined ? refusedReads.get(rest.request) : undefined);
  const code = body?.code ?? rest.code ?? (status !== undefined ? `Http${status}` : "RequestFailed");
  const message = body?.message || rest.message;
  return new AzureApiError(code, message, status, correlationId);
}

/** Node's codes for a request that got no answer: the connection failed, was reset or timed out. */
const CONNECTION_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
]);

/** A request that got no HTTP answer (a RestError without response, with a Node system error code). */
export function isConnectionError(err: unknown): boolean {
  return isRestError(err) && err.response === undefined && err.code !== undefined && CONNECTION_ERRORS.has(err.code);
}

/** Statuses worth reading again: throttled (429), timed out (408), and server errors except 501/505 (as the SDK). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * The wait a response asks for: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds), else `Retry-After` (seconds or
 * an HTTP date, relative to `now`); undefined when none.
 */
export function retryAfterMs(headers: { get(name: string): string | undefined }, now: number): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = headers.get(name);
    const ms = Number(value);
    if (value && Number.isFinite(ms) && ms >= 0) return ms;
  }
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

export { abortError };
