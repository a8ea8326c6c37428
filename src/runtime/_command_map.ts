import type { Command } from "../command.ts";
import { WorkerkitError } from "../base/errors.ts";
import { isStandardSchema } from "./_payload_validation.ts";
import { refuseUnknownKeys } from "../base/_known_keys.ts";

/** The fields a command definition may have. */
const COMMAND_KEYS: ReadonlySet<string> = new Set([
  "name",
  "description",
  "payloadKind",
  "idempotent",
  "dangerous",
  "payloadSchema",
  "payloadJsonSchema",
  "handler",
]);
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
    // `payloadShema` would otherwise turn validation off without a word.
    refuseUnknownKeys(`command ${command.name}`, command, COMMAND_KEYS);
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
    map.set(command.name, withPayloadSchema(command));
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

/** The most bytes of JSON a command's payload JSON Schema may take. */
const MAX_JSON_SCHEMA_BYTES = 64 * 1024;

/**
 * A copy of the command with its payload schema checked and its JSON Schema
 * resolved once: the explicit `payloadJsonSchema`, else the schema's own
 * Standard JSON Schema description when it has one.
 */
function withPayloadSchema(command: Command): Command {
  const copy: Command = { ...command };
  const { payloadSchema, payloadJsonSchema } = command;
  if (payloadSchema !== undefined && !isStandardSchema(payloadSchema)) {
    throw new WorkerkitError(
      "invalid_argument",
      `command ${command.name}: payloadSchema must be a Standard Schema v1 (Zod, Valibot, ArkType, ...)`,
    );
  }
  if (payloadJsonSchema !== undefined) {
    const json = jsonCopy(payloadJsonSchema);
    if (json === undefined) {
      throw new WorkerkitError(
        "invalid_argument",
        `command ${command.name}: payloadJsonSchema must be a JSON object of at most 64 KiB`,
      );
    }
    copy.payloadJsonSchema = json;
    return copy;
  }
  delete copy.payloadJsonSchema;
  const described = describe(payloadSchema);
  if (described !== undefined) copy.payloadJsonSchema = described;
  return copy;
}

/** The schema as JSON Schema, if it implements Standard JSON Schema and it works. */
function describe(
  schema: Command["payloadSchema"],
): Record<string, unknown> | undefined {
  if (schema === undefined) return undefined;
  try {
    const input = schema["~standard"].jsonSchema?.input;
    if (typeof input !== "function") return undefined;
    return jsonCopy(input({ target: "draft-2020-12" }));
  } catch {
    // A schema that cannot describe itself is still a fine validator.
    return undefined;
  }
}

/** A JSON copy of a plain object within the size bound, else `undefined`. */
function jsonCopy(value: unknown): Record<string, unknown> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  try {
    const text = JSON.stringify(value);
    if (text === undefined || text.length > MAX_JSON_SCHEMA_BYTES) {
      return undefined;
    }
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
