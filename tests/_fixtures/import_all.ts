// Imports every entrypoint (and this runtime's adapter), then prints
// IMPORTED. With --wait it then holds the process with a timer of its own,
// so tests/signals.test.ts can send SIGTERM and see that no module
// installed a signal handler on import (the default action kills it).
// Without --wait it returns, and the process must end on its own: no module
// left a timer or handle behind.
import "../../mod.ts";
import "../../src/retry/mod.ts";
import "../../src/ops/mod.ts";
import "../../src/log/mod.ts";
import "../../src/otel/mod.ts";
import "../../src/hono/mod.ts";
import "../../adapters/serve.ts";

const g = globalThis as { Deno?: unknown; Bun?: unknown };
if (g.Deno !== undefined) await import("../../adapters/deno.ts");
else if (g.Bun !== undefined) await import("../../adapters/bun.ts");
else await import("../../adapters/node.ts");

console.log("IMPORTED");
if (globalThis.process?.argv.includes("--wait")) {
  setTimeout(() => console.log("NOT KILLED"), 60_000);
}
