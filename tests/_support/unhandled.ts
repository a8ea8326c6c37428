// Counts unhandled rejections and uncaught exceptions from the moment this
// module is first imported, so a test file can end by asserting none
// happened. Tests only: library modules never install process listeners.
import assert from "node:assert/strict";
import process from "node:process";

const seen: unknown[] = [];
process.on("unhandledRejection", (reason: unknown) => {
  seen.push(reason);
});
process.on("uncaughtException", (error: unknown) => {
  seen.push(error);
});

/** Waits one macrotask, then asserts that nothing went unhandled so far. */
export async function assertNoUnhandled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(
    seen.length,
    0,
    `unhandled rejections or exceptions: ${seen.map(String).join("; ")}`,
  );
}
