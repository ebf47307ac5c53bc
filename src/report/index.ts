// The rollout report: pure functions of a RolloutRecord (no clock, no environment, no I/O).

export { annotationsFor, type Annotation } from "./annotations.ts";
export { headline } from "./headline.ts";
export { buildOutputs } from "./outputs.ts";
export { renderSummary } from "./summary.ts";
