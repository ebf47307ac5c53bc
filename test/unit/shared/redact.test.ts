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
