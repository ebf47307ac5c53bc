// Turns a ScaleSetSeed into the wire JSON of a Uniform or Flexible scale set, shaped like the recorded 2023-09-01 bodies
// (azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml) and the 2025-04-01 spec example.
import { randomUUID } from "node:crypto";
import type { ExtensionSeed, ScaleSetSeed } from "../types.ts";
import { copyJson, type Wire } from "./wire.ts";

export const DEFAULT_SCALE_SET: ScaleSetSeed = { name: "vmss-demo" };
export const DEFAULT_RESOURCE_GROUP = "rg-demo";
export const DEFAULT_LOCATION = "westeurope";
export const DEFAULT_IMAGE = {
  publisher: "Canonical",
  offer: "ubuntu-24_04-lts",
  sku: "server",
  version: "24.04.202409120",
} as const;

export const DEFAULT_CUSTOM_SCRIPT: ExtensionSeed = {
  name: "customScript",
  publisher: "Microsoft.Azure.Extensions",
  type: "CustomScript",
  typeHandlerVersion: "2.1",
  settings: {
    fileUris: ["https://stvmssdemo.blob.core.windows.net/scripts/install.sh"],
    commandToExecute: "bash install.sh",
  },
};

export const HEALTH_EXTENSION: ExtensionSeed = {
  name: "healthExtension",
  publisher: "Microsoft.ManagedServices",
  type: "ApplicationHealthLinux",
  typeHandlerVersion: "2.0",
  settings: { protocol: "http", port: 80, requestPath: "/health" },
};

/** Rolling upgrade policy defaults as the service fills them in (recordings). */
export const DEFAULT_ROLLING_POLICY = {
  maxBatchInstancePercent: 20,
  maxUnhealthyInstancePercent: 20,
  maxUnhealthyUpgradedInstancePercent: 20,
  pauseTimeBetweenBatches: "PT0S",
  maxSurge: false,
  rollbackFailedInstancesOnPolicyBreach: false,
} as const;

export function extensionWire(seed: ExtensionSeed): Wire {
  return {
    name: seed.name,
    properties: {
      autoUpgradeMinorVersion: true,
      publisher: seed.publisher,
      type: seed.type,
      typeHandlerVersion: seed.typeHandlerVersion,
      ...(seed.forceUpdateTag !== undefined ? { forceUpdateTag: seed.forceUpdateTag } : {}),
      ...(seed.settings !== undefined ? { settings: copyJson(seed.settings) } : {}),
      ...(seed.protectedSettings !== undefined ? { protectedSettings: copyJson(seed.protectedSettings) } : {}),
    },
  };
}

/** `created` is an Azure-formatted timestamp (see azureTime). */
export function scaleSetWire(seed: ScaleSetSeed, subscriptionId: string, created: string): Wire {
  const resourceGroup = seed.resourceGroup ?? DEFAULT_RESOURCE_GROUP;
  const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const prefix = seed.name
    .replace(/[^a-zA-Z0-9]/g, "")
    .slice(0, 9)
    .toLowerCase();
  const extensions = [
    ...(seed.extensions ?? [DEFAULT_CUSTOM_SCRIPT]),
    ...(seed.healthExtension ? [HEALTH_EXTENSION] : []),
  ];
  const mode = seed.upgradeMode ?? "Manual";
  const flexible = seed.orchestrationMode === "Flexible";
  // Uniform: every mode carries the policy's defaults, as the recorded Manual-mode GET shows. Flexible: the recorded
  // GET (azure-cli_test_vmss_vms.yaml, clitestflexvms, 2023-09-01) shows `upgradePolicy: {mode: Manual}` alone; a
  // Rolling one carries its policy without rollbackFailedInstancesOnPolicyBreach, which is Uniform-only (learn.microsoft
  // .com "Configure rolling upgrades on Virtual Machine Scale Sets").
  const { rollbackFailedInstancesOnPolicyBreach: _uniformOnly, ...flexibleDefaults } = DEFAULT_ROLLING_POLICY;
  const rolling = { ...(flexible ? flexibleDefaults : DEFAULT_ROLLING_POLICY), ...seed.rollingUpgradePolicy };
  const upgradePolicy = flexible && mode !== "Rolling" ? { mode } : { mode, rollingUpgradePolicy: rolling };
  return {
    name: seed.name,
    id: `${rgId}/providers/Microsoft.Compute/virtualMachineScaleSets/${seed.name}`,
    type: "Microsoft.Compute/virtualMachineScaleSets",
    location: seed.location ?? DEFAULT_LOCATION,
    tags: { ...seed.tags },
    ...(seed.zones ? { zones: [...seed.zones] } : {}),
    sku: { name: "Standard_D2s_v3", tier: "Standard", capacity: seed.instances ?? 4 },
    properties: {
      singlePlacementGroup: !flexible,
      orchestrationMode: seed.orchestrationMode ?? "Uniform",
      upgradePolicy,
      virtualMachineProfile: {
        osProfile: {
          computerNamePrefix: prefix,
          adminUsername: "azureuser",
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            ssh: {
              publicKeys: [
                {
                  path: "/home/azureuser/.ssh/authorized_keys",
                  keyData: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorTestKeyNotARealKey0000000000000000 emulator",
                },
              ],
            },
            provisionVMAgent: true,
            enableVMAgentPlatformUpdates: false,
          },
          secrets: [],
          allowExtensionOperations: true,
          requireGuestProvisionSignal: true,
        },
        storageProfile: {
          osDisk: {
            osType: "Linux",
            createOption: "FromImage",
            caching: "ReadWrite",
            managedDisk: { storageAccountType: "Premium_LRS" },
            diskSizeGB: 30,
          },
          imageReference: copyJson(seed.image ?? DEFAULT_IMAGE),
        },
        networkProfile: {
          // Flexible sets create the NICs as resources of their own, through this Microsoft.Network api-version.
          ...(flexible ? { networkApiVersion: "2020-11-01" } : {}),
          networkInterfaceConfigurations: [
            {
              name: `${prefix}Nic`,
              properties: {
                primary: true,
                enableAcceleratedNetworking: false,
                disableTcpStateTracking: false,
                dnsSettings: { dnsServers: [] },
                enableIPForwarding: false,
                ipConfigurations: [
                  {
                    name: `${prefix}IPConfig`,
                    properties: {
                      subnet: {
                        id: `${rgId}/providers/Microsoft.Network/virtualNetworks/${seed.name}-vnet/subnets/default`,
                      },
                      privateIPAddressVersion: "IPv4",
                    },
                  },
                ],
              },
            },
          ],
        },
        ...(extensions.length > 0 ? { extensionProfile: { extensions: extensions.map(extensionWire) } } : {}),
        timeCreated: created,
      },
      ...(flexible
        ? { constrainedMaximumCapacity: false }
        : { overprovision: false, doNotRunExtensionsOnOverprovisionedVMs: false }),
      uniqueId: randomUUID(),
      // Flexible sets only: the recorded Uniform GET has none (azure-cli_test_vmss_update_automatic_repairs_with_health_
      // extension.yaml #13), the Flexible ones have 1 (azure-cli_test_vmss_vms.yaml, …_add_application.yaml).
      ...(flexible ? { platformFaultDomainCount: 1 } : {}),
      timeCreated: created,
    },
  };
}
