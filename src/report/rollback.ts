// How to go back: the action's own inputs that put the previous model values back.

import type { RolloutRecord } from "../domain/record.ts";
import { redactText } from "../shared/redact.ts";

export interface RollbackInput {
  readonly input: string;
  readonly value: string;
}

/**
 * Inputs for a run that restores what this run changed (image and/or extension), from `previousModel`. When the
 * record lists no change (dry run of a no-op, a failure before the plan) every previous value is offered.
 */
export function rollbackInputs(record: RolloutRecord): RollbackInput[] {
  const previous = record.previousModel;
  if (!previous) return [];
  const changed = (pattern: RegExp) =>
    record.changes.length === 0 || record.changes.some((c) => pattern.test(c.property));
  const inputs: RollbackInput[] = [];
  if (changed(/imageReference/i)) {
    const { id, version } = previous.imageReference;
    if (id) inputs.push({ input: "image-id", value: id });
    else if (version) inputs.push({ input: "image-version", value: version });
  }
  const extension = previous.extension;
  if (extension && changed(/extension/i)) {
    inputs.push({ input: "extension-name", value: extension.name });
    if (extension.fileUris) inputs.push({ input: "extension-file-uris", value: extension.fileUris.join(", ") });
    if (extension.forceUpdateTag !== undefined)
      inputs.push({ input: "force-update-tag", value: extension.forceUpdateTag });
  }
  return inputs.map(({ input, value }) => ({ input, value: redactText(value) }));
}

/**
 * The inputs as a YAML `with:` block. Values are JSON strings, which YAML reads as double-quoted scalars: one line
 * each, so nothing in them can end the fenced code block they are shown in.
 */
export function rollbackYaml(inputs: readonly RollbackInput[]): string {
  return ["with:", ...inputs.map(({ input, value }) => `  ${input}: ${JSON.stringify(value)}`)].join("\n");
}
