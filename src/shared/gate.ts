// The one gate for everything the action prints: every log line, annotation, group name, failure message, summary
// and output passes through a Gate before it leaves the process. Pure: main.ts owns the Gate of a run and does the I/O.
//
// Why it exists. The GitHub runner reads every line the action writes (stdout and stderr) for workflow commands:
// `::name::data` at the start of a line (leading white space ignored) and the older `##[name]data` ANYWHERE in a line
// (actions/runner ActionCommand.TryParseV2 / TryParse). `##[stop-commands]token` switches command processing off until
// `##[token]`, and with it `::add-mask::`, so every secret masked later would show in clear. The runner masks a secret
// only where its exact text (or one of a few encodings of it) appears. Text the action does not control (Azure error
// messages, Custom Script output quoting the user's script, names, input values) must therefore never carry a command,
// and secrets must be gone before any escaping changes their spelling (`~` → `&#126;` is no longer the secret).

import { MASK, redactText } from "./redact.ts";

// Characters that mean something to Markdown, GitHub's extensions (tables, math, strikethrough) or HTML. The report
// replaces them by numeric character references (src/report/escape.ts); the gate knows that spelling of a secret too.
export const MARKUP_SPECIAL = /[&<>"'|`*_[\]~\\$]/g;

/** `text` with every MARKUP_SPECIAL character as a numeric character reference (`_` → `&#95;`). */
export function entityEscape(text: string): string {
  return text.replace(MARKUP_SPECIAL, (c) => `&#${c.codePointAt(0)};`);
}

// Line breaks as JavaScript, .NET (the runner) and Unicode know them, with the blanks around them; and the other C0/C1
// control characters (an ANSI escape sequence could rewrite what the log viewer shows). Tabs are kept.
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- the control characters are what this matches
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;

// Characters a reader cannot see (soft hyphen, zero-width space and joiners, word joiner, BOM …). The runner finds `::`
// and `##[` with .NET's string.StartsWith(string) / IndexOf(string), which are culture-sensitive by default (.NET
// docs, "Best practices for comparing strings"); with ICU such comparisons skip these characters, so `#\u00AD#[` or a
// zero-width space before `::` may read as a command. Not tried against a real runner (assumed); removed either way,
// they carry nothing a log line needs. Every format character (Cf: the Arabic number signs U+0600–0605, U+06DD,
// U+070F, the interlinear annotation marks U+FFF9–FFFB …) goes too: ICU's collation may ignore those as well.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

// An ANSI escape sequence as a whole: a CSI (`ESC [` or U+009B, parameters, intermediates, a final byte: colours,
// cursor moves, `ESC [ K`), an OSC (`ESC ]` … up to BEL or ST: titles, hyperlinks) or another `ESC` and its final byte.
// Removing only the ESC left `[1m` or `[K` glued to the text after it, where a letter before a secret's shape hides it
// from the patterns that find it (an audit, 2026-12-06: `grep --color` output around a SAS signature or a token).
// Each part is one character class, the OSC's body stops at its terminators: linear.
// An unterminated OSC's body stops at the next ESC, where the next sequence would start.
/* eslint-disable no-control-regex -- the control characters are what this matches */
const ANSI_SEQUENCE =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[ -/]*[0-~]/g;
/* eslint-enable no-control-regex */

/** Control and invisible characters removed (tabs and line breaks kept), ANSI escape sequences whole. */
function visibleOnly(text: string): string {
  return text.replace(ANSI_SEQUENCE, "").replace(CONTROL, "").replace(INVISIBLE, "");
}

/** One line: every line break (and the blanks around it) becomes one space, control and invisible characters go. */
export function oneLine(text: string): string {
  const lines = visibleOnly(text).split(LINE_BREAK);
  // The blanks are trimmed by a loop, not a pattern: `[ \t]*` before a break scans every run of blanks again from each
  // of its positions (100 KB of blanks without a break took seconds).
  return lines.map((line, i) => trimBlanks(line, i > 0, i < lines.length - 1)).join(" ");
}

/** `line` without the spaces and tabs at its start (`start`) and its end (`end`). */
function trimBlanks(line: string, start: boolean, end: boolean): string {
  const blank = (c: string | undefined): boolean => c === " " || c === "\t";
  let from = 0;
  let to = line.length;
  if (start) while (from < to && blank(line[from])) from++;
  if (end) while (to > from && blank(line[to - 1])) to--;
  return line.slice(from, to);
}

// INVISIBLE is not the whole of what ICU's collation skips: it also ignores hundreds of visible marks (Hebrew accents
// U+0591–05AF, Arabic marks U+0610–061A and U+06D6–06ED, the tatweel U+0640, Vedic signs U+1CD0–1CE8 …), and which
// ones depends on the ICU version and the runner's culture. So the neutraliser does not list them: any run of
// non-ASCII characters inside `##[` or a line-initial `::` is taken for a gap the runner may not see. Text without
// such a pattern is left byte for byte.
// `#`, `#`, `[` with nothing or only non-ASCII characters between them, anywhere.
const HASH_COMMAND = /#([\u0080-\uffff]*)#([\u0080-\uffff]*)\[/g;
// A line start as JavaScript, .NET or Unicode knows it (`^` with the m flag knows only \n, \r, U+2028, U+2029, not
// \v, \f or NEL, which Gate.message keeps), then blanks (what .NET's TrimStart takes: any white space) or non-ASCII
// characters, then `:` and, after only non-ASCII characters, another `:`. Line breaks are left out of the blanks (a
// break starts a line of its own) so that a run of them is read once, not once per break.
const COLON_COMMAND =
  /(^|[\n\r\v\f\u0085\u2028\u2029])([\t \u0080-\u0084\u0086-\u2027\u202a-\uffff]*):(?=[\u0080-\uffff]*:)/g;

/**
 * Workflow-command syntax made inert, in the way that changes the text least: `##[` anywhere becomes `## [`, and `::`
 * at the start of a line (after white space) becomes `: :`; the same with non-ASCII characters inside (`#\u0591#[` →
 * `#\u0591# [`), which ICU's comparison may skip. The runner then sees no command; a reader still reads the text.
 * Applied to everything printed: the action's own messages never contain either form.
 */
export function neutraliseCommands(text: string): string {
  return text.replace(HASH_COMMAND, "#$1# $2[").replace(COLON_COMMAND, "$1$2: ");
}

/**
 * The spellings of a secret a reader could meet: as is; URL-encoded (upper- and lowercase hex, and as a form field:
 * URLSearchParams writes a space as `+` and `~` as `%7E`; each of those encoded once more), and with every byte
 * percent-encoded; JSON-escaped (as JSON.stringify writes it, as other serialisers write it: jsonForms, and with every
 * character a `\uXXXX` escape, as some serialisers do); the hex of its UTF-8 bytes; base64 and base64url of its
 * UTF-8 and of its UTF-16LE bytes at each of the three byte offsets the secret may stand at inside a longer encoded
 * value; and Markdown-escaped by the report.
 *
 * Each spelling is searched in every printed text (Gate.maskKnown), and they are computed once, when the secret is
 * added: an Entra client secret has 18, a JWT 13, a SAS signature with `/`, `+` and `=` in it 29.
 */
function spellings(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  const forms = new Set([
    secret,
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    new URLSearchParams({ s: secret }).toString().slice(2),
    // Encoded twice (a form body inside a URL-encoded value): an Entra client secret's `~` is then `%257E`.
    encodeURIComponent(encoded),
    encodeURIComponent(new URLSearchParams({ s: secret }).toString().slice(2)),
    JSON.stringify(secret).slice(1, -1),
    unicodeEscaped(secret, false),
    unicodeEscaped(secret, true),
    entityEscape(secret),
    entityEscape(encoded),
    percentEncodedAll(secret, false),
    percentEncodedAll(secret, true),
  ]);
  for (const form of jsonForms(secret)) forms.add(form);
  for (const form of hexForms(secret)) forms.add(form);
  for (const form of base64Forms(Buffer.from(secret, "utf8"))) forms.add(form);
  // What PowerShell's -EncodedCommand takes (a Windows Custom Script extension's commandToExecute or its status may
  // carry it). A UTF-16 value starts at an even byte offset, which is each of the three offsets mod 3 in turn.
  for (const form of base64Forms(Buffer.from(secret, "utf16le"))) forms.add(form);
  return [...forms].filter((form) => form !== "");
}

/** Every UTF-8 byte as `%XX` (`abc` → `%61%62%63`), as some URL encoders and debugging tools write it. */
function percentEncodedAll(secret: string, upper: boolean): string {
  const hex = Buffer.from(secret, "utf8").toString("hex");
  return (upper ? hex.toUpperCase() : hex).replace(/../g, "%$&");
}

// Characters a JSON serialiser may write as `\uXXXX` though JSON does not require it. System.Text.Json's default
// encoder (JavaScriptEncoder.Default) escapes the HTML-sensitive `<`, `>`, `&`, `'`, `"`, `+` (its
// ForbidHtmlCharacters), and `` ` `` and every non-ASCII character, with uppercase hex (`+` → `\u002B`); `/` and `=`
// it leaves. Gson (HTML-safe by default) escapes `<`, `>`, `&`, `=`, `'` with lowercase hex (`=` → `\u003d`).
// STJ's set is read from System.Text.Encodings.Web's source (ForbidHtmlCharacters) and its documentation; its
// uppercase hex, the backtick and Gson's set are assumed: nothing was run (no .NET or JVM on this machine). Both hex
// cases are tried for both sets, and both sets together, so a serialiser that escapes `+` and `=` is covered too.
const STJ_ESCAPED = /[<>&'"+`\u0080-\uffff]/;
const GSON_ESCAPED = /[<>&=']/;
const HTML_ESCAPED = /[<>&'"+=`\u0080-\uffff]/;

/**
 * The secret as JSON serialisers other than JSON.stringify write it: `/` as `\/` (PHP's json_encode, .NET's
 * DataContractJsonSerializer, the older ASP.NET serialisers) or not, times the characters of STJ_ESCAPED,
 * GSON_ESCAPED or both as `\uXXXX` (upper- or lowercase hex) or none. A SAS signature is base64 (`/`, `+`, `=`): up to
 * 14 distinct spellings; a secret with none of these characters has only JSON.stringify's.
 */
function jsonForms(secret: string): string[] {
  // Most secrets (a JWT, an Entra client secret) have none of these characters: JSON.stringify's spelling is the one.
  if (!/[/<>&'"+=`\u0080-\uffff]/.test(secret)) return [];
  const forms: string[] = [];
  for (const slash of [false, true]) {
    for (const escaped of [undefined, STJ_ESCAPED, GSON_ESCAPED, HTML_ESCAPED]) {
      for (const upper of [true, false]) {
        let form = "";
        for (let i = 0; i < secret.length; i++) {
          const c = secret.charAt(i);
          if (escaped?.test(c) === true) form += unicodeEscape(c, upper);
          else if (slash && c === "/") form += "\\/";
          else form += JSON.stringify(c).slice(1, -1);
        }
        forms.push(form);
      }
    }
  }
  return forms;
}

/**
 * The hex of the secret's UTF-8 bytes, lower- and uppercase (`xxd -p`, a hexdump-ish log line), from MIN_HEX_LENGTH
 * hex digits: hex digits stand in every commit hash and request ID, and the hex of a 4-character secret is 8 of them.
 */
function hexForms(secret: string): string[] {
  const hex = Buffer.from(secret, "utf8").toString("hex");
  return hex.length < MIN_HEX_LENGTH ? [] : [hex, hex.toUpperCase()];
}

/** Every UTF-16 code unit as `\uXXXX` (hex in lower or upper case). */
function unicodeEscaped(secret: string, upper: boolean): string {
  return Array.from({ length: secret.length }, (_, i) => unicodeEscape(secret.charAt(i), upper)).join("");
}

/** One UTF-16 code unit as `\uXXXX`. */
function unicodeEscape(c: string, upper: boolean): string {
  const hex = c.charCodeAt(0).toString(16).padStart(4, "0");
  return `\\u${upper ? hex.toUpperCase() : hex}`;
}

/**
 * The base64 (and base64url) of the secret's `bytes` as they appear inside the base64 of a longer value, for each
 * of the three offsets (mod 3) at which the secret can start: as the GitHub runner masks a registered secret
 * (actions/runner ValueEncoders: Base64StringEscape, …Shift1, …Shift2 — e.g. `user:password` in a Basic header).
 * Only the characters fixed by the secret's own bytes are kept: at offset 1 the first two characters and at offset 2
 * the first three also carry bits of the bytes before it, and the last character of a partial group carries bits of
 * the bytes after it (or is padding). Cores shorter than MIN_BASE64_CORE are left out: four or five base64
 * characters occur by chance in any long encoded value.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (const offset of [0, 1, 2]) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    let text = padded.toString("base64").replace(/=+$/, "");
    if (padded.length % 3 !== 0) text = text.slice(0, -1);
    const core = text.slice([0, 2, 3][offset]);
    if (core.length < MIN_BASE64_CORE) continue;
    forms.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return forms;
}

/** Secrets shorter than this are not replaced: replacing `1` would blank out ordinary text everywhere. */
const MIN_SECRET_LENGTH = 4;

/** See base64Forms. */
const MIN_BASE64_CORE = 6;

/**
 * See hexForms: 16 hex digits (a secret of 8 bytes and more) is longer than an abbreviated commit hash (7–12) and a
 * GUID's longest group (12), so a hex spelling can match ordinary text only inside a longer hex run, by a 2^-64 chance.
 */
const MIN_HEX_LENGTH = 16;

/**
 * From this length, a spelling of a secret is also found with white space (line breaks included) between any two of
 * its characters: a script or an Azure message may wrap a long value, and once the gate puts the text on one line
 * (`line`) the two halves could no longer be matched. 12 characters: the secrets a run knows are far longer (client
 * secrets ~40, SAS signatures 44+, tokens hundreds), while a short value spread over white space (`t e s t`) would
 * mask ordinary text. A spelling with white space of its own (a raw secret may have it: a pass phrase) is looked for
 * with its white space taken out too, as spreadSpans takes every white space out of the text: `correct horse
 * battery staple` is found wrapped as `correct horse\u00A0\nbattery staple`. The length counted is that of the
 * spelling without its white space.
 */
const MIN_SPREAD_LENGTH = 12;

/** White space the gate may find inside a wrapped secret: what `\s` knows, and NEL, a line break to .NET. */
const GAP = /[\s\u0085]/;
const GAPS = /[\s\u0085]+/g;

/**
 * Every place where one of `forms` stands in `text` with white space between some of its characters, as spans of
 * `text` to mask. The text is read once with its white space taken out (remembering where each character stood), and
 * each form is looked for in that: a plain substring search, whatever the form's length (a token's `\uXXXX` spelling
 * is thousands of characters, too many for one regular expression).
 */
function spreadSpans(text: string, forms: readonly string[]): Array<[number, number]> {
  if (forms.length === 0 || !GAP.test(text)) return [];
  let squeezed = "";
  const at: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (GAP.test(c)) continue;
    squeezed += c;
    at.push(i);
  }
  const spans: Array<[number, number]> = [];
  for (const form of forms) {
    for (let i = squeezed.indexOf(form); i >= 0; i = squeezed.indexOf(form, i + form.length)) {
      spans.push([at[i] ?? 0, (at[i + form.length - 1] ?? 0) + 1]);
    }
  }
  return spans;
}

/** `text` with each of `spans` (possibly overlapping) replaced by one MASK. */
function maskSpans(text: string, spans: Array<[number, number]>): string {
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let from = 0;
  for (const [start, end] of spans) {
    if (end <= from) continue;
    if (start >= from) out += text.slice(from, start) + MASK;
    from = end;
  }
  return out + text.slice(from);
}

export class Gate {
  private readonly forms = new Set<string>();
  /** Longest first, so a secret that contains another is replaced whole. */
  private ordered: string[] = [];
  /**
   * The long forms with their own white space taken out, found with white space between any of their characters
   * (spreadSpans), longest first.
   */
  private spread: string[] = [];
  /** Forms found only as spelled (addSecret's `exact`). */
  private readonly exact = new Set<string>();
  /** Secrets added and not yet learnt (addSecret). */
  private pending: { readonly secret: string; readonly exact: boolean }[] = [];

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.addSecret(secret);
  }

  /**
   * A value the run knows to be secret (client secret, SAS signature, access token as it is issued). `exact`: only as
   * it is spelled, never with white space between its characters: for a value chosen by whoever writes the scale
   * set's model, which spread out could match the action's own prose (`theRolloutFailed…` in `the rollout failed…`).
   */
  addSecret(secret: string, options: { readonly exact?: boolean } = {}): void {
    if (secret.trim().length < MIN_SECRET_LENGTH) return;
    // Learnt when the gate next masks text (maskKnown, which everything printed goes through), not now: an access
    // token is added as it is issued, right before the SDK sends the request it signs, and its spellings (a few KB
    // each: 2–3 ms once the code is warm, the client secret's having warmed it) were computed before the run's first
    // ARM request (issue #18; `npm run bench:startup`: within its noise). Nothing is printed through the gate without
    // learning what was added first.
    this.pending.push({ secret, exact: options.exact === true });
  }

  /** The secrets added since the last mask, learnt in the order they were added. */
  private learnPending(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const { secret, exact } of pending) this.learn(secret, exact ? { exact } : {});
  }

  private learn(secret: string, options: { readonly exact?: boolean }): void {
    let added = false;
    for (const form of spellings(secret)) {
      // A secret the run knows outright is searched for spread out too, whichever way it was registered first.
      if (options.exact !== true && this.exact.delete(form)) added = true;
      if (this.forms.has(form)) continue;
      this.forms.add(form);
      if (options.exact === true) this.exact.add(form);
      added = true;
    }
    if (!added) return;
    this.ordered = [...this.forms].sort((a, b) => b.length - a.length);
    const squeezed = new Set(
      this.ordered.filter((form) => !this.exact.has(form)).map((form) => form.replace(GAPS, "")),
    );
    this.spread = [...squeezed].filter((form) => form.length >= MIN_SPREAD_LENGTH).sort((a, b) => b.length - a.length);
  }

  /** Every known secret, in every spelling, replaced by `***`; a long one also when white space splits it. */
  maskKnown(text: string): string {
    this.learnPending();
    let masked = text;
    for (const form of this.ordered) if (masked.includes(form)) masked = masked.split(form).join(MASK);
    return maskSpans(masked, spreadSpans(masked, this.spread));
  }

  /**
   * Text before it is escaped or stored: control and invisible characters removed first (a secret split by a soft
   * hyphen would otherwise be shown whole once they are gone), then known secrets and secret-shaped values masked,
   * URL queries removed. Line breaks are kept.
   */
  redact(text: string): string {
    return redactText(this.maskKnown(visibleOnly(text)));
  }

  /**
   * A log line (core.info, core.debug, group names, annotation titles): redacted, on one line, no command in it. Known
   * secrets are looked for again once the line is joined: a secret with white space of its own, too short for the
   * white-space-tolerant search, may be whole only then (`ab cd\nef` → `ab cd ef`).
   */
  line(text: string): string {
    return neutraliseCommands(this.maskKnown(oneLine(this.redact(text))));
  }

  /**
   * An annotation's message or the run's failure message: redacted, no command in it. Line breaks stay (core escapes
   * them as `%0A` in the command's data, so they can never start a line of the log); control and invisible
   * characters go.
   */
  message(text: string): string {
    return neutraliseCommands(this.redact(text));
  }

  /** A plain data value (the record) with every string in it redacted; numbers, booleans and shape kept as they are. */
  scrub<T>(value: T): T {
    return this.scrubValue(value) as T;
  }

  private scrubValue(value: unknown): unknown {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.scrubValue(item));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.scrubValue(item)]));
    }
    return value;
  }
}
