import { describe, expect, it } from "vitest";
import { describeError, errorLine, failureMessage, isAbort, oneLine } from "../../../src/domain/error-text.ts";
import { AzureApiError } from "../../../src/domain/scale-set.ts";
import { InputError } from "../../../src/config/types.ts";

describe("failureMessage", () => {
  const restError = Object.assign(new Error("The client does not have authorization\nto perform action"), {
    name: "RestError",
    statusCode: 403,
  });
  it.each([
    {
      thrown: new InputError("timeout", "use a duration such as 45m"),
      message: "Input 'timeout': use a duration such as 45m",
    },
    {
      thrown: new Error("socket hang up\n    at TLSSocket"),
      message: "vmss-rollout failed: socket hang up at TLSSocket",
    },
    { thrown: restError, message: "vmss-rollout failed: The client does not have authorization to perform action" },
    { thrown: new AzureApiError("Conflict", "Busy."), message: "vmss-rollout failed: Conflict: Busy" },
    {
      thrown: "plain string https://x/y.sh?sig=SECRET",
      message: "vmss-rollout failed: plain string https://x/y.sh?[query removed]",
    },
    { thrown: { code: 42 }, message: 'vmss-rollout failed: {"code":42}' },
    { thrown: undefined, message: "vmss-rollout failed with an error that carries no message." },
  ])("$message", ({ thrown, message }) => {
    expect(failureMessage(thrown)).toBe(message);
  });

  // run() reports any thrown value: one whose getters throw, whose message is no string, or a Proxy that throws on
  // every trap still gives a message (before, failureMessage threw and the step was never failed).
  const throwingGetter = Object.defineProperty(new Error("x"), "message", {
    get() {
      throw new Error("boom");
    },
  });
  const everyTrapThrows = new Proxy(
    {},
    {
      get: () => {
        throw new Error("get");
      },
      getPrototypeOf: () => {
        throw new Error("getPrototypeOf");
      },
      ownKeys: () => {
        throw new Error("ownKeys");
      },
    },
  );
  it.each([
    { name: "an Error whose message getter throws", thrown: throwingGetter },
    { name: "an Error whose message is an object", thrown: Object.assign(new Error("x"), { message: {} }) },
    { name: "a Proxy that throws on every trap", thrown: everyTrapThrows },
  ])("words $name, and a sign-in describer that throws on it too", ({ thrown }) => {
    const describer = (err: unknown): string | undefined => (err as { code?: string }).code?.toString();
    for (const message of [failureMessage(thrown), failureMessage(thrown, describer)]) {
      expect(message).toMatch(/^vmss-rollout failed: ./);
    }
    expect(errorLine(thrown)).not.toBe("");
  });

  it("lets the credential module word a sign-in failure", () => {
    expect(
      failureMessage(new Error("AADSTS7000215"), (err) =>
        err instanceof Error ? "Sign-in failed: wrong secret." : undefined,
      ),
    ).toBe("Sign-in failed: wrong secret.");
  });
});

describe("one line per error", () => {
  it("oneLine collapses white space, removes SAS query strings and the final period", () => {
    expect(oneLine("  Failed to\n download https://a/b.sh?sv=1&sig=S.  ")).toBe(
      "Failed to download https://a/b.sh?[query removed]",
    );
  });

  it("describeError and errorLine say `Code: message`", () => {
    expect(describeError({ code: "VMExtensionProvisioningError", message: "exit 1." })).toBe(
      "VMExtensionProvisioningError: exit 1",
    );
    expect(describeError({ code: "Conflict", message: "" })).toBe("Conflict");
    expect(errorLine(new AzureApiError("AuthorizationFailed", "No access\nto x.", 403))).toBe(
      "AuthorizationFailed: No access to x",
    );
    expect(errorLine(new Error("boom."))).toBe("boom");
  });

  it.each([
    {
      error: new AzureApiError("AuthorizationFailed", "No access.", 403, "5f0c8e2e-1d2b-4c55-9a31-0b6c1f1f7d10"),
      line: "AuthorizationFailed: No access (correlation ID 5f0c8e2e-1d2b-4c55-9a31-0b6c1f1f7d10)",
    },
    { error: new AzureApiError("ECONNRESET", "socket hang up"), line: "ECONNRESET: socket hang up" },
    { error: new AzureApiError("Conflict", "Busy.", 409, ""), line: "Conflict: Busy" },
  ])("errorLine names the correlation ID Azure gave a failed call: $line", ({ error, line }) => {
    expect(errorLine(error)).toBe(line);
    expect(failureMessage(error)).toBe(`vmss-rollout failed: ${line}`);
  });

  it("isAbort tells an abort from other errors", () => {
    expect(isAbort(Object.assign(new Error("x"), { name: "AbortError" }))).toBe(true);
    expect(isAbort(new Error("x"))).toBe(false);
  });
});
