import { describe, expect, it } from "vitest";
import {
  armErrorOf,
  isConnectionError,
  isRetryableStatus,
  retryAfterMs,
  toApiError,
} from "../../../src/azure/errors.ts";
import { AzureApiError } from "../../../src/domain/scale-set.ts";

/** A RestError as @azure/core-rest-pipeline builds it (its fields, structurally). */
function restError(fields: {
  message?: string;
  code?: string;
  statusCode?: number;
  headers?: Record<string, string>;
  body?: unknown;
}): Error {
  const headers = new Map(Object.entries(fields.headers ?? {}));
  return Object.assign(new Error(fields.message ?? "failed"), {
    name: "RestError",
    code: fields.code,
    statusCode: fields.statusCode,
    ...(fields.statusCode !== undefined && {
      response: {
        status: fields.statusCode,
        headers: { get: (name: string) => headers.get(name) },
        bodyAsText: fields.body === undefined ? undefined : JSON.stringify(fields.body),
      },
    }),
  });
}

const noSignIn = (): undefined => undefined;

describe("toApiError: by code, status and ARM body, never by message text", () => {
  it.each([
    {
      what: "an HTTP error: ARM's code and message, the status and the correlation ID",
      err: restError({
        statusCode: 409,
        code: "Conflict",
        message: "x",
        headers: { "x-ms-correlation-request-id": "c-1" },
        body: { error: { code: "Conflict", message: "Busy." } },
      }),
      expected: { code: "Conflict", message: "Busy.", statusCode: 409, correlationId: "c-1" },
    },
    {
      what: "a refused list page: the pager's message replaced by ARM's",
      err: restError({
        statusCode: 403,
        code: "AuthorizationFailed",
        message: "Pagination failed with unexpected statusCode 403",
        headers: { "x-ms-correlation-request-id": "c-2" },
        body: { error: { code: "AuthorizationFailed", message: "The client 'x' does not have authorization." } },
      }),
      expected: {
        code: "AuthorizationFailed",
        message: "The client 'x' does not have authorization.",
        statusCode: 403,
        correlationId: "c-2",
      },
    },
    {
      what: "a body that is not ARM's: the status as the code",
      err: restError({ statusCode: 502, message: "Bad gateway", body: "<html>" }),
      expected: { code: "Http502", message: "Bad gateway", statusCode: 502, correlationId: undefined },
    },
    {
      what: "no answer: Node's code, no status",
      err: restError({ code: "ECONNRESET", message: "socket hang up" }),
      expected: { code: "ECONNRESET", message: "socket hang up", statusCode: undefined, correlationId: undefined },
    },
  ])("$what", ({ err, expected }) => {
    const mapped = toApiError(err, noSignIn);
    expect(mapped).toBeInstanceOf(AzureApiError);
    expect({ ...(mapped as AzureApiError), message: (mapped as AzureApiError).message }).toMatchObject(expected);
  });

  it("a sign-in failure is AuthenticationFailed, worded by the credential module", () => {
    const mapped = toApiError(
      restError({ statusCode: 401, headers: { "x-ms-correlation-request-id": "c-3" } }),
      () => "Sign-in failed.",
    );
    expect(mapped).toMatchObject({ code: "AuthenticationFailed", message: "Sign-in failed.", correlationId: "c-3" });
  });

  it("an answer of Azure's other than 401 keeps its own message, even one that quotes sign-in words", () => {
    const quoting = restError({
      statusCode: 400,
      body: { error: { code: "InvalidParameter", message: "Run 'az login' first, then AADSTS700016 …" } },
    });
    expect(toApiError(quoting, () => "Sign-in failed: the Azure CLI is not signed in.")).toMatchObject({
      code: "InvalidParameter",
      message: "Run 'az login' first, then AADSTS700016 …",
      statusCode: 400,
    });
  });

  it("aborts and other errors are left as they are", () => {
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    const other = new TypeError("bug");
    expect(toApiError(abort, noSignIn)).toBe(abort);
    expect(toApiError(other, noSignIn)).toBe(other);
  });
});

describe("what is worth reading again", () => {
  it.each([
    { status: 429, retry: true },
    { status: 408, retry: true },
    { status: 500, retry: true },
    { status: 503, retry: true },
    { status: 501, retry: false },
    { status: 505, retry: false },
    { status: 404, retry: false },
    { status: 412, retry: false },
  ])("HTTP $status: $retry", ({ status, retry }) => {
    expect(isRetryableStatus(status)).toBe(retry);
  });

  it.each([
    { err: restError({ code: "ECONNRESET" }), connection: true },
    { err: restError({ code: "ETIMEDOUT" }), connection: true },
    { err: restError({ code: "Conflict", statusCode: 409 }), connection: false },
    { err: Object.assign(new Error("x"), { code: "ECONNRESET" }), connection: false },
  ])("connection error: $connection", ({ err, connection }) => {
    expect(isConnectionError(err)).toBe(connection);
  });

  it.each([
    { headers: { "x-ms-retry-after-ms": "250", "retry-after": "1" }, ms: 250 },
    { headers: { "retry-after-ms": "40" }, ms: 40 },
    { headers: { "retry-after": "7" }, ms: 7_000 },
    { headers: { "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }, ms: 10_000 },
    { headers: { "retry-after": "soon" }, ms: undefined },
    { headers: {}, ms: undefined },
  ])("retryAfterMs($headers) = $ms", ({ headers, ms }) => {
    const map = new Map(Object.entries(headers));
    expect(retryAfterMs({ get: (name) => map.get(name) }, Date.parse("2026-01-01T00:00:00Z"))).toBe(ms);
  });

  it("armErrorOf reads ARM's error body, also a failed operation's status", () => {
    expect(armErrorOf('{"status":"Failed","error":{"code":"OperationPreempted","message":"Preempted."}}')).toEqual({
      code: "OperationPreempted",
      message: "Preempted.",
    });
    expect(armErrorOf('{"status":"Succeeded"}')).toBeUndefined();
    expect(armErrorOf("not json")).toBeUndefined();
    expect(armErrorOf(undefined)).toBeUndefined();
  });
});
