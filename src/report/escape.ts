// Text from Azure (error messages, names, states) goes into GitHub-flavoured Markdown with HTML. core.summary does
// not escape anything, so every such string passes through here first.

import { entityEscape } from "../shared/gate.ts";
import { redactText } from "../shared/redact.ts";

/**
 * Cuts text to `max` characters (whole code points), marking the cut with an ellipsis; `tail`: how many of the last
 * characters to keep after it (the cut is then in the middle).
 */
export function truncate(text: string, max: number, tail = 0): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const end = Math.max(0, Math.min(tail, max - 2));
  return `${chars.slice(0, max - 1 - end).join("")}…${chars.slice(chars.length - end).join("")}`;
}

// GitHub turns bare `https://…`, `www.…` and `name@host.tld` into links (GFM autolinks), even with every markup
// character escaped. A word joiner (U+2060, invisible) before the `:` of `://`, the `.` of `www.` and every `@` leaves
// the text as it reads but no longer a link: Azure's text never puts a link of its choosing beside the action's own.
const AUTOLINK = /(?=:\/\/)|(?<=\bwww)(?=\.)|(?=@)/gi;
const WORD_JOINER = "\u2060";

/**
 * Azure-provided text as one line of inert Markdown: secrets and SAS query strings removed (before anything changes
 * their spelling), truncated, line breaks turned into `<br>` (or spaces), every markup character replaced by its
 * character reference, and nothing left that GitHub would turn into a link, an image or HTML.
 */
export function inline(text: string, options: { max?: number; tail?: number; breaks?: boolean } = {}): string {
  const { max = 500, tail = 0, breaks = false } = options;
  const lines = truncate(redactText(text).trim(), max, tail).split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/);
  const escaped = lines.map((line) => entityEscape(line.replace(AUTOLINK, WORD_JOINER)).replace(/\u2060/g, "&#8288;"));
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
