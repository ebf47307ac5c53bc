// ARM's 403 AuthorizationFailed, for the `authorizationFailed` fault: which RBAC action each operation needs and over
// which scope ARM names it. Actions from Azure's resource provider operations list (Microsoft.Compute); the message as
// ARM words it (e.g. kubernetes/autoscaler#1674 for VirtualMachineScaleSetVMs.List, cloudquery/cloudquery#16133 for a
// POST action on a VM: "The client '<id>' with object id '<id>' does not have authorization to perform action
// '<action>' over scope '<id>' or the scope is invalid. If access was recently granted, please refresh your
// credentials."). For a service principal both IDs are its object ID.
import { ArmError } from "../http.ts";

const SET = "Microsoft.Compute/virtualMachineScaleSets";

/** Operation name (as in counters()) → the action a role must grant. */
export const OPERATION_ACTIONS: Readonly<Record<string, string>> = {
  "VirtualMachineScaleSets.Get": `${SET}/read`,
  "VirtualMachineScaleSets.Update": `${SET}/write`,
  "VirtualMachineScaleSets.UpdateTags": `${SET}/write`,
  "VirtualMachineScaleSets.CreateOrUpdate": `${SET}/write`,
  "VirtualMachineScaleSets.GetInstanceView": `${SET}/instanceView/read`,
  "VirtualMachineScaleSets.ListSkus": `${SET}/skus/read`,
  "VirtualMachineScaleSets.GetOSUpgradeHistory": `${SET}/osUpgradeHistory/read`,
  "VirtualMachineScaleSets.UpdateInstances": `${SET}/manualUpgrade/action`,
  "VirtualMachineScaleSets.Reimage": `${SET}/reimage/action`,
  "VirtualMachineScaleSets.ReimageAll": `${SET}/reimageAll/action`,
  "VirtualMachineScaleSets.Restart": `${SET}/restart/action`,
  "VirtualMachineScaleSets.PowerOff": `${SET}/powerOff/action`,
  "VirtualMachineScaleSets.Start": `${SET}/start/action`,
  "VirtualMachineScaleSets.Deallocate": `${SET}/deallocate/action`,
  "VirtualMachineScaleSets.Redeploy": `${SET}/redeploy/action`,
  "VirtualMachineScaleSets.PerformMaintenance": `${SET}/performMaintenance/action`,
  "VirtualMachineScaleSetVMs.Redeploy": `${SET}/virtualMachines/redeploy/action`,
  "VirtualMachineScaleSetVMs.PerformMaintenance": `${SET}/virtualMachines/performMaintenance/action`,
  "VirtualMachineScaleSetVMs.List": `${SET}/virtualMachines/read`,
  "VirtualMachineScaleSetVMs.Get": `${SET}/virtualMachines/read`,
  "VirtualMachineScaleSetVMs.GetInstanceView": `${SET}/virtualMachines/instanceView/read`,
  "VirtualMachineScaleSetVMs.Update": `${SET}/virtualMachines/write`,
  "VirtualMachineScaleSetVMs.Reimage": `${SET}/virtualMachines/reimage/action`,
  "VirtualMachineScaleSetVMs.ReimageAll": `${SET}/virtualMachines/reimageAll/action`,
  "VirtualMachines.List": "Microsoft.Compute/virtualMachines/read",
  "VirtualMachines.Get": "Microsoft.Compute/virtualMachines/read",
  "VirtualMachines.ListAll": "Microsoft.Compute/virtualMachines/read",
  "VirtualMachines.InstanceView": "Microsoft.Compute/virtualMachines/instanceView/read",
  "VirtualMachines.Restart": "Microsoft.Compute/virtualMachines/restart/action",
  "VirtualMachines.PowerOff": "Microsoft.Compute/virtualMachines/powerOff/action",
  "VirtualMachines.Start": "Microsoft.Compute/virtualMachines/start/action",
  "VirtualMachines.Deallocate": "Microsoft.Compute/virtualMachines/deallocate/action",
  "VirtualMachines.Redeploy": "Microsoft.Compute/virtualMachines/redeploy/action",
  "VirtualMachines.PerformMaintenance": "Microsoft.Compute/virtualMachines/performMaintenance/action",
  "GalleryImageVersions.Get": "Microsoft.Compute/galleries/images/versions/read",
  "GalleryImageVersions.ListByGalleryImage": "Microsoft.Compute/galleries/images/versions/read",
  "VirtualMachineExtensions.List": "Microsoft.Compute/virtualMachines/extensions/read",
  "VirtualMachineExtensions.Get": "Microsoft.Compute/virtualMachines/extensions/read",
  "NetworkInterfaces.Get": "Microsoft.Network/networkInterfaces/read",
  "Tags.GetAtScope": "Microsoft.Resources/tags/read",
  "Tags.CreateOrUpdateAtScope": "Microsoft.Resources/tags/write",
  "Tags.UpdateAtScope": "Microsoft.Resources/tags/write",
  "Tags.DeleteAtScope": "Microsoft.Resources/tags/delete",
  "VirtualMachineScaleSets.List": `${SET}/read`,
  "VirtualMachineScaleSets.ListAll": `${SET}/read`,
  "VirtualMachineImages.ListPublishers": "Microsoft.Compute/locations/publishers/read",
  "VirtualMachineImages.List": "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read",
  "VirtualMachineImages.Get": "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read",
  "VirtualMachineExtensionImages.ListTypes": "Microsoft.Compute/locations/publishers/artifacttypes/types/read",
  "VirtualMachineExtensionImages.ListVersions":
    "Microsoft.Compute/locations/publishers/artifacttypes/types/versions/read",
  "VirtualMachineExtensionImages.Get": "Microsoft.Compute/locations/publishers/artifacttypes/types/versions/read",
  "Subscriptions.List": "Microsoft.Resources/subscriptions/read",
  "Tenants.List": "Microsoft.Resources/tenants/read",
  "Providers.Get": "Microsoft.Resources/subscriptions/providers/read",
  "Providers.List": "Microsoft.Resources/subscriptions/providers/read",
  "ResourceGroups.CheckExistence": "Microsoft.Resources/subscriptions/resourceGroups/read",
  "Subscriptions.Get": "Microsoft.Resources/subscriptions/read",
  "ResourceGroups.List": "Microsoft.Resources/subscriptions/resourceGroups/read",
  "ResourceGroups.Get": "Microsoft.Resources/subscriptions/resourceGroups/read",
  "VirtualMachineScaleSetExtensions.List": `${SET}/extensions/read`,
  "VirtualMachineScaleSetExtensions.Get": `${SET}/extensions/read`,
  "VirtualMachineScaleSetExtensions.Update": `${SET}/extensions/write`,
  "VirtualMachineScaleSetExtensions.CreateOrUpdate": `${SET}/extensions/write`,
  "VirtualMachineScaleSetRollingUpgrades.GetLatest": `${SET}/rollingUpgrades/read`,
  // The operations list names cancel `rollingUpgrades/action` ("Cancels the rolling upgrade …"; older lists:
  // `rollingUpgrades/cancel/action`).
  "VirtualMachineScaleSetRollingUpgrades.Cancel": `${SET}/rollingUpgrades/action`,
  "VirtualMachineScaleSetRollingUpgrades.StartOSUpgrade": `${SET}/osRollingUpgrade/action`,
  // Not in the published list: the closest documented action (assumption, see README).
  "VirtualMachineScaleSetRollingUpgrades.StartExtensionUpgrade": `${SET}/extensions/write`,
  "Operations.Get": "Microsoft.Compute/locations/operations/read",
  "Operations.Monitor": "Microsoft.Compute/locations/operations/read",
};

