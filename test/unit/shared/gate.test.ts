// The one gate for everything printed (issue 11): known secrets in every spelling, secret shapes, one line, and no
// workflow command in text the action does not control.
import { describe, expect, it } from "vitest";
import { entityEscape, Gate, neutraliseCommands, oneLine } from "../../../src/shared/gate.ts";

const SECRET = "emu8Q~a_b-c.D/e+f=";

describe("Gate.redact: every known secret, in every spelling a reader could meet, before anything escapes it", () => {
  const gate = new Gate([SECRET]);
  it.each([
    ["as is", SECRET],
    ["URL-encoded", encodeURIComponent(SECRET)],
    ["JSON-escaped", JSON.stringify(`${SECRET}"`).slice(1, -3)],
    ["Markdown-escaped by the report", entityEscape(SECRET)],
    ["URL-encoded, lowercase hex", encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())],
    ["form-encoded (URLSearchParams)", new URLSearchParams({ s: SECRET }).toString().slice(2)],
    [
      "every character a \\u escape",
      [...SECRET].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
    ],
    [
      "every character a \\u escape, uppercase hex",
      JSON.stringify(SECRET)
        .slice(1, -1)
        .replace(/./g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`),
    ],
  ])("%s", (_spelling, form) => {
    expect(gate.redact(`Azure said: ${form}.`)).toBe("Azure said: ***.");
    expect(gate.maskKnown(`[${form}]`)).toBe("[***]");
  });

  // The runner masks a registered secret's base64 at the three byte offsets (actions/runner ValueEncoders); the gate
  // finds the characters of it that do not depend on the bytes around the secret.
  const B64_SECRET = "Abc8Q~dEf.GhI-jKl_mNo";
  it.each(
    ["", "u:", "us:", "user:"].flatMap((before) =>
      ["", "@", "@h", "@host"].flatMap((after) => [
        { before, after, form: "base64", text: Buffer.from(`${before}${B64_SECRET}${after}`).toString("base64") },
        { before, after, form: "base64url", text: Buffer.from(`${before}${B64_SECRET}${after}`).toString("base64url") },
      ]),
    ),
  )("$form of '$before<secret>$after' shows none of the secret", ({ before, after, text }) => {
    const masked = new Gate([B64_SECRET]).redact(`Authorization: Basic ${text} sent`);
    expect(masked).toContain("***");
    // What is left around the mask decodes to at most a few characters of the secret, never most of it.
    const left = masked
      .replace(/^Authorization: Basic /, "")
      .replace(/ sent$/, "")
      .split("***");
    for (const part of left)
      expect(part.length).toBeLessThanOrEqual(Math.ceil(((before.length + after.length + 2) * 4) / 3) + 4);
  });

  it.each([
    { name: "a line break", text: "Abc8Q~dEf.\nGhI-jKl_mNo" },
    { name: "CRLF and indentation", text: "Abc8Q~dEf.\r\n    GhI-jKl_mNo" },
    { name: "several line breaks", text: "Abc8\nQ~dEf.Gh\nI-jKl_mNo" },
    { name: "a NEL", text: "Abc8Q~dEf.\u0085GhI-jKl_mNo" },
    { name: "spaces", text: "Abc8Q~dEf. GhI-jKl_mNo" },
  ])("a long secret split by $name is masked, on one log line too", ({ text }) => {
    const gate = new Gate([B64_SECRET]);
    expect(gate.redact(`value: ${text} end`)).toBe("value: *** end");
    expect(gate.line(`value: ${text} end`)).toBe("value: *** end");
  });

  it("a token thousands of characters long is masked split by line breaks, and in its \\u spelling", () => {
    // An OIDC or access token: its \uXXXX spelling is six times its length, too long for one regular expression.
    const token = `eyJ${"a1B2c3D4e5".repeat(300)}`;
    const gate = new Gate([token]);
    const wrapped = token.match(/.{1,76}/g)?.join("\n") ?? "";
    expect(gate.redact(`token:\n${wrapped}\nend`)).toBe("token:\n***\nend");
    const escaped = Array.from(token, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    expect(gate.line(`"${escaped.slice(0, 500)}\n${escaped.slice(500)}"`)).toBe('"***"');
  });

  it("a short secret split by white space is left alone: it would mask ordinary text", () => {
    const gate = new Gate(["test-value1"]); // 11 characters, under the 12 of the white-space-tolerant form
    expect(gate.redact("a test-value1 and a test-\nvalue1")).toBe("a *** and a test-\nvalue1");
  });

  it("learns secrets as they are issued (access tokens)", () => {
    const later = new Gate();
    expect(later.redact("token opaque-token-value-1")).toBe("token opaque-token-value-1");
    later.addSecret("opaque-token-value-1");
    expect(later.redact("token opaque-token-value-1")).toBe("token ***");
  });

  it("replaces a secret that contains another one whole", () => {
    const nested = new Gate(["abcd", "xxabcdxx"]);
    expect(nested.redact("1 xxabcdxx 2 abcd")).toBe("1 *** 2 ***");
  });

  it("ignores values too short to mask without blanking out ordinary text", () => {
    expect(new Gate(["ab", "   "]).redact("ab cd")).toBe("ab cd");
  });

  it("also applies the secret shapes and the URL query rule", () => {
    expect(new Gate().redact("see https://a/f.sh?sv=1&sig=2 and sv=1&sig=abcdef")).toBe(
      "see https://a/f.sh?[query removed] and sv=1&sig=***",
    );
  });

  it("scrub redacts every string of a JSON value", () => {
    expect(new Gate([SECRET]).scrub({ a: [`x ${SECRET}`], b: { c: "sig=zzz" }, n: 1 })).toEqual({
      a: ["x ***"],
      b: { c: "sig=***" },
      n: 1,
    });
  });
});

describe("workflow commands in text the action does not control", () => {
  it.each([
    ["##[stop-commands]tok", "## [stop-commands]tok"],
    ["error: ##[add-mask]x ##[set-env name=A]b", "error: ## [add-mask]x ## [set-env name=A]b"],
    ["::add-mask::x", ": :add-mask::x"],
    ["  ::stop-commands::t", "  : :stop-commands::t"],
    ["a\n::set-env name=A::b", "a\n: :set-env name=A::b"],
    ["ends in a::b::c", "ends in a::b::c"],
  ])("%j", (input, expected) => {
    expect(neutraliseCommands(input)).toBe(expected);
  });

  it.each([
    ["LF", "a\n::error::x"],
    ["CRLF", "a\r\n::error::x"],
    ["CR", "a\r::error::x"],
    ["vertical tab", "a\v::error::x"],
    ["form feed", "a\f::error::x"],
    ["NEL", "a\u0085::error::x"],
    ["line separator", "a\u2028::error::x"],
    ["paragraph separator", "a\u2029::error::x"],
  ])("a log line never breaks (%s)", (_what, text) => {
    const line = new Gate().line(text);
    expect(line).toBe("a ::error::x");
    expect(line.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)).toHaveLength(1);
  });

  it("drops control characters (ANSI escapes) but keeps tabs", () => {
    expect(oneLine("a\u001b[31mred\u0007\tb")).toBe("a[31mred\tb");
  });

  it("an annotation message keeps its line breaks (core escapes them) but no command", () => {
    expect(new Gate().message("a\n::add-mask::x ##[stop-commands]t")).toBe("a\n: :add-mask::x ## [stop-commands]t");
  });
});

describe("invisible characters (ignored by the runner's culture-sensitive matching)", () => {
  it.each([
    ["soft hyphen inside ##[", "x #\u00AD#[stop-commands]t", "x ## [stop-commands]t"],
    ["zero-width space before ::", "\u200B::add-mask::v", ": :add-mask::v"],
    ["word joiner inside ::", ":\u2060:set-env name=A::b", ": :set-env name=A::b"],
    ["BOM before ::", "\uFEFF::error::x", ": :error::x"],
    ["Arabic number sign before ::", "\u0600::add-mask::v", ": :add-mask::v"],
    ["interlinear annotation inside ##[", "x #\uFFF9#[stop-commands]t", "x ## [stop-commands]t"],
    ["Syriac abbreviation mark inside ::", ":\u070F:error::x", ": :error::x"],
  ])("%s", (_what, text, expected) => {
    expect(new Gate().line(text)).toBe(expected);
    expect(new Gate().message(text)).toBe(expected);
  });

  it("a secret split by an invisible or control character is still masked", () => {
    const gate = new Gate([SECRET]);
    const split = `${SECRET.slice(0, 5)}\u00AD${SECRET.slice(5, 9)}\u0007${SECRET.slice(9)}`;
    expect(gate.line(`echo ${split}`)).toBe("echo ***");
    expect(gate.redact(`echo ${split}`)).toBe("echo ***");
  });
});
