// The Compute client the adapter drives: only the operation groups it calls, not the whole of Compute.
//
// `new ComputeManagementClient(...)` builds every one of Compute's 56 operation groups at construction, so the whole
// SDK (its disks, galleries, snapshots, run commands, ...) is bundled into dist/index.js and compiled and run before the
// first request (issue #18, start-up). The client does no more than that: createComputeManagement (the context,
// exported as `@azure/arm-compute/api`) and, per group, `_getXOperations(context)`, the object `client.x` is. Those
// builders are not among the package's `exports` (`.`, `./api`, `./models*` only), so they are imported by their path in
// the package, the one place in src/ that reaches past a package's exports (test/unit/architecture.test.ts). The
// version is pinned (package-lock.json); a release that moves these files fails the type check and the build, not a
// run. Measured (2026-12-07, 25.1.1): dist/index.js 2.42 → 1.89 MB, a dry run's CPU time 321 → 310 ms and peak RSS
// 76 → 73 MB (medians of 11 runs each, taking turns); see docs/benchmark.md, "Start-up".
import { createComputeManagement } from "@azure/arm-compute/api";
import type { ComputeManagementClient, ComputeManagementClientOptionalParams } from "@azure/arm-compute";
import { _getGalleryImageVersionsOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/galleryImageVersions/index.js";
import { _getVirtualMachineExtensionsOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachineExtensions/index.js";
import { _getVirtualMachineImagesOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachineImages/index.js";
import { _getVirtualMachinesOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachines/index.js";
import { _getVirtualMachineScaleSetExtensionsOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachineScaleSetExtensions/index.js";
import { _getVirtualMachineScaleSetRollingUpgradesOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachineScaleSetRollingUpgrades/index.js";
import { _getVirtualMachineScaleSetsOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachineScaleSets/index.js";
import { _getVirtualMachineScaleSetVMsOperations } from "../../node_modules/@azure/arm-compute/dist/esm/classic/virtualMachineScaleSetVMs/index.js";

/** The part of ComputeManagementClient the adapter uses: each group the very object the full client would hold. */
export type ComputeClient = Pick<
  ComputeManagementClient,
  | "pipeline"
  | "galleryImageVersions"
  | "virtualMachineExtensions"
  | "virtualMachineImages"
  | "virtualMachines"
  | "virtualMachineScaleSetExtensions"
  | "virtualMachineScaleSetRollingUpgrades"
  | "virtualMachineScaleSets"
  | "virtualMachineScaleSetVMs"
>;

export type ComputeCredential = ConstructorParameters<typeof ComputeManagementClient>[0];

/** As `new ComputeManagementClient(credential, subscriptionId, options)`, with the groups above only. */
export function computeClient(
  credential: ComputeCredential,
  subscriptionId: string,
  options: ComputeManagementClientOptionalParams,
): ComputeClient {
  const context = createComputeManagement(credential, subscriptionId, options);
  return {
    pipeline: context.pipeline,
    galleryImageVersions: _getGalleryImageVersionsOperations(context),
    virtualMachineExtensions: _getVirtualMachineExtensionsOperations(context),
    virtualMachineImages: _getVirtualMachineImagesOperations(context),
    virtualMachines: _getVirtualMachinesOperations(context),
    virtualMachineScaleSetExtensions: _getVirtualMachineScaleSetExtensionsOperations(context),
    virtualMachineScaleSetRollingUpgrades: _getVirtualMachineScaleSetRollingUpgradesOperations(context),
    virtualMachineScaleSets: _getVirtualMachineScaleSetsOperations(context),
    virtualMachineScaleSetVMs: _getVirtualMachineScaleSetVMsOperations(context),
  };
}
