// Reads an action's output the way the GitHub runner does, to test what a hostile line could make the runner do.
// Written from the runner's documented behaviour (actions/runner: ActionCommandManager.TryProcessCommand,
// ActionCommand.TryParseV2 / TryParse; docs "Workflow commands for GitHub Actions"), not from its code:
//
// - Every line of stdout AND stderr is offered to the command parser.
// - `::name props::data`: the line, once leading white space is trimmed, starts with `::`; the command info runs to the
//   next `::`; the name is the command info up to the first space; it must be a registered command (case-insensitive).
//   Data is unescaped (%25 %0D %0A).
// - `##[name props]data`: the older form, found ANYWHERE in the line (the first `##[`), up to the next `]`.
// - The V2 form is tried first; a line that is no V2 command may still hold a `##[` command.
// - `stop-commands` (either form) stops all processing; from then on only a command whose name is the stop token
//   (the data of stop-commands) is recognised, and it resumes processing. While stopped, `add-mask` does nothing: the
//   line is shown as it is.
// - `add-mask` registers its data as a secret; the runner shows its line as `::add-mask::***`.
// - Shown lines have every registered secret replaced by `***`.
// - The runner finds `::` and `##[` with .NET's StartsWith(string) / IndexOf(string), culture-sensitive by default;
//   under ICU these may skip default-ignorable code points (soft hyphen, zero-width space, word joiner …): assumed,
//   not tried on a runner. Modelled by removing them before matching: a stricter reader than an ordinal one.

/** Commands the runner knows (its command extensions), plus `stop-commands`. */
export const RUNNER_COMMANDS: ReadonlySet<string> = new Set([
  "add-mask",
  "add-matcher",
  "remove-matcher",
  "add-path",
  "set-env",
  "set-output",
  "save-state",
  "debug",
  "notice",
  "warning",
  "error",
  "group",
  "endgroup",
  "echo",
  "stop-commands",
]);

export interface RunnerCommand {
  readonly form: "::" | "##[";
  readonly name: string;
  readonly data: string;
  /** Which stream and line it came from. */
  readonly source: string;
}

export interface RunnerView {
  /** Commands the runner processed, in order (stop-commands and its resume token included). */
  readonly commands: RunnerCommand[];
  /** Values registered by add-mask while processing was on. */
  readonly masks: string[];
  /** Lines as the log viewer shows them, secrets masked with the masks known when the line was read. */
  readonly shown: string[];
  /** Lines read while command processing was stopped (a `stop-commands` was obeyed). */
  readonly readWhileStopped: string[];
}

function unescapeData(text: string): string {
  return text.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
}

function parseV2(line: string, names: ReadonlySet<string>): { name: string; data: string } | undefined {
  const text = line.trimStart();
  if (!text.startsWith("::")) return undefined;
  const end = text.indexOf("::", 2);
  if (end < 0) return undefined;
  const info = text.slice(2, end);
  const name = (info.split(" ")[0] ?? "").toLowerCase();
  if (!names.has(name)) return undefined;
  return { name, data: unescapeData(text.slice(end + 2)) };
}

function parseLegacy(line: string, names: ReadonlySet<string>): { name: string; data: string } | undefined {
  const start = line.indexOf("##[");
  if (start < 0) return undefined;
  const end = line.indexOf("]", start);
  if (end < 0) return undefined;
  const info = line.slice(start + 3, end);
  const name = (info.split(" ")[0] ?? "").toLowerCase();
  if (!names.has(name)) return undefined;
  return { name, data: unescapeData(line.slice(end + 1)) };
}

/** The runner's view of a step's output. `streams`: stdout and stderr, read in that order (interleaving is lost). */
export function readLikeRunner(streams: Readonly<Record<string, string>>): RunnerView {
  const names = new Set(RUNNER_COMMANDS);
  const commands: RunnerCommand[] = [];
  const masks: string[] = [];
  const shown: string[] = [];
  const readWhileStopped: string[] = [];
  let stopToken: string | undefined;
  const mask = (line: string) => masks.reduce((text, secret) => text.split(secret).join("***"), line);

  for (const [stream, text] of Object.entries(streams)) {
    text.split(/\r?\n|\r/).forEach((raw, index) => {
      const source = `${stream}:${index + 1}`;
      const line = raw.replace(/\p{Default_Ignorable_Code_Point}/gu, "");
      if (stopToken !== undefined) readWhileStopped.push(line);
      const v2 = parseV2(line, names);
      const parsed = v2 ?? parseLegacy(line, names);
      const form = v2 ? "::" : "##[";
      if (parsed === undefined) {
        shown.push(mask(line));
        return;
      }
      if (stopToken !== undefined) {
        if (parsed.name === stopToken.toLowerCase()) {
          commands.push({ form, ...parsed, source });
          names.delete(stopToken.toLowerCase());
          stopToken = undefined;
        }
        shown.push(mask(line));
        return;
      }
      commands.push({ form, ...parsed, source });
      if (parsed.name === "stop-commands") {
        stopToken = parsed.data;
        names.add(parsed.data.toLowerCase());
        shown.push(mask(line));
      } else if (parsed.name === "add-mask") {
        if (parsed.data.trim() !== "") masks.push(parsed.data);
        shown.push("::add-mask::***");
      } else {
        shown.push(mask(line));
      }
    });
  }
  return { commands, masks, shown, readWhileStopped };
}
