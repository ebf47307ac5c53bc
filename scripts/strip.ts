// Rewrites every dist/*.js without its comments and without the blanks that start and end its lines: a third of the
// bundle that Node reads, decodes and V8 scans at every start, before the action's first request (docs/benchmark.md,
// "Start-up": the first ARM request about 15 ms sooner on the benchmark's machine). Only those characters go: every
// token of the code stays as it was (names, strings, line breaks between statements), so stack traces keep their
// function names and the code stays readable, unlike a minifier's (whose output also compiles slower here).
//
// Kept: the comments a minifier keeps by convention (`/*!`, `@license`, `@preserve`: the bundled packages' licence
// banners; their licences are in dist/licenses.txt as well). A block comment that spans lines becomes a line break,
// since a line break there can decide where a statement ends (automatic semicolon insertion); any other comment becomes
// a space. Blanks inside a string, template or regular expression are never touched (a template's line indentation is
// its text). The result is tokenized again and must give the same tokens as the input, or the build stops.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, tokenizer, type Options, type Token } from "acorn";

const OPTIONS: Options = { ecmaVersion: "latest", sourceType: "module", allowHashBang: true };
const KEEP_COMMENT = /^\/\*!|@license|@preserve/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Each token as text that tells it apart: its kind, its exact text, and whether a line break (a comment's too) comes
 * before it, which automatic semicolon insertion goes by.
 */
function tokenKeys(source: string): string[] {
  let end = 0;
  return [...tokenizer(source, OPTIONS)].map((t: Token) => {
    const broken = LINE_BREAK.test(source.slice(end, t.start));
    end = t.end;
    return `${t.type.label}\u0000${source.slice(t.start, t.end)}\u0000${broken}`;
  });
}

/** The comments, and the spans whose blanks mean something: strings, templates, regular expressions, kept comments. */
function scan(source: string): { comments: (Span & { readonly keep: boolean })[]; literals: Span[] } {
  const comments: (Span & { readonly keep: boolean })[] = [];
  const literals: Span[] = [];
  parse(source, {
    ...OPTIONS,
    onComment: (_block, _text, start, end) => {
      const keep = KEEP_COMMENT.test(source.slice(start, end));
      comments.push({ start, end, keep });
      if (keep) literals.push({ start, end });
    },
    onToken: (t) => {
      if (["string", "template", "regexp"].includes(t.type.label)) literals.push({ start: t.start, end: t.end });
    },
  });
  return { comments, literals: literals.sort((a, b) => a.start - b.start) };
}

/** The source without its comments (but licence banners) and without blanks around its line breaks. */
export function stripSource(source: string): string {
  let uncommented = "";
  let at = 0;
  for (const { start, end, keep } of scan(source).comments) {
    if (keep) continue;
    const text = source.slice(start, end);
    uncommented += source.slice(at, start) + (text.startsWith("//") ? "" : LINE_BREAK.test(text) ? "\n" : " ");
    at = end;
  }
  uncommented += source.slice(at);

  // The literals moved with the comments gone: scan again.
  const { literals } = scan(uncommented);
  let stripped = "";
  at = 0;
  let next = 0;
  for (const match of uncommented.matchAll(/[ \t]*(?:\r?\n[ \t]*)+/g)) {
    while (next < literals.length && literals[next]!.end <= match.index) next++;
    if ((literals[next]?.start ?? Infinity) <= match.index) continue; // inside a literal
    stripped += uncommented.slice(at, match.index) + "\n";
    at = match.index + match[0].length;
  }
  stripped += uncommented.slice(at);

  const before = tokenKeys(source);
  const after = tokenKeys(stripped);
  const differs = before.findIndex((key, i) => key !== after[i]);
  if (differs !== -1 || before.length !== after.length)
    throw new Error(`stripping changed the code at token ${differs === -1 ? before.length : differs}`);
  return stripped;
}

if (process.argv[1] === import.meta.filename) {
  const dist = join(import.meta.dirname, "..", "dist");
  for (const name of readdirSync(dist).filter((f) => f.endsWith(".js"))) {
    const path = join(dist, name);
    writeFileSync(path, stripSource(readFileSync(path, "utf8")));
  }
}
