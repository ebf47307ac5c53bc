// The small text helpers the report is built from: escaping, redaction, ID lists, durations.

import { describe, expect, it } from "vitest";
import { code, inline, link } from "../../../src/report/escape.ts";
import { compareInstanceIds, idRanges } from "../../../src/domain/ids.ts";
import { formatDuration } from "../../../src/shared/clock.ts";
import { timelinePosition } from "../../../src/report/time.ts";

describe("inline", () => {
  it.each([
    { text: "a < b > c & d", expected: "a &#60; b &#62; c &#38; d" },
    { text: "cell | split", expected: "cell &#124; split" },
    { text: "line one\nline two\r\nthree", expected: "line one line two three" },
    {
      text: "`code` [link](x) *em* _em_ ~del~ $math$ \\",
      expected: "&#96;code&#96; &#91;link&#93;(x) &#42;em&#42; &#95;em&#95; &#126;del&#126; &#36;math&#36; &#92;",
    },
    { text: "say \"hi\" 'there'", expected: "say &#34;hi&#34; &#39;there&#39;" },
    {
      text: "see https://a.blob.core.windows.net/c/f.sh?sv=1&sig=2 now",
      expected: "see https&#8288;://a.blob.core.windows.net/c/f.sh?&#91;query removed&#93; now",
    },
  ])("$text", ({ text, expected }) => {
    expect(inline(text)).toBe(expected);
  });

  it("keeps line breaks as <br> when asked, dropping empty lines", () => {
    expect(inline("[stdout]\n\nok\n", { breaks: true })).toBe("&#91;stdout&#93;<br>ok");
  });

  it("truncates before escaping, so no character reference is cut in half", () => {
    expect(inline("<<<<<", { max: 3 })).toBe("&#60;&#60;…");
  });

  it.each([
    { text: "abcdefghij", max: 6, tail: 2, expected: "abc…ij" },
    { text: "abcdefghij", max: 6, tail: 9, expected: "a…ghij" },
    { text: "abcdef", max: 6, tail: 2, expected: "abcdef" },
    { text: "😀😀😀😀😀😀😀😀", max: 4, tail: 1, expected: "😀😀…😀" },
  ])("cuts $text to $max characters keeping the last $tail: $expected", ({ text, max, tail, expected }) => {
    expect(inline(text, { max, tail })).toBe(expected);
  });

  it("redacts before it cuts in the middle, so no secret survives in halves", () => {
    // Cut first, the tail would keep the signature's last characters with the URL that marks them as a query cut off.
    const text = `${"x".repeat(5)} https://a.blob.core.windows.net/c/f.sh?sv=1&sig=${"s".repeat(40)} ${"y".repeat(5)}`;
    const cut = inline(text, { max: 60, tail: 30 });
    expect(cut).toContain("&#91;query removed&#93; yyyyy");
    expect(cut).not.toContain("sss");
  });
});

describe("code and link", () => {
  it("wraps escaped text in <code>", () => {
    expect(code("a|b")).toBe("<code>a&#124;b</code>");
  });

  it.each([
    {
      url: "https://portal.azure.com/#@/resource/x",
      expected: '<a href="https://portal.azure.com/#@/resource/x">L</a>',
    },
    { url: "https://x/?a=1&b=2", expected: '<a href="https://x/?a=1&amp;b=2">L</a>' },
    { url: "http://insecure", expected: "L" },
    { url: 'https://x/" onclick="x', expected: "L" },
  ])("link to $url", ({ url, expected }) => {
    expect(link("L", url)).toBe(expected);
  });
});

describe("instance IDs", () => {
  it("sort numerically, then text", () => {
    expect(["10", "b", "2", "a", "1"].sort(compareInstanceIds)).toEqual(["1", "2", "10", "a", "b"]);
  });

  it.each([
    { ids: [], expected: "" },
    { ids: ["3"], expected: "3" },
    { ids: ["0", "1"], expected: "0, 1" },
    { ids: ["4", "0", "1", "2", "3", "7", "9", "10", "11"], expected: "0–4, 7, 9–11" },
    { ids: ["vm-a", "2", "vm-b", "3", "4"], expected: "2–4, vm-a, vm-b" },
  ])("collapse into ranges: $expected", ({ ids, expected }) => {
    expect(idRanges(ids)).toBe(expected);
  });
});

describe("formatDuration", () => {
  it.each([
    { ms: 850, expected: "850 ms" },
    { ms: 12_000, expected: "12s" },
    { ms: 245_000, expected: "4m 05s" },
    { ms: 3_725_000, expected: "1h 02m 05s" },
    { ms: -1, expected: "–" },
  ])("$ms ms → $expected", ({ ms, expected }) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe("timelinePosition", () => {
  it.each([
    { ms: 382, expected: "00:00:00", text: "382 ms" },
    { ms: 3_546, expected: "00:00:04", text: "4s" },
    { ms: 3_499, expected: "00:00:03", text: "3s" },
    { ms: 59_600, expected: "00:01:00", text: "1m 00s" },
    { ms: 3_725_000, expected: "01:02:05", text: "1h 02m 05s" },
  ])("$ms ms → $expected, rounded as the batch table's $text", ({ ms, expected, text }) => {
    expect(timelinePosition(ms)).toBe(expected);
    expect(formatDuration(ms)).toBe(text);
  });

  it("has no position past a day", () => {
    expect(timelinePosition(24 * 3600 * 1000 - 400)).toBeUndefined();
    expect(timelinePosition(-1)).toBeUndefined();
  });
});
