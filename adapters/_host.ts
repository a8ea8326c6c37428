// The host process as the adapters and the serve entry reach it — signals,
// exit, the environment — through the `Deno` global on Deno and the
// `process` global on Node and Bun. Globals, not `node:` imports, so the
// serve entry can hold both without loading another runtime's modules.
import type { SignalHost } from "./_signals.ts";

/** The part of the `Deno` global this file uses. */
interface DenoGlobal {
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
  env: { get(name: string): string | undefined };
  permissions: {
    querySync?(descriptor: { name: "env"; variable: string }): {
      state: string;
    };
  };
}

/** The part of Node's and Bun's `process` global this file uses. */
interface ProcessGlobal {
  on(signal: "SIGINT" | "SIGTERM", handler: () => void): unknown;
  exit(code: number): never;
  env: Record<string, string | undefined>;
}

function deno(): DenoGlobal | undefined {
  return (globalThis as { Deno?: DenoGlobal }).Deno;
}

function nodeProcess(): ProcessGlobal {
  const found = (globalThis as { process?: ProcessGlobal }).process;
  if (!found) throw new Error("no process global: not Node.js or Bun");
  return found;
}

/** Signals and exit through the `Deno` global. */
export function denoSignalHost(): SignalHost {
  const d = deno()!;
  return {
    listen: (signal, handler) => d.addSignalListener(signal, handler),
    exit: (code) => d.exit(code),
  };
}

/** Signals and exit through the `process` global (Node and Bun). */
export function processSignalHost(): SignalHost {
  const p = nodeProcess();
  return {
    listen: (signal, handler) => void p.on(signal, handler),
    exit: (code) => p.exit(code),
  };
}

/**
 * An environment variable, or `undefined` when it is unset or — on Deno
 * without `--allow-env` for it — not readable (never a permission prompt).
 */
export function readEnv(name: string): string | undefined {
  const d = deno();
  if (!d) return (globalThis as { process?: ProcessGlobal }).process?.env[name];
  const state = d.permissions.querySync?.({ name: "env", variable: name })
    .state;
  return state === "granted" ? d.env.get(name) : undefined;
}
