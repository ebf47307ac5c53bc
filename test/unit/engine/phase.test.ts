import { describe, expect, it } from "vitest";
import { phasePhrase, phaseWords, type Phase } from "../../../src/engine/phase.ts";

describe("phase words", () => {
  it.each<{ phase: Phase; words: string; phrase: string }>([
    { phase: { kind: "reading" }, words: "reading the scale set", phrase: "while reading the scale set" },
    {
      phase: { kind: "waiting-for-operation", busy: "instance(s) 1 Updating" },
      words: "waiting for an operation already in progress (instance(s) 1 Updating)",
      phrase: "while waiting for an operation already in progress (instance(s) 1 Updating)",
    },
    { phase: { kind: "updating-model" }, words: "updating the model", phrase: "while updating the model" },
    {
      phase: { kind: "listing-targets" },
      words: "listing the instances to upgrade",
      phrase: "while listing the instances to upgrade",
    },
    {
      phase: { kind: "pausing", batch: 2, of: 3 },
      words: "pausing before batch 2 of 3",
      phrase: "while pausing before batch 2 of 3",
    },
    {
      phase: { kind: "before-batch", batch: 3, of: 3 },
      words: "before batch 3 of 3 started",
      phrase: "before batch 3 of 3 started",
    },
    {
      phase: { kind: "upgrading", batch: 2, of: 3 },
      words: "upgrading batch 2 of 3",
      phrase: "while upgrading batch 2 of 3",
    },
    {
      phase: { kind: "platform", label: "rolling upgrade" },
      words: "waiting for Azure's rolling upgrade",
      phrase: "while waiting for Azure's rolling upgrade",
    },
    { phase: { kind: "rolling-back" }, words: "rolling back", phrase: "while rolling back" },
  ])("$words", ({ phase, words, phrase }) => {
    expect(phaseWords(phase)).toBe(words);
    expect(phasePhrase(phase)).toBe(phrase);
  });
});
