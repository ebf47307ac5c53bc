// Rewrites every dist/*.js so that it holds ASCII only: each character beyond U+007F becomes its \uXXXX escape (a
// character beyond U+FFFF, its two surrogates'), as esbuild's default `charset: ascii` does. Node decodes a source
// file of ASCII only into a one-byte string and V8 scans it faster: the bundle is 4.4 MB and its non-ASCII characters
// (the action's own "→", "…", "—" and its dependencies') made it a two-byte string of 8.8 MB, decoded and compiled at
// every start (docs/benchmark.md, "Start-up"; `npm run bench:startup` compares bundles).
//
// Every place such a character can stand in JavaScript takes the escape with the same meaning: string and template
// literals (cooked), regular expressions (with the u flag a lead and trail surrogate escape are one code point),
// identifiers, comments. Only a template's raw text differs (String.raw); the bundle's tests run on dist.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = join(import.meta.dirname, "..", "dist");
for (const name of readdirSync(dist).filter((f) => f.endsWith(".js"))) {
  const path = join(dist, name);
  const source = readFileSync(path, "utf8");
  // A backslash right before such a character (an identity escape, "\é") would turn into an escaped backslash: none is
  // in the bundle today; a dependency that brings one stops the build rather than change its meaning.
  const escaped = /(?<!\\)(?:\\\\)*\\[\u0080-\uffff]/.exec(source);
  if (escaped !== null) throw new Error(`${name}: a backslash before a non-ASCII character at ${escaped.index}`);
  // UTF-16 code units, one by one: a character beyond U+FFFF is two of them, each escaped.
  const ascii = source.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (ascii !== source) writeFileSync(path, ascii);
}
