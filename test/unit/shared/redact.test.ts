import { describe, expect, it } from "vitest";
import { redactText, stripQuery } from "../../../src/shared/redact.ts";

const SAS = "sv=2024-11-04&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=abc%2Bdef%3D";

describe("stripQuery", () => {
  it.each([
    ["https://a.blob.core.windows.net/c/run.sh", "https://a.blob.core.windows.net/c/run.sh"],
    [`https://a.blob.core.windows.net/c/run.sh?${SAS}`, "https://a.blob.core.windows.net/c/run.sh?[query removed]"],
    [
      "https://a.blob.core.windows.net/c/run.sh?[query removed]",
      "https://a.blob.core.windows.net/c/run.sh?[query removed]",
    ],
    [
      "https://portal.azure.com/#@/resource/subscriptions/s/x",
      "https://portal.azure.com/#@/resource/subscriptions/s/x",
    ],
    ["https://x/y?sig=1#frag", "https://x/y?[query removed]#frag"],
    ["https://x/y?", "https://x/y?"],
  ])("%s", (input, expected) => {
    expect(stripQuery(input)).toBe(expected);
    expect(stripQuery(stripQuery(input))).toBe(expected);
  });
});

describe("redactText", () => {
  it.each([
    [
      `Failed to download https://a.blob.core.windows.net/c/run.sh?${SAS} (403)`,
      "Failed to download https://a.blob.core.windows.net/c/run.sh?[query removed] (403)",
    ],
    [`'https://a/b.sh?${SAS}','https://a/c.sh'`, "'https://a/b.sh?[query removed]','https://a/c.sh'"],
    [
      "see https://aka.ms/x and https://portal.azure.com/#view",
      "see https://aka.ms/x and https://portal.azure.com/#view",
    ],
    ["no url here", "no url here"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
    expect(redactText(redactText(input))).toBe(expected);
    expect(redactText(input)).not.toContain("sig=");
  });
});

// Issue 11, finding 5: a SAS query quoted without its URL was not redacted, and reached summary-json.
describe("redactText: secret-shaped values wherever they stand", () => {
  const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ";
  it.each([
    [
      `Server failed to authenticate: ${SAS}`,
      "Server failed to authenticate: sv=2024-11-04&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=***",
    ],
    ["sig=abc%2Bdef%3D alone", "sig=*** alone"],
    ["encoded sig%3Dabc%2Bdef%3D&x=1", "encoded sig%3D***&x=1"],
    [`Authorization: Bearer ${JWT}`, "Authorization: Bearer ***"],
    ["Authorization: Bearer AbCdEfGhIjKlMnOpQrStUv0123456789", "Authorization: Bearer ***"],
    [`token ${JWT} seen`, "token *** seen"],
    ["client_assertion=abc.def.ghi&client_id=x", "client_assertion=***&client_id=x"],
    ['{"access_token":"opaque-value-1234","token_type":"Bearer"}', '{"access_token":"***","token_type":"Bearer"}'],
    [
      "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a1b2c3d4==;EndpointSuffix=x",
      "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=***;EndpointSuffix=x",
    ],
    ["The Bearer token is invalid", "The Bearer token is invalid"],
    ["a signature=1 and design=2", "a signature=1 and design=2"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
    expect(redactText(redactText(input))).toBe(expected);
  });
});
