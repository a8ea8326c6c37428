// The worker state machine: every (state, move) pair against the one table,
// applied by the one function that writes a worker's state, and the diagram
// in docs/lifecycle.md checked against the same table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import type { LifecycleState, TransitionEvent } from "../mod.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";
import { Emitter } from "../src/runtime/_emitter.ts";
import type { ManagedWorker } from "../src/runtime/_managed_worker.ts";
import { StateReporter } from "../src/runtime/_state_reporter.ts";
import { WorkerTable } from "../src/runtime/_worker_table.ts";
import {
  canMove,
  type Move,
  type MoveName,
  MOVES,
} from "../src/runtime/_worker_state.ts";

const STATES: readonly LifecycleState[] = [
  "registered",
  "starting",
  "running",
  "draining",
  "stopping",
  "stopped",
  "failed",
];
const NAMES = Object.keys(MOVES) as MoveName[];

/** Moves that bring a fresh worker into each state. */
const PATHS: Record<LifecycleState, MoveName[]> = {
  registered: [],
  starting: ["start"],
  running: ["start", "started"],
  draining: ["start", "started", "drain"],
  stopping: ["start", "started", "stop"],
  stopped: ["start", "started", "stop", "stopped"],
  failed: ["start", "fail"],
};

function harness() {
  const clock = new ManualClock(0);
  const transitions: TransitionEvent[] = [];
  const emitter = new Emitter({ transition: (e) => transitions.push(e) }, {
    listening: () => false,
    dispatch: () => {},
  });
  const reporter = new StateReporter("rt", clock, "contributing", emitter);
  const table = new WorkerTable("rt", {}, clock, () => {});
  const w = table.add({ name: "w", worker: { start() {}, stop() {} } });
  reporter.count(w, 1);
  return { reporter, w, transitions };
}

function into(state: LifecycleState) {
  const h = harness();
  for (const move of PATHS[state]) assert.ok(h.reporter.move(h.w, move));
  assert.equal(h.w.state, state);
  h.transitions.length = 0;
  return h;
}

function flags(w: ManagedWorker) {
  return { ready: w.ready, accepting: w.accepting, stalled: w.stalled };
}

for (const state of STATES) {
  for (const name of NAMES) {
    const move: Move = MOVES[name];
    const allowed = move.from.includes(state);
    test(`${name} from ${state} is ${allowed ? "allowed" : "refused"}`, () => {
      const { reporter, w, transitions } = into(state);
      assert.equal(canMove(state, name), allowed);
      if (state === "starting" || state === "running") {
        reporter.setReady(w, true);
        reporter.setAccepting(w, true);
      }
      const before = { ...flags(w), status: reporter.status(0) };
      const applied = reporter.move(w, name);
      assert.equal(applied, allowed);
      if (!allowed) {
        assert.equal(w.state, state);
        assert.deepEqual({ ...flags(w), status: reporter.status(0) }, before);
        assert.deepEqual(transitions, []);
        return;
      }
      assert.equal(w.state, move.to);
      for (const flag of move.clears ?? []) assert.equal(w[flag], false);
      assert.deepEqual(
        transitions.filter((t) => t.worker !== undefined).map((t) => [
          t.from,
          t.to,
          t.reason,
        ]),
        [[state, move.to, move.reason]],
      );
    });
  }
}

test("a move sequence applies in order, and stops at the first refused move", () => {
  const { reporter, w, transitions } = into("running");
  assert.equal(reporter.move(w, ["fail", "restart"]), true);
  assert.equal(w.state, "starting");
  assert.deepEqual(
    transitions.filter((t) => t.worker).map((t) => [t.from, t.to, t.reason]),
    [["running", "failed", undefined], ["failed", "starting", "restart"]],
  );
  assert.equal(reporter.move(w, ["started", "stopped"]), false);
  assert.equal(w.state, "running");
});

