// The orchestration modes every behaviour runs under: the engine (test/integration) and end-to-end (test/e2e) suites
// are tables over these. Flexible twice: whether Azure fills latestModelApplied on a Flexible VM is not settled by
// any public source, so the action must be right both ways (the emulator serves either, ScaleSetSeed.latestModelApplied).
import { sortIds } from "../../src/domain/ids.ts";
import type { Emulator, ScaleSetSeed } from "../../emulator/types.ts";

export const ORCHESTRATIONS: readonly { readonly mode: string; readonly seed: Partial<ScaleSetSeed> }[] = [
  { mode: "Uniform", seed: {} },
  {
    mode: "Flexible (latestModelApplied absent)",
    seed: { orchestrationMode: "Flexible", latestModelApplied: "absent" },
  },
  {
    mode: "Flexible (latestModelApplied reported)",
    seed: { orchestrationMode: "Flexible", latestModelApplied: "reported" },
  },
];

/**
 * The scale set's instance IDs in the order the action sorts them: Uniform "0", "1", …; Flexible VM names
 * (`<set>_<8 hex>`) as text. Tests name instances by their position here, whatever the mode.
 */
export function instanceIds(emu: Emulator, scaleSet = "vmss1"): string[] {
  return sortIds(emu.state(scaleSet).instances.map((i) => i.instanceId));
}
