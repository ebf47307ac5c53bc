// What a release needs: the tag the release workflow accepts, its notes from CHANGELOG.md, action.yml's Marketplace
// metadata, the licence, and README pins that name the tags a release creates.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { majorTag, releaseNotes, releaseVersion, unwrap } from "../../scripts/release-notes.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  version: string;
  license: string;
  engines: { node: string };
  devDependencies: Record<string, string>;
};

describe("releaseVersion", () => {
  it("accepts vX.Y.Z when it is package.json's version", () => {
    expect(releaseVersion("v1.2.3", "1.2.3")).toBe("1.2.3");
    expect(releaseVersion("v10.0.12", "10.0.12")).toBe("10.0.12");
  });

  it.each(["1.2.3", "v1.2", "v1", "v1.2.3-rc.1", "v1.2.3+build", "v01.2.3", "refs/tags/v1.2.3", ""])(
    "refuses %j: not a release tag",
    (tag) => {
      expect(() => releaseVersion(tag, "1.2.3")).toThrow("is not a release tag: expected vX.Y.Z");
    },
  );

  it("refuses a tag that is not package.json's version, saying how to fix it", () => {
    expect(() => releaseVersion("v1.2.4", "1.2.3")).toThrow(
      "tag v1.2.4 does not match package.json's version 1.2.3: set it with 'npm version 1.2.4 --no-git-tag-version'",
    );
  });

  it("the major tag of vX.Y.Z is vX", () => {
    expect(majorTag("v1.2.3")).toBe("v1");
    expect(majorTag("v12.0.0")).toBe("v12");
  });
});

describe("releaseNotes", () => {
  const changelog = [
    "# Changelog",
    "",
    "## [Unreleased]",
    "",
    "### Fixed",
    "- not yet",
    "",
    "## [1.1.0] - 2027-01-15",
    "",
    "### Added",
    "- `canary` accepts 0.",
    "",
    "## [1.0.0] - 2026-12-03",
    "",
    "The first release.",
    "",
    "[Unreleased]: https://github.com/o/r/compare/v1.1.0...HEAD",
    "[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0",
    "",
  ].join("\n");

  it("is the section of the version, without its heading, the next section or the link definitions", () => {
    expect(releaseNotes(changelog, "1.1.0")).toBe("### Added\n- `canary` accepts 0.\n");
    expect(releaseNotes(changelog, "1.0.0")).toBe("The first release.\n");
  });

  it("refuses a version without a section, a section without a date, and an empty one", () => {
    expect(() => releaseNotes(changelog, "1.2.0")).toThrow("CHANGELOG.md has no section '## [1.2.0] - YYYY-MM-DD'");
    expect(() => releaseNotes(changelog.replace("## [1.1.0] - 2027-01-15", "## [1.1.0]"), "1.1.0")).toThrow(
      "should read '## [1.1.0] - YYYY-MM-DD'",
    );
    expect(() => releaseNotes("## [1.0.0] - 2026-12-03\n\n## [0.9.0] - 2026-11-01\n- x\n", "1.0.0")).toThrow(
      "is empty",
    );
  });

  it("matches the version literally (1x0x0 is not 1.0.0)", () => {
    expect(() => releaseNotes("## [1x0x0] - 2026-12-03\n- x\n", "1.0.0")).toThrow("has no section");
  });
});

describe("unwrap", () => {
  it("joins hard-wrapped paragraphs and list items (GitHub shows every line break of a release's notes)", () => {
    const wrapped = [
      "The first",
      "release.",
      "",
      "### Added",
      "- one item that",
      "  goes on",
      "- two",
      "1. three",
      "   and more",
      "",
      "| a | b |",
      "| - | - |",
      "```sh",
      "npm ci",
      "npm test",
      "```",
      "after",
      "the code",
    ].join("\n");
    expect(unwrap(wrapped)).toBe(
      [
        "The first release.",
        "",
        "### Added",
        "- one item that goes on",
        "- two",
        "1. three and more",
        "",
        "| a | b |",
        "| - | - |",
        "```sh",
        "npm ci",
        "npm test",
        "```",
        "after the code",
      ].join("\n"),
    );
  });
});

describe("this version can be released", () => {
  it("CHANGELOG.md has a dated section for package.json's version, and an [Unreleased] one above it", () => {
    const changelog = read("CHANGELOG.md");
    expect(releaseNotes(changelog, pkg.version).length).toBeGreaterThan(0);
    expect(changelog.indexOf("## [Unreleased]")).toBeGreaterThan(-1);
    expect(changelog.indexOf("## [Unreleased]")).toBeLessThan(changelog.indexOf(`## [${pkg.version}]`));
  });

  it("the README tells users to pin the tags a release creates: the major tag or vX.Y.Z of this major version", () => {
    const pins = [...read("README.md").matchAll(/vmss-rollout\/vmss-rollout@([\w.<> -]+)/g)].map((m) => m[1] ?? "");
    expect(pins.length).toBeGreaterThan(5);
    const major = majorTag(`v${pkg.version}`);
    for (const pin of pins) {
      if (pin.startsWith("<full commit SHA>")) continue;
      expect(pin === major || releaseVersion(pin, pin.slice(1)).startsWith(`${major.slice(1)}.`), pin).toBe(true);
    }
  });
});

describe("action.yml for the Marketplace", () => {
  const action = parse(read("action.yml")) as {
    name: string;
    description: string;
    author: string;
    branding: { icon: string; color: string };
    runs: { using: string };
  };

  it("has a description the Marketplace accepts (under 125 characters), an author and branding", () => {
    expect(action.description.length).toBeGreaterThan(20);
    expect(action.description.length).toBeLessThan(125);
    expect(action.author).toMatch(/\S/);
    expect(action.branding).toEqual({ icon: "refresh-cw", color: "blue" });
  });

  it("runs on the Node major version the project brings, and package.json's engines say the same", () => {
    const major = (pkg.devDependencies.node ?? "").split(".")[0];
    expect(action.runs.using).toBe(`node${major}`);
    expect(pkg.engines.node).toBe(`>=${major}`);
  });
});

describe("LICENSE", () => {
  it("is the MIT licence package.json names", () => {
    expect(pkg.license).toBe("MIT");
    expect(read("LICENSE")).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} .+\n\nPermission is hereby granted, free of charge/,
    );
  });
});
