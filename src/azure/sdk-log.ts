// The Azure SDK's own log (enabled by AZURE_LOG_LEVEL), and the `debug` package's (enabled by DEBUG) that the SDK's
// proxy agents write to. Both write raw to stderr by default, where the runner reads them for workflow commands like
// stdout: an Azure error quoted over several lines could start a line with `::add-mask::` or `::stop-commands::`, and
// https-proxy-agent logs the proxy's URL with its user:password@. The levels stay as the user asked; only where the
// lines go changes.

import { format } from "node:util";
import { AzureLogger } from "@azure/logger";
// @ts-expect-error -- `debug` ships no types (@types/debug is not installed); its shape is DebugModule below.
import untypedDebug from "debug";

/** What this module uses of the `debug` package (v4): every logger it creates writes through `log` unless given one. */
interface DebugModule {
  log: (...args: unknown[]) => unknown;
}

// The same module instance as the proxy agents' `require("debug")`: resolved from here as from them (one copy,
// node_modules/debug, hoisted), and one module of the ncc bundle. test/unit/azure/sdk-log.test.ts checks it with the
// agents themselves.
const debugModule = untypedDebug as DebugModule;

/**
 * Sends every line the Azure SDK logs to `write` (main passes its gated log) instead of stderr. Every @azure package
 * logs through AzureLogger (each client logger calls its parent's `log`, up to AzureLogger.log), so this one hook
 * covers them all. So does the `debug` package's `log` for the proxy agents under the SDK (https-proxy-agent,
 * http-proxy-agent: on with DEBUG=* or DEBUG=https-proxy-agent), whose loggers call it when they have no `log` of
 * their own. Not covered: @typespec/ts-http-runtime, the HTTP layer under them, has a logger of its own, on only
 * with TYPESPEC_RUNTIME_LOG_LEVEL or DEBUG=typeSpecRuntime* (fixed text and URLs with their query values hidden), and
 * both Azure loggers print an unknown level's name to stderr as they load, before this runs. Both need the job's
 * environment, whose owner can do more than that anyway (NODE_OPTIONS).
 */
export function routeSdkLog(write: (line: string) => void): void {
  AzureLogger.log = (...args: unknown[]): void => {
    write(format(...args));
  };
  debugModule.log = (...args: unknown[]): void => {
    write(format(...args));
  };
}
