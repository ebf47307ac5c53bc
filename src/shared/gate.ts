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
const LINE_BREAK = /[ \t]*(?:\r\n|[\n\r\v\f\u0085\u2028\u2029])[ \t]*/g;
// eslint-disable-next-line no-control-regex -- the control characters are what this matches
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;

// Characters a reader cannot see (soft hyphen, zero-width space and joiners, word joiner, BOM …). The runner finds `::`
// and `##[` with .NET's string.StartsWith(string) / IndexOf(string), which are culture-sensitive by default (.NET
// docs, "Best practices for comparing strings"); with ICU such comparisons skip these characters, so `#\u00AD#[` or a
// zero-width space before `::` may read as a command. Not tried against a real runner (assumed); removed either way,
// they carry nothing a log line needs.
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Control and invisible characters removed (tabs and line breaks kept). */
function visibleOnly(text: string): string {
  return text.replace(CONTROL, "").replace(INVISIBLE, "");
}

/** One line: every line break (and the blanks around it) becomes one space, control and invisible characters go. */
export function oneLine(text: string): string {
  return visibleOnly(text).replace(LINE_BREAK, " ");
}

/**
 * Workflow-command syntax made inert, in the way that changes the text least: `##[` anywhere becomes `## [`, and `::`
 * at the start of a line (after white space) becomes `: :`. The runner then sees no command; a reader still reads the
 * text. Applied to everything printed: the action's own messages never contain either form.
 */
export function neutraliseCommands(text: string): string {
  return text.replace(/##\[/g, "## [").replace(/^([\s\u0085]*):(?=:)/gm, "$1: ");
}

/** The spellings of a secret a reader could meet: as is, URL-encoded, JSON-escaped, and Markdown-escaped by the report. */
function spellings(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    entityEscape(secret),
  ]);
  forms.add(entityEscape(encodeURIComponent(secret)));
  return [...forms].filter((form) => form !== "");
}

/** Secrets shorter than this are not replaced: replacing `1` would blank out ordinary text everywhere. */
const MIN_SECRET_LENGTH = 4;

export class Gate {
  private readonly forms = new Set<string>();
  /** Longest first, so a secret that contains another is replaced whole. */
  private ordered: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.addSecret(secret);
  }

  /** A value the run knows to be secret (client secret, SAS signature, access token as it is issued). */
  addSecret(secret: string): void {
    if (secret.trim().length < MIN_SECRET_LENGTH) return;
    let added = false;
    for (const form of spellings(secret)) {
      if (this.forms.has(form)) continue;
      this.forms.add(form);
      added = true;
    }
    if (added) this.ordered = [...this.forms].sort((a, b) => b.length - a.length);
  }

  /** Every known secret, in every spelling, replaced by `***`. */
  maskKnown(text: string): string {
    let masked = text;
    for (const form of this.ordered) if (masked.includes(form)) masked = masked.split(form).join(MASK);
    return masked;
  }

  /**
   * Text before it is escaped or stored: control and invisible characters removed first (a secret split by a soft
   * hyphen would otherwise be shown whole once they are gone), then known secrets and secret-shaped values masked,
   * URL queries removed. Line breaks are kept.
   */
  redact(text: string): string {
    return redactText(this.maskKnown(visibleOnly(text)));
  }

  /** A log line (core.info, core.debug, group names, annotation titles): redacted, on one line, no command in it. */
  line(text: string): string {
    return neutraliseCommands(oneLine(this.redact(text)));
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