/** Operations whose last path segment is an action, a collection or a view of the resource ARM names as the scope
 *  (the autoscaler's 403 for the VM list names the scale set). */
const SCOPE_IS_PARENT = new Set([
  "VirtualMachineScaleSets.GetInstanceView",
  "VirtualMachineScaleSets.ListSkus",
  "VirtualMachineScaleSets.GetOSUpgradeHistory",
  "VirtualMachineScaleSets.UpdateInstances",
  "VirtualMachineScaleSets.Reimage",
  "VirtualMachineScaleSets.ReimageAll",
  "VirtualMachineScaleSetVMs.List",
  "VirtualMachines.InstanceView",
  "VirtualMachines.Restart",
  "VirtualMachines.PowerOff",
  "VirtualMachines.Start",
  "VirtualMachines.Deallocate",
  "VirtualMachines.Redeploy",
  "VirtualMachines.PerformMaintenance",
  "VirtualMachineScaleSetVMs.GetInstanceView",
  "VirtualMachineScaleSetVMs.Reimage",
  "VirtualMachineScaleSetVMs.ReimageAll",
  "VirtualMachineScaleSetExtensions.List",
  "VirtualMachineScaleSetRollingUpgrades.Cancel",
  "VirtualMachineScaleSetRollingUpgrades.StartOSUpgrade",
  "VirtualMachineScaleSetRollingUpgrades.StartExtensionUpgrade",
]);

/** The 403 ARM answers when the caller (`objectId`) has no role granting the operation's action on `path`. */
export function authorizationFailed(operation: string, path: string, objectId: string, action?: string): ArmError {
  const scope = SCOPE_IS_PARENT.has(operation) ? path.replace(/\/[^/]+\/?$/, "") : path.replace(/\/$/, "");
  const what = action ?? OPERATION_ACTIONS[operation] ?? "Microsoft.Compute/unknown/action";
  return new ArmError(
    403,
    {
      code: "AuthorizationFailed",
      message: `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${what}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
    { "x-ms-failure-cause": "gateway" },
  );
}
