// The test-side reader of the runner's command processing (test/support/runner-log.ts), checked against the runner's
// documented behaviour, so the hostile-Azure suite's verdicts can be trusted.
import { describe, expect, it } from "vitest";
import { readLikeRunner } from "../../support/runner-log.ts";

const names = (stdout: string) => readLikeRunner({ stdout }).commands.map((c) => `${c.form}${c.name}=${c.data}`);

describe("readLikeRunner", () => {
  it.each([
    ["::warning title=t::msg", ["::warning=msg"]],
    ["   ::error::indented", ["::error=indented"]],
    ["text ::error::not at the start", []],
    ["::unknown::x", []],
    ["::WARNING::case", ["::warning=case"]],
    ["prefix ##[warning]legacy anywhere", ["##[warning=legacy anywhere"]],
    ["::notacommand:: then ##[error]legacy", ["##[error=legacy"]],
    ["## [error]broken up", []],
    ["::error::a%0Ab%25", ["::error=a\nb%"]],
    ["\u200B::add-mask::zero-width space first", ["::add-mask=zero-width space first"]],
    ["x #\u00AD#[stop-commands]soft hyphen", ["##[stop-commands=soft hyphen"]],
  ])("%j", (line, expected) => {
    expect(names(line)).toEqual(expected);
  });

  it("stop-commands stops everything until its token, add-mask included", () => {
    const view = readLikeRunner({
      stdout: [
        "x ##[stop-commands]tok",
        "::add-mask::secret-1",
        "::error::ignored",
        "::tok::",
        "::add-mask::secret-2",
      ].join("\n"),
    });
    expect(view.commands.map((c) => c.name)).toEqual(["stop-commands", "tok", "add-mask"]);
    expect(view.masks).toEqual(["secret-2"]);
    expect(view.shown).toContain("::add-mask::secret-1");
    expect(view.readWhileStopped).toEqual(["::add-mask::secret-1", "::error::ignored", "::tok::"]);
  });

  it("masks registered secrets in later lines", () => {
    const view = readLikeRunner({ stdout: "::add-mask::s3cr3t\nvalue s3cr3t here", stderr: "s3cr3t on stderr" });
    expect(view.shown).toEqual(["::add-mask::***", "value *** here", "*** on stderr"]);
  });
});
