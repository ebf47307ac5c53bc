// The notes of a release: its section of CHANGELOG.md, after checking that the tag can be released.
// The release workflow (.github/workflows/release.yml) runs it on the pushed tag; run it yourself before tagging:
//
//   node scripts/release-notes.ts v1.2.3     prints the notes; exits 1, saying why, when v1.2.3 cannot be released
//
// A tag can be released when it is `vX.Y.Z` (no pre-release or build suffix: the major tag `vX` follows every
// release), X.Y.Z is package.json's version, and CHANGELOG.md has a dated, non-empty `## [X.Y.Z] - YYYY-MM-DD`.

import { readFileSync } from "node:fs";

const ROOT = new URL("../", import.meta.url);

/** X.Y.Z of a release tag `vX.Y.Z`, checked against package.json's version. Throws with the reason otherwise. */
export function releaseVersion(tag: string, packageVersion: string): string {
  const match = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(tag);
  if (match === null) {
    throw new Error(`tag '${tag}' is not a release tag: expected vX.Y.Z, such as v1.2.3 (no suffix)`);
  }
  const version = tag.slice(1);
  if (version !== packageVersion) {
    throw new Error(
      `tag ${tag} does not match package.json's version ${packageVersion}: ` +
        `set it with 'npm version ${version} --no-git-tag-version' and commit, then tag that commit`,
    );
  }
  return version;
}

/** The major tag a release moves: `v1` for v1.2.3. */
export function majorTag(tag: string): string {
  return tag.slice(0, tag.indexOf("."));
}

/** The body of CHANGELOG.md's `## [version] - YYYY-MM-DD` section, without its heading. Throws when there is none. */
export function releaseNotes(changelog: string, version: string): string {
  const lines = changelog.split(/\r?\n/);
  const escaped = version.replaceAll(".", "\\.");
  const start = lines.findIndex((line) => new RegExp(`^## \\[${escaped}\\]`).test(line));
  if (start === -1) {
    throw new Error(`CHANGELOG.md has no section '## [${version}] - YYYY-MM-DD': move [Unreleased]'s entries into one`);
  }
  const heading = lines[start] ?? "";
  if (!new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}$`).test(heading)) {
    throw new Error(`CHANGELOG.md: '${heading}' should read '## [${version}] - YYYY-MM-DD' (the release date)`);
  }
  const end = lines.findIndex((line, i) => i > start && /^## |^\[[^\]]+\]: /.test(line));
  const body = lines
    .slice(start + 1, end === -1 ? undefined : end)
    .join("\n")
    .trim();
  if (body === "") throw new Error(`CHANGELOG.md's section for ${version} is empty`);
  return `${unwrap(body)}\n`;
}

/**
 * Joins hard-wrapped lines into their paragraph or list item. The changelog is wrapped at 120 columns, and GitHub
 * shows each line break of a release's notes as a break, as in a comment. Code blocks, tables and headings stay.
 */
export function unwrap(markdown: string): string {
  const out: string[] = [];
  let fenced = false;
  let joinable = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const startsBlock = /^\s*([-*+] |\d+[.)] |#|\||>|```|~~~|\[[^\]]+\]: )/.test(line) || line.trim() === "";
    if (!fenced && joinable && !startsBlock && out.length > 0) {
      out[out.length - 1] += ` ${line.trim()}`;
      continue;
    }
    out.push(line);
    joinable = !fenced && line.trim() !== "" && !/^\s*(#|\||```|~~~)/.test(line);
  }
  return out.join("\n");
}

if (import.meta.main) {
  const tag = process.argv[2] ?? "";
  try {
    const pkg = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { version: string };
    const version = releaseVersion(tag, pkg.version);
    process.stdout.write(releaseNotes(readFileSync(new URL("CHANGELOG.md", ROOT), "utf8"), version));
  } catch (error) {
    console.error(`cannot release ${tag || "(no tag given)"}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
