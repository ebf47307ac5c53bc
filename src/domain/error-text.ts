// Errors as text: any thrown value or Azure error → one line without SAS query strings. Pure.

import { redactText } from "../shared/redact.ts";
import { AzureApiError, type AzureErrorInfo } from "./scale-set.ts";
import { InputError } from "../config/types.ts";

/** One line: SAS query strings removed, white space collapsed, no final period (callers end the sentence). */
export function oneLine(text: string): string {
  return redactText(text).replace(/\s+/g, " ").trim().replace(/\.$/, "");
}

/** `Code: message` on one line (see oneLine). */
export function describeError(error: AzureErrorInfo): string {
  const message = oneLine(error.message);
  return message ? `${error.code}: ${message}` : error.code;
}

/**
 * Any thrown value as one line: an AzureApiError as `Code: message`, with ` (correlation ID …)` when Azure answered
 * the call with one; an Error by its message, anything else as text.
 */
export function errorLine(err: unknown): string {
  // Total: a thrown value whose getters throw, whose message is no string, or a Proxy that throws on every trap still
  // gives a line, so that the step's failure is always reported (run() relies on it).
  try {
    if (err instanceof AzureApiError) {
      const line = describeError({ code: err.code, message: safeString(err.message) });
      return err.correlationId ? `${line} (correlation ID ${oneLine(safeString(err.correlationId))})` : line;
    }
    const text =
      err instanceof Error
        ? safeString(err.message)
        : typeof err === "string"
          ? err
          : err === undefined
            ? ""
            : safeString(err);
    return oneLine(text);
  } catch {
    return UNREADABLE;
  }
}

/** What is said of a thrown value nothing can be read from. */
const UNREADABLE = "an error whose description could not be read";

/** An abort (cancel, timeout, or the end of the run) as the SDK and AbortSignal report it. */
export function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/** An abort as the SDK throws one (isAbort), for a wait or a request the action itself cuts off. */
export function abortError(): Error {
  return Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
}

/**
 * The message of a failed step for anything thrown outside the engine: an InputError as is, a sign-in failure as
 * `describeSignIn` words it (the credential module knows those), anything else as one line.
 */
export function failureMessage(
  err: unknown,
  describeSignIn: (err: unknown) => string | undefined = () => undefined,
): string {
  try {
    if (err instanceof InputError) return err.message;
    const signIn = describeSignIn(err);
    if (signIn !== undefined) return signIn;
  } catch {
    // Not an InputError or a sign-in failure that can be read: said as any other error.
  }
  const line = errorLine(err);
  return line ? `vmss-rollout failed: ${line}` : "vmss-rollout failed with an error that carries no message.";
}

function safeString(value: unknown): string {
  try {
    return toText(value);
  } catch {
    return UNREADABLE;
  }
}

function toText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return String(value);
    case "symbol":
      return value.toString();
    default:
      try {
        return JSON.stringify(value) ?? Object.prototype.toString.call(value);
      } catch {
        return Object.prototype.toString.call(value);
      }
  }
}
