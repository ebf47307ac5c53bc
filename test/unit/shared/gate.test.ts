// The one gate for everything printed (issue 11): known secrets in every spelling, secret shapes, one line, and no
// workflow command in text the action does not control.
import { describe, expect, it } from "vitest";
import { entityEscape, Gate, neutraliseCommands, oneLine } from "../../../src/shared/gate.ts";

const SECRET = "emu8Q~a_b-c.D/e+f=";

/** Every UTF-8 byte of `text` as `%xx` (lowercase hex). */
function percentAll(text: string): string {
  return [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

describe("Gate.redact: every known secret, in every spelling a reader could meet, before anything escapes it", () => {
  const gate = new Gate([SECRET]);
  it.each([
    ["as is", SECRET],
    ["URL-encoded", encodeURIComponent(SECRET)],
    ["JSON-escaped", JSON.stringify(`${SECRET}"`).slice(1, -3)],
    ["Markdown-escaped by the report", entityEscape(SECRET)],
    ["URL-encoded, lowercase hex", encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())],
    ["form-encoded (URLSearchParams)", new URLSearchParams({ s: SECRET }).toString().slice(2)],
    // An audit (2026-12-06): a form body inside a URL-encoded value (`~` → `%7E` → `%257E`) showed whole.
    ["URL-encoded twice", encodeURIComponent(encodeURIComponent(SECRET))],
    ["form-encoded, then URL-encoded", encodeURIComponent(new URLSearchParams({ s: SECRET }).toString().slice(2))],
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
    // An audit (2026-12-07): spellings a reader could still meet showed whole. JSON with `/` as `\/` (PHP's
    // json_encode, .NET's DataContractJsonSerializer); `+` as `\u002B` (System.Text.Json's default encoder), `=` as
    // `\u003d` (Gson's HTML-safe default), with and without `\/`.
    ["JSON with / as \\/", JSON.stringify(SECRET).slice(1, -1).replace(/\//g, "\\/")],
    ["JSON as System.Text.Json writes it (+ as \\u002B)", "emu8Q~a_b-c.D/e\\u002Bf="],
    ["JSON as Gson writes it (= as \\u003d)", "emu8Q~a_b-c.D/e+f\\u003d"],
    ["JSON with \\/, \\u002B and \\u003D", "emu8Q~a_b-c.D\\/e\\u002Bf\\u003D"],
    ["JSON with \\/ and \\u002B", "emu8Q~a_b-c.D\\/e\\u002Bf="],
    // Every byte percent-encoded (some URL encoders, debugging proxies).
    ["every byte percent-encoded", percentAll(SECRET).toUpperCase()],
    ["every byte percent-encoded, lowercase hex", percentAll(SECRET)],
    // The UTF-8 bytes as one hex run (`xxd -p`, a hexdump-ish log line).
    ["hex of the UTF-8 bytes", Buffer.from(SECRET).toString("hex")],
    ["hex of the UTF-8 bytes, uppercase", Buffer.from(SECRET).toString("hex").toUpperCase()],
  ])("%s", (_spelling, form) => {
    expect(gate.redact(`Azure said: ${form}.`)).toBe("Azure said: ***.");
    expect(gate.maskKnown(`[${form}]`)).toBe("[***]");
    // A log line, and an output (a value of the record, as summary-json carries it).
    expect(gate.line(`Azure said:\n${form}.`)).toBe("Azure said: ***.");
    expect(gate.scrub({ message: `status ${form}` })).toEqual({ message: "status ***" });
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

  // An audit (2026-12-07): base64 of the UTF-16LE bytes (PowerShell's -EncodedCommand, which a Windows Custom Script
  // extension's commandToExecute or status may carry) showed whole. UTF-16 keeps the secret at an even byte offset:
  // `u`, `u:` and `us:` before it put it at the three offsets mod 3.
  it.each(
    ["", "u", "u:", "us:"].flatMap((before) =>
      ["", "'", "';", "'; x"].flatMap((after) =>
        (["base64", "base64url"] as const).map((form) => ({
          before,
          after,
          form,
          text: Buffer.from(`${before}${B64_SECRET}${after}`, "utf16le").toString(form),
        })),
      ),
    ),
  )(
    "$form of the UTF-16LE of the secret after $before and before $after shows none of it",
    ({ before, after, text }) => {
      const gate = new Gate([B64_SECRET]);
      const masked = gate.redact(`powershell -EncodedCommand ${text} ran`);
      expect(masked).toContain("***");
      const left = masked
        .replace(/^powershell -EncodedCommand /, "")
        .replace(/ ran$/, "")
        .split("***");
      // Two bytes a character: what is left decodes to the characters around the secret and at most one of it.
      for (const part of left)
        expect(part.length).toBeLessThanOrEqual(Math.ceil(((before.length + after.length + 2) * 2 * 4) / 3) + 4);
      expect(gate.line(`-EncodedCommand\n${text}`)).toContain("***");
      expect(gate.scrub([text])[0]).toContain("***");
    },
  );

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

  // Hex digits stand in every commit hash and request ID: the hex spelling of a short secret is left out (a 4-character
  // secret is 8 hex digits). From 8 bytes (16 hex digits, longer than an abbreviated hash or a GUID's longest group).
  it("the hex spelling of a short secret leaves commit hashes alone; from 8 bytes it is masked", () => {
    const commit = "commit 616263647a7a7a7a3132333435363738 and 61626364";
    expect(new Gate(["abcd"]).redact(commit)).toBe(commit);
    expect(new Gate(["abcdzzz"]).redact(commit)).toBe(commit);
    expect(new Gate(["12345678"]).redact(commit)).toBe("commit 616263647a7a7a7a*** and 61626364");
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

  it.each([
    ["blanks around a break", "a \t \n\t b", "a b"],
    ["two breaks", "a \n \n b", "a  b"],
    ["CRLF, blanks kept at both ends", " a\r\nb ", " a b "],
    // A review (2026-12-05): 100 KB of blanks with no break took seconds with a pattern; the result is the text.
    ["100 KB of blanks, then a letter", `${" ".repeat(100_000)}x`, `${" ".repeat(100_000)}x`],
    ["100 KB of tabs between two breaks", `a\n${"\t".repeat(100_000)}\nb`, "a  b"],
  ])("one line: %s", (_, text, expected) => {
    expect(oneLine(text)).toBe(expected);
  });

  it("a value added as exact is masked only as spelled, never spread over the action's prose", () => {
    const planted = "theRolloutFailedOnEveryInstance0123";
    const prose = "the Rollout Failed On Every Instance 0123";
    const exact = new Gate();
    exact.addSecret(planted, { exact: true });
    expect(exact.maskKnown(prose)).toBe(prose);
    expect(exact.maskKnown(`key ${planted}.`)).toBe("key ***.");
    // A secret the run knows otherwise is found with white space between its characters too.
    const spread = new Gate();
    spread.addSecret(planted);
    expect(spread.maskKnown(prose)).toBe("***");
    // Known outright after it was added as exact: found spread out from then on (the full registration wins).
    const both = new Gate();
    both.addSecret(planted, { exact: true });
    both.addSecret(planted);
    expect(both.maskKnown(prose)).toBe("***");
  });

  it("drops control characters and whole ANSI escape sequences, but keeps tabs", () => {
    expect(oneLine("a\u001b[31mred\u0007\tb")).toBe("ared\tb");
    expect(oneLine("\u001b]0;title\u0007x\u001b]8;;https://e\u001b\\link\u001b]8;;\u001b\\ \u009b1my\u001b(Bz")).toBe(
      "xlink yz",
    );
  });

  // An audit (2026-12-06): only the ESC went, and the rest of a colour code (`[1m`, `[K`) before a secret's shape hid
  // it from the patterns that find it (a letter before it), in the log, the summary and summary-json.
  it.each([
    [
      "a JWT after bold",
      `token: \u001b[1m${"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJlc2ln"}\u001b[0m`,
      "c2lnbmF0dXJlc2ln",
    ],
    [
      "grep --color around sig",
      "sv=1&sr=b&\u001b[01;31m\u001b[Ksig\u001b[m\u001b[K=Zm9vYmFyYmF6cXV4MTIz%3D",
      "Zm9vYmFyYmF6cXV4MTIz",
    ],
    [
      "a GitHub token after a colour",
      "using \u001b[33mghs_Q7rT2vX9kL4mN8pB3sD6fG1hJ5wY0zCAbCdE\u001b[0m",
      "Q7rT2vX9kL4mN8pB3sD6",
    ],
    [
      "an Entra client secret after bold",
      "secret \u001b[1mabc8Q~Xy_Z.k-LmNoPqRsTuVwXyZ0123456789ab\u001b[0m",
      "LmNoPqRsTuVwXyZ",
    ],
    ["a proxy password after underline", "proxy \u001b[4mhttp://bob:hunter2pass@proxy:8080\u001b[0m", "hunter2pass"],
  ])("%s: masked in a log line and in the summary's text", (_, text, secret) => {
    expect(new Gate().line(text)).not.toContain(secret);
    expect(new Gate().redact(text)).not.toContain(secret);
  });

  it("an unterminated OSC in hostile text costs linear time", () => {
    const hostile = "\u001b]".repeat(50_000) + "x".repeat(100_000);
    expect(new Gate().line(hostile)).toBe("x".repeat(100_000));
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

// The runner looks for `##[` and a line-initial `::` with .NET's culture-sensitive IndexOf / StartsWith (see gate.ts),
// which with ICU skip what the collation ignores. Node's ICU with the base sensitivity ignores at least that much
// (secondary and tertiary differences too), so every code point it finds equal to nothing inside a command is tried.
describe("characters ICU's comparison skips, inside ##[ or a line-initial ::", () => {
  const collator = new Intl.Collator("en", { sensitivity: "base", ignorePunctuation: false });
  const codePoints = Array.from({ length: 0x110000 }, (_, cp) => cp).filter((cp) => cp < 0xd800 || cp > 0xdfff);
  const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

  /** Whether the runner could see a command in `text`, whatever it skips: at most every non-ASCII and control character. */
  function runnerSeesCommand(text: string): boolean {
    return text
      .split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)
      .map((line) => line.replace(/[^\t\x20-\x7e]/gu, ""))
      .some((line) => line.includes("##[") || /^[\t ]*::/.test(line));
  }

  it.each([
    {
      where: "between the two #",
      command: "##[",
      inserted: (c: string) => `#${c}#[`,
      text: (c: string) => `x #${c}#[stop-commands]t`,
    },
    {
      where: "between # and [",
      command: "##[",
      inserted: (c: string) => `##${c}[`,
      text: (c: string) => `x ##${c}[stop-commands]t`,
    },
    { where: "before ::", command: "::", inserted: (c: string) => `${c}::`, text: (c: string) => `${c}::add-mask::v` },
    {
      where: "between the two :",
      command: "::",
      inserted: (c: string) => `:${c}:`,
      text: (c: string) => `:${c}:add-mask::v`,
    },
    {
      where: "after blanks, between the two :",
      command: "::",
      inserted: (c: string) => `:${c}:`,
      text: (c: string) => ` \u00A0:${c}:x::v`,
    },
  ])("every code point the collator skips $where is broken up", ({ command, inserted, text }) => {
    const skipped = codePoints.filter((cp) => collator.compare(inserted(String.fromCodePoint(cp)), command) === 0);
    // Not vacuous: the collator skips what INVISIBLE removes, and the marks the reviewer found beyond it.
    expect(skipped).toEqual(expect.arrayContaining([0x00ad, 0x200b, 0x0591, 0x05af, 0x0610, 0x0640, 0x06d6, 0x1cd0]));
    const gate = new Gate();
    const missed = skipped.filter((cp) => {
      const c = String.fromCodePoint(cp);
      return [gate.line(text(c)), gate.message(text(c)), gate.message(`a\n${text(c)}`)].some(runnerSeesCommand);
    });
    expect(missed.map(hex)).toEqual([]);
  });

  it.each([
    ["Hebrew accent inside ##[", "x #\u0591#[stop-commands]t", "x #\u0591# [stop-commands]t"],
    ["Arabic mark between # and [", "x ##\u0610[stop-commands]t", "x ## \u0610[stop-commands]t"],
    ["two marks each side of the second #", "x #\u05AF\u0640#\u06ED[a]", "x #\u05AF\u0640# \u06ED[a]"],
    ["tatweel before ::", "\u0640::add-mask::v", "\u0640: :add-mask::v"],
    ["Vedic sign inside ::", ":\u1CD0:error::x", ": \u1CD0:error::x"],
    ["blanks, then an Arabic mark before ::", " \u00A0\u06D6::x", " \u00A0\u06D6: :x"],
    ["a mark beyond U+FFFF inside ##[", "x #\u{1D167}#[y", "x #\u{1D167}# [y"],
  ])("%s", (_what, text, expected) => {
    expect(new Gate().line(text)).toBe(expected);
    expect(new Gate().message(text)).toBe(expected);
  });

  it.each([
    "C# [x] and #tag# [y], ##x[ and # #[",
    "#\u00E9 #[ and #\u00E9#x[",
    "a::b and \u00FC::b in the middle of a line",
    "x\u0591::y",
    "na\u00EFve: \u00FC: \u00F6",
    "\u540D\u524D: \u5024",
    "first line\nvalue: ::x\n\u00A0\u00FC: \u00F6",
  ])("text with no such pattern is left byte for byte: %j", (text) => {
    expect(neutraliseCommands(text)).toBe(text);
    expect(new Gate().message(text)).toBe(text);
  });
});

describe("a message keeps its line breaks: :: after any of them is broken up", () => {
  it.each([
    ["LF", "\n"],
    ["CR", "\r"],
    ["CRLF", "\r\n"],
    ["vertical tab", "\v"],
    ["form feed", "\f"],
    ["NEL", "\u0085"],
    ["line separator", "\u2028"],
    ["paragraph separator", "\u2029"],
  ])("%s", (_what, br) => {
    const gate = new Gate();
    expect(gate.message(`Enable failed:${br}::stop-commands::pwned`)).toBe(
      `Enable failed:${br}: :stop-commands::pwned`,
    );
    expect(gate.message(`Enable failed:${br} \u00A0::add-mask::x`)).toBe(`Enable failed:${br} \u00A0: :add-mask::x`);
    expect(gate.message(`a${br}${br}::x${br}::y`)).toBe(`a${br}${br}: :x${br}: :y`);
  });
});

describe("a known secret with white space of its own, wrapped in the text", () => {
  const PHRASE = "correct horse battery staple";
  it.each([
    { name: "a line break at one of its spaces", text: "secret: correct horse\nbattery staple end" },
    { name: "a no-break space before the line break", text: "secret: correct horse\u00A0\nbattery staple end" },
    { name: "CRLF and indentation", text: "secret: correct horse\r\n    battery staple end" },
    { name: "a no-break space for one of its spaces", text: "secret: correct\u00A0horse battery staple end" },
    { name: "a NEL inside a word", text: "secret: correct horse bat\u0085tery staple end" },
  ])("is masked when split by $name", ({ text }) => {
    const gate = new Gate([PHRASE]);
    expect(gate.line(text)).toBe("secret: *** end");
    expect(gate.redact(text)).toBe("secret: *** end");
    expect(gate.message(text)).toBe("secret: *** end");
  });

  it.each([
    { name: "a line break", text: "key ab cd\nef end" },
    { name: "CRLF and blanks", text: "key ab cd \r\n ef end" },
  ])("a short one (under the white-space-tolerant length) is masked on a log line split by $name", ({ text }) => {
    expect(new Gate(["ab cd ef"]).line(text)).toBe("key *** end");
  });
});
