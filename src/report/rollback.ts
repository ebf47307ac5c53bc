// How to go back: the action's own inputs that put the previous model values back.

import type { RolloutRecord } from "../domain/record.ts";
import { redactText } from "../shared/redact.ts";

export interface RollbackInput {
  readonly input: string;
  readonly value: string;
}

/**
 * Inputs for a run that restores what this run changed (image and/or extension), from `previousModel`: only the
 * properties the record lists as changed, each with a value to go back to. A forceUpdateTag that had no value before
 * cannot be put back (a PATCH cannot remove it): no input is offered for it, nor an extension-name with nothing else.
 */
export function rollbackInputs(record: RolloutRecord): RollbackInput[] {
  const previous = record.previousModel;
  if (!previous) return [];
  const changed = (pattern: RegExp) => record.changes.some((c) => pattern.test(c.property));
  const inputs: RollbackInput[] = [];
  // An image with no way back (imageNotRestorable: a model that named the newest version, `latest`, which Azure
  // would resolve to the newest again; one Azure would refuse now) offers nothing: the rest alone would leave the
  // instances on a model that is neither the one before nor this run's. A rollback run's record has no such mark:
  // going forward again to what it undid (`latest` too) is a way.
  if (changed(/imageReference/i) && record.imageNotRestorable !== undefined) return [];
  if (changed(/imageReference/i)) {
    const { id, version } = previous.imageReference;
    if (id) inputs.push({ input: "image-id", value: id });
    else if (version) inputs.push({ input: "image-version", value: version });
  }
  const extension = previous.extension;
  if (extension) {
    const uris =
      changed(/extensions\[.*\]\.settings\.fileUris/i) && extension.fileUris ? extension.fileUris : undefined;
    const tag =
      changed(/extensions\[.*\]\.forceUpdateTag/i) && extension.forceUpdateTag !== undefined
        ? extension.forceUpdateTag
        : undefined;
    if (uris !== undefined || tag !== undefined) {
      inputs.push({ input: "extension-name", value: extension.name });
      if (uris !== undefined) inputs.push({ input: "extension-file-uris", value: uris.join(", ") });
      if (tag !== undefined) inputs.push({ input: "force-update-tag", value: tag });
    }
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
