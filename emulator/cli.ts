// `npm run emulator [-- --speed 0.02 --instances 6 --mode Rolling --health]`: starts the emulator with a sample scale
// set, prints how to reach it, and runs until Ctrl-C.
import { parseArgs } from "node:util";
import { start } from "./index.ts";

const { values } = parseArgs({
  options: {
    speed: { type: "string", default: "0.02" },
    instances: { type: "string", default: "4" },
    mode: { type: "string", default: "Manual" },
    health: { type: "boolean", default: false },
    throttle: { type: "boolean", default: false },
  },
});
const mode = values.mode;
if (mode !== "Manual" && mode !== "Automatic" && mode !== "Rolling")
  throw new Error(`--mode must be Manual, Automatic or Rolling, got ${mode}`);

const emu = await start({
  speed: Number(values.speed),
  throttle: values.throttle,
  scaleSets: [
    { name: "vmss-demo", instances: Number(values.instances), upgradeMode: mode, healthExtension: values.health },
  ],
});
// Handlers first: whoever reads "Press Ctrl-C" may send the signal right away.
const stop = (): void => {
  void emu.stop().then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

const state = emu.state();
const shellQuote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;

console.log(`Azure Compute emulator (speed ${values.speed}, ${state.instances.length} instances, ${mode} upgrade mode)

ARM endpoint      ${emu.armEndpoint}
Authority host    ${emu.authorityHost}   (use disableInstanceDiscovery: true)
CA certificate    ${emu.caPath}
Tenant ID         ${emu.tenantId}
Subscription ID   ${emu.subscriptionId}
Client ID         ${emu.clientId}
Client secret     ${emu.clientSecret}
Scale set         ${state.resourceGroup}/${state.name}
GitHub OIDC       ACTIONS_ID_TOKEN_REQUEST_URL=${emu.oidc.requestUrl}
                  ACTIONS_ID_TOKEN_REQUEST_TOKEN=${emu.oidc.requestToken}

Run the action against it (input names contain '-', so they go through env, not export):
`);
const assignments = Object.entries({ ...emu.env(), "INPUT_IMAGE-VERSION": "24.04.202410020" }).map(
  ([name, value]) => `  ${shellQuote(`${name}=${value}`)} \\`,
);
console.log(["env \\", ...assignments, "  node dist/index.js"].join("\n"));
console.log("\nPress Ctrl-C to stop.");
// The server's handle keeps the process alive until a signal arrives.
