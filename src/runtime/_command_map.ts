import type { Command } from "../command.ts";
import { WorkerkitError } from "../base/errors.ts";
import {
  isWorkerRef,
  validateCommandName,
  validateRuntimeName,
  validateWorkerName,
} from "../base/names.ts";

/**
 * Checks a registration's commands and indexes them by name.
 *
 * @throws {WorkerkitError} `invalid_argument`, `invalid_name` or `command_already_registered`.
 */
export function commandMap(
  worker: string,
  commands: readonly Command[] | undefined,
): Map<string, Command> {
  const map = new Map<string, Command>();
  if (commands === undefined) return map;
  if (!Array.isArray(commands)) {
    throw new WorkerkitError("invalid_argument", "commands must be an array");
  }
  for (const command of commands) {
    if (command === null || typeof command !== "object") {
      throw new WorkerkitError(
        "invalid_argument",
        "each command must be an object",
      );
    }
    validateCommandName(command.name);
    if (typeof command.handler !== "function") {
      throw new WorkerkitError(
        "invalid_argument",
        `command ${command.name} needs a handler function`,
      );
    }
    if (map.has(command.name)) {
      throw new WorkerkitError(
        "command_already_registered",
        `command ${command.name} is registered twice on worker ${worker}`,
      );
    }
    map.set(command.name, { ...command });
  }
  return map;
}

/** Throws `invalid_name` unless `ref` is a valid local or qualified worker name. */
export function checkWorkerRef(ref: unknown): void {
  if (typeof ref === "string" && isWorkerRef(ref)) return;
  if (typeof ref !== "string") {
    validateWorkerName(ref);
    return;
  }
  const slash = ref.indexOf("/");
  if (slash < 0) {
    validateWorkerName(ref);
    return;
  }
  validateRuntimeName(ref.slice(0, slash));
  validateWorkerName(ref.slice(slash + 1));
}
