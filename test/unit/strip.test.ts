// scripts/strip.ts, which `npm run build` runs on every dist/*.js: comments and the blanks around line breaks go, the
// code's tokens and its line breaks between tokens stay (docs/benchmark.md, "Start-up").
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { stripSource } from "../../scripts/strip.ts";

describe("stripSource", () => {
  it.each([
    ["a line comment", "const a = 1; // one\nconst b = 2;\n", "const a = 1;\nconst b = 2;\n"],
    ["a block comment on one line becomes a space", "const a =/* x */1;\n", "const a = 1;\n"],
    ["indentation and blank lines", "function f() {\n    return 1;\n\n\n}\n", "function f() {\nreturn 1;\n}\n"],
    [
      "webpack's module markers",
      "var m = ({\n/***/ 12:\n/***/ ((m) => {\n  m.x = 1;\n/***/ })\n});\n",
      "var m = ({\n12:\n((m) => {\nm.x = 1;\n})\n});\n",
    ],
    // A line break, even one inside a comment, ends `return`'s statement: it must stay one.
    [
      "a block comment spanning lines stays a line break",
      "function f() { return /* a\n b */ 1 }\n",
      "function f() { return\n1 }\n",
    ],
    ["a licence banner is kept", "/*! pkg v1 | MIT */\nconst a = 1;\n", "/*! pkg v1 | MIT */\nconst a = 1;\n"],
    ["@license too", "/**\n * @license MIT\n */\nconst a = 1;\n", "/**\n * @license MIT\n */\nconst a = 1;\n"],
    ["a template's indentation is its text", "const t = `a\n    b // c\n`;\n", "const t = `a\n    b // c\n`;\n"],
    ["a string's line continuation", 'const s = "a\\\n    b";\n', 'const s = "a\\\n    b";\n'],
    ["a regular expression with //", "const r = /a\\/\\/b/; // c\n", "const r = /a\\/\\/b/;\n"],
    ["the text after a template's substitution", "const t = `${1}\n  x`;\n", "const t = `${1}\n  x`;\n"],
  ])("%s", (_name, source, expected) => {
    expect(stripSource(source)).toBe(expected);
  });

  it("leaves a program that computes the same", () => {
    // Line breaks that decide where statements end (automatic semicolon insertion), a comment among them.
    const source = [
      "const f = (x) => {",
      "  // double it",
      "  return /* not here:",
      "  */ x * 2; /* done */",
      "};",
      "let n = 1",
      "  /* a comment */",
      "++n",
      "const t = `line",
      "    indented`;",
      "[f(21), n, t];",
    ].join("\n");
    const stripped = stripSource(source);
    expect(stripped.length).toBeLessThan(source.length);
    expect(runInNewContext(stripped)).toEqual(runInNewContext(source));
    expect(runInNewContext(stripped)).toEqual([undefined, 2, "line\n    indented"]);
  });
});
