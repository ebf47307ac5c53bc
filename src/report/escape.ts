// Text from Azure (error messages, names, states) goes into GitHub-flavoured Markdown with HTML. core.summary does
// not escape anything, so every such string passes through here first.

import { redactText } from "../shared/redact.ts";

const REDACTED = "?[query removed]";

/**
 * redactText, made safe to apply twice: text the engine already redacted keeps its `?[query removed]` marker
 * instead of growing a second one (redactText would read `?[query` as the start of a query string).
 */
export function redact(text: string): string {
  const protectedText = text.split(REDACTED).join("\u0000");
  return redactText(protectedText).split("\u0000").join(REDACTED);
}

/** Cuts text to `max` characters (whole code points), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

// Characters that mean something to Markdown, GitHub's extensions (tables, math, strikethrough) or HTML, replaced
// by numeric character references: they render as the character itself and never as markup, inside table cells,
// inline HTML elements and list items alike.
const SPECIAL = /[&<>"'|`*_[\]~\\$]/g;

/**
 * Azure-provided text as one line of inert Markdown: SAS query strings removed, truncated, line breaks turned into
 * `<br>` (or spaces), and every markup character replaced by its character reference.
 */
export function inline(text: string, options: { max?: number; breaks?: boolean } = {}): string {
  const { max = 500, breaks = false } = options;
  const lines = truncate(redact(text).trim(), max).split(/\r\n|\r|\n/);
  const escaped = lines.map((line) => line.replace(SPECIAL, (c) => `&#${c.codePointAt(0)};`));
  return breaks ? escaped.filter((line) => line.trim() !== "").join("<br>") : escaped.join(" ").replace(/\s+/g, " ");
}

/** Azure-provided value in a `<code>` element (a Markdown code span would show the character references verbatim). */
export function code(text: string, max = 200): string {
  return `<code>${inline(text, { max })}</code>`;
}

/** A link to an https URL around `label` (markup, already escaped); anything else leaves the label alone. */
export function link(label: string, url: string): string {
  if (!/^https:\/\/[^\s"'<>]+$/i.test(url)) return label;
  return `<a href="${url.replace(/&/g, "&amp;")}">${label}</a>`;
}
