// Every relative link and image in the project's Markdown resolves: the file exists, and a #fragment names a heading
// of that file (as GitHub makes heading anchors). External links are not fetched: the tests run offline.

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type Token, type Tokens, lexer, walkTokens } from "marked";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set(["node_modules", ".git", "dist", "coverage", "build", "__snapshots__", "out", "results"]);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.has(name) || name.startsWith(".tmp")) return [];
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  void walkTokens(lexer(markdown), (token: Token) => {
    if (token.type !== "heading") return;
    const text = plainText((token as Tokens.Heading).tokens);
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  });
  return result;
}

function plainText(tokens: Token[]): string {
  return tokens
    .map((t) => ("tokens" in t && Array.isArray(t.tokens) ? plainText(t.tokens) : "text" in t ? String(t.text) : ""))
    .join("");
}

function links(markdown: string): string[] {
  const hrefs: string[] = [];
  void walkTokens(lexer(markdown), (token: Token) => {
    if (token.type === "link" || token.type === "image") hrefs.push((token as Tokens.Link | Tokens.Image).href);
  });
  return hrefs;
}

const FILES = markdownFiles(ROOT).map((path) => relative(ROOT, path));

describe("links in the documentation", () => {
  it("covers the README, the changelog, CONTRIBUTING and docs/", () => {
    expect(FILES).toEqual(
      expect.arrayContaining([
        "README.md",
        "CHANGELOG.md",
        "CONTRIBUTING.md",
        "docs/troubleshooting.md",
        "docs/benchmark.md",
      ]),
    );
  });

  it.each(FILES)("every relative link in %s resolves", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    const broken: string[] = [];
    for (const href of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto: …: not fetched offline
      const [path = "", fragment] = href.split("#");
      const target = path === "" ? join(ROOT, file) : join(dirname(join(ROOT, file)), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${href}: no file ${relative(ROOT, target)}`);
      } else if (
        fragment !== undefined &&
        target.endsWith(".md") &&
        !anchors(readFileSync(target, "utf8")).has(fragment)
      ) {
        broken.push(`${href}: no heading #${fragment} in ${relative(ROOT, target)}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("makes anchors as GitHub does", () => {
    expect([...anchors("# When sign-in fails\n## `LinkedAuthorizationFailed`\n## A, b & c\n## A, b & c\n")]).toEqual([
      "when-sign-in-fails",
      "linkedauthorizationfailed",
      "a-b--c",
      "a-b--c-1",
    ]);
  });
});