test("started applies the start defaults unless the worker set its flags", () => {
  const { reporter, w } = into("starting");
  reporter.move(w, "started", { readySet: false, acceptingSet: false });
  assert.deepEqual([w.ready, w.accepting], [true, true]);
  const again = into("starting");
  again.reporter.move(again.w, "started", {
    readySet: true,
    acceptingSet: true,
  });
  assert.deepEqual([again.w.ready, again.w.accepting], [false, false]);
});

test("leaving running clears stalled", () => {
  const { reporter, w } = into("running");
  reporter.setStalled(w, true);
  reporter.move(w, "drain");
  assert.equal(w.stalled, false);
});

/** The `from --> to: move` edges of the stateDiagram-v2 in docs/lifecycle.md. */
function diagramEdges(): Set<string> {
  const doc = readFileSync(
    new URL("../docs/lifecycle.md", import.meta.url),
    "utf8",
  );
  const block = /```mermaid\n(stateDiagram-v2\n[\s\S]*?)```/.exec(doc);
  assert.ok(block, "docs/lifecycle.md has a stateDiagram-v2 block");
  const edges = new Set<string>();
  for (const line of block[1]!.split("\n").slice(1)) {
    const edge = /^\s*(\S+)\s*-->\s*(\S+)\s*:\s*(\S+)\s*$/.exec(line);
    if (!edge) continue;
    if (edge[1] === "[*]") continue; // registration is not a move
    edges.add(`${edge[1]} --> ${edge[2]}: ${edge[3]}`);
  }
  return edges;
}

test("the diagram in docs/lifecycle.md draws exactly the moves of the table", () => {
  const table = new Set<string>();
  for (const name of NAMES) {
    const move: Move = MOVES[name];
    for (const from of move.from) table.add(`${from} --> ${move.to}: ${name}`);
  }
  assert.deepEqual([...diagramEdges()].sort(), [...table].sort());
});

/** Every `.ts` file under `src/`, as paths relative to the repository. */
function sourceFiles(dir = "src"): string[] {
  const root = new URL("../", import.meta.url);
  const found: string[] = [];
  for (
    const entry of readdirSync(new URL(dir, root), { withFileTypes: true })
  ) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

test("nothing but the state reporter writes a worker's lifecycle state", () => {
  // Worker records live only in src/runtime/; no other layer may import it.
  const writers = sourceFiles("src/runtime").filter((path) => {
    const text = readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
    return /\.enterState\(/.test(text);
  });
  assert.deepEqual(writers, ["src/runtime/_state_reporter.ts"]);
});

/** Each of a worker record's writers, and the one part that may call it. */
const OWNERS: Record<string, string> = {
  enterState: "_state_reporter.ts",
  flagReady: "_state_reporter.ts",
  flagAccepting: "_state_reporter.ts",
  flagStalled: "_state_reporter.ts",
  noteTransition: "_state_reporter.ts",
  noteFailure: "_state_reporter.ts",
  takeSlot: "_dispatcher.ts",
  releaseSlot: "_dispatcher.ts",
  noteCommandFailure: "_dispatcher.ts",
  beginGeneration: "_lifecycle.ts",
  trackWork: "_lifecycle.ts",
  planRestart: "_supervisor.ts",
  countRestart: "_supervisor.ts",
  noteStartFailure: "_supervisor.ts",
};

test("each field of a worker record is written by its one owning part", () => {
  const callers: Record<string, string[]> = {};
  for (const path of sourceFiles("src")) {
    if (path === "src/runtime/_managed_worker.ts") continue;
    const text = readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
    for (const method of Object.keys(OWNERS)) {
      if (!new RegExp(`\\.${method}\\(`).test(text)) continue;
      (callers[method] ??= []).push(path.replace("src/runtime/", ""));
    }
  }
  const expected = Object.fromEntries(
    Object.entries(OWNERS).map(([method, owner]) => [method, [owner]]),
  );
  assert.deepEqual(callers, expected);
});

test("no unhandled rejections", assertNoUnhandled);
