// The Azure SDK's own log (enabled by AZURE_LOG_LEVEL). @azure/logger writes it raw to stderr by default, where the
// runner reads it for workflow commands like stdout: an Azure error quoted over several lines could start a line with
// `::add-mask::` or `::stop-commands::`. The level stays as the user asked; only where the lines go changes.

import { format } from "node:util";
import { AzureLogger } from "@azure/logger";

/**
 * Sends every line the Azure SDK logs to `write` (main passes its gated log) instead of stderr. Every @azure package
 * logs through AzureLogger (each client logger calls its parent's `log`, up to AzureLogger.log), so this one hook
 * covers them all. Not covered: @typespec/ts-http-runtime, the HTTP layer under them, has a logger of its own, on only
 * with TYPESPEC_RUNTIME_LOG_LEVEL or DEBUG=typeSpecRuntime* (fixed text and URLs with their query values hidden), and
 * both loggers print an unknown level's name to stderr as they load, before this runs. Both need the job's
 * environment, whose owner can do more than that anyway (NODE_OPTIONS).
 */
export function routeSdkLog(write: (line: string) => void): void {
  AzureLogger.log = (...args: unknown[]): void => {
    write(format(...args));
  };
}
