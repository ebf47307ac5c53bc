// What the engine is doing, as a typed value: the words of its messages ("upgrading batch 2 of 3", "Timed out …
// while updating the model") are derived from it, never assigned as free text. Pure.

export type Phase =
  | { readonly kind: "reading" }
  | { readonly kind: "waiting-for-operation"; readonly busy: string }
  | { readonly kind: "taking-lease" }
  | { readonly kind: "updating-model" }
  | { readonly kind: "listing-targets" }
  | { readonly kind: "pausing"; readonly batch: number; readonly of: number }
  | { readonly kind: "before-batch"; readonly batch: number; readonly of: number }
  | { readonly kind: "upgrading"; readonly batch: number; readonly of: number }
  | { readonly kind: "platform"; readonly label: "rolling upgrade" | "automatic upgrade" }
  | { readonly kind: "rolling-back" };

/** `batch 2 of 3` */
export function batchLabel(batch: number, of: number): string {
  return `batch ${batch} of ${of}`;
}

/** The phase in words: `upgrading batch 2 of 3`, `before batch 3 of 3 started`, `updating the model` … */
export function phaseWords(phase: Phase): string {
  switch (phase.kind) {
    case "reading":
      return "reading the scale set";
    case "waiting-for-operation":
      return `waiting for an operation already in progress (${phase.busy})`;
    case "taking-lease":
      return "taking the scale set's lease";
    case "updating-model":
      return "updating the model";
    case "listing-targets":
      return "listing the instances to upgrade";
    case "pausing":
      return `pausing before ${batchLabel(phase.batch, phase.of)}`;
    case "before-batch":
      return `before ${batchLabel(phase.batch, phase.of)} started`;
    case "upgrading":
      return `upgrading ${batchLabel(phase.batch, phase.of)}`;
    case "platform":
      return `waiting for Azure's ${phase.label}`;
    case "rolling-back":
      return "rolling back";
  }
}

/** The phase as the end of a stop's sentence: `while upgrading batch 2 of 3`, `before batch 3 of 3 started`. */
export function phasePhrase(phase: Phase): string {
  const words = phaseWords(phase);
  return phase.kind === "before-batch" ? words : `while ${words}`;
}
