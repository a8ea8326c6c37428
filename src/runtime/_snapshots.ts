import type { Command } from "../command.ts";
import type { ManagedWorker } from "./_managed_worker.ts";
import type { CommandInfo, WorkerSnapshot } from "../status.ts";

/** A fresh, JSON-safe snapshot of one worker. */
export function snapshot(w: ManagedWorker): WorkerSnapshot {
  const s: WorkerSnapshot = {
    name: w.name,
    qualifiedName: w.qualifiedName,
    status: w.status(),
  };
  if (w.description !== undefined) s.description = w.description;
  return s;
}

/** The public metadata of a command. */
export function commandInfo(command: Command): CommandInfo {
  const info: CommandInfo = { name: command.name };
  if (command.description !== undefined) info.description = command.description;
  if (command.payloadKind !== undefined) info.payloadKind = command.payloadKind;
  if (command.idempotent !== undefined) info.idempotent = command.idempotent;
  if (command.dangerous !== undefined) info.dangerous = command.dangerous;
  if (command.payloadJsonSchema !== undefined) {
    info.payloadJsonSchema = structuredClone(command.payloadJsonSchema);
  }
  return info;
}

/** Orders by `name`, code-point-wise, the same on every runtime. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
