// What `az account get-access-token --output json` prints, read as AzureCliCredential reads it (the shell-free
// credential of auth: azure-cli; the process itself is exercised against the stub az in test/integration).
import { describe, expect, it } from "vitest";
import { parseCliToken } from "../../../src/azure/cli-credential.ts";

describe("parseCliToken", () => {
  it.each([
    [
      "CLI 2.54+: expires_on in epoch seconds wins",
      { accessToken: "tok", expires_on: 1_900_000_000, expiresOn: "2000-01-01 00:00:00.000000" },
      1_900_000_000_000,
    ],
    ["expires_on as a string", { accessToken: "tok", expires_on: "1900000000" }, 1_900_000_000_000],
    [
      "older CLI: expiresOn only",
      { accessToken: "tok", expiresOn: "2030-01-02T03:04:05Z" },
      Date.UTC(2030, 0, 2, 3, 4, 5),
    ],
  ])("%s", (_what, body, expires) => {
    expect(parseCliToken(JSON.stringify(body))).toEqual({
      token: "tok",
      expiresOnTimestamp: expires,
      tokenType: "Bearer",
    });
  });

  it.each([
    ["no token", { expires_on: 1 }],
    ["no expiry", { accessToken: "tok" }],
  ])("refuses an answer with %s, without quoting it", (_what, body) => {
    expect(() => parseCliToken(JSON.stringify(body))).toThrow(/Unexpected response from Azure CLI/);
    try {
      parseCliToken(JSON.stringify(body));
    } catch (err) {
      expect(String(err)).not.toContain('tok"');
    }
  });
});
