// The bounded steps of runService's shutdown. Each one waits at most its
// share, whatever the code it calls does with its signal, and reports what
// happened instead of throwing.
import { Attempt, invoke } from "../base/_attempt.ts";
import type { Clock } from "../base/clock.ts";
import type { RuntimeEvent, TransitionEvent } from "../events.ts";
import type { Runtime } from "../runtime.ts";
import type { Server } from "./server.ts";

/** How the server's close went. */
export interface ServerOutcome {
  /** Whether `shutdown` resolved (forced or not) rather than rejected. */
  ok: boolean;
  /** Whether the share ran out, so open connections were closed. */
  forced: boolean;
}

/**
 * Closes the server gracefully for at most `shareMs`, then aborts its
 * signal so it closes what is still open; returns at the share's end even
 * if the server's `shutdown` never settles.
 */
export async function closeServer(
  server: Server,
  clock: Clock,
  shareMs: number,
): Promise<ServerOutcome> {
  const share = new Attempt(clock, shareMs);
  try {
    await share.race(invoke(() => server.shutdown(share.signal)), "close");
    return { ok: true, forced: share.signal.aborted };
  } catch {
    return { ok: share.signal.aborted, forced: share.signal.aborted };
  } finally {
    share.settle();
  }
}

/** How the workers' shutdown went, and where its time went. */
export interface WorkersOutcome {
  /** `undefined` when every worker stopped in time. */
  problem: "deadline_exceeded" | "stop_failed" | undefined;
  /** Time before the first worker began to stop: drain and idle wait. */
  drainMs: number;
  /** Time from the first stop to the end. */
  stopMs: number;
}

/**
 * Runs `runtime.shutdown` with `shareMs` as its deadline, timing its drain
 * apart from its stops by the first worker transition to `stopping`.
 */
export async function stopWorkers(
  runtime: Runtime,
  clock: Clock,
  shareMs: number,
): Promise<WorkersOutcome> {
  const began = clock.now();
  let stopsBegan: number | undefined;
  const onTransition = (event: Event): void => {
    const { detail } = event as RuntimeEvent<TransitionEvent>;
    if (detail.worker !== undefined && detail.to === "stopping") {
      stopsBegan ??= clock.now();
    }
  };
  runtime.addEventListener("transition", onTransition);
  const share = new Attempt(clock, Math.max(0, shareMs));
  let problem: WorkersOutcome["problem"];
  try {
    await runtime.shutdown({ signal: share.signal });
  } catch {
    problem = share.signal.aborted ? "deadline_exceeded" : "stop_failed";
  } finally {
    share.settle();
    runtime.removeEventListener("transition", onTransition);
  }
  const ended = clock.now();
  const split = stopsBegan ?? ended;
  return { problem, drainMs: split - began, stopMs: ended - split };
}

/** Qualified names of the workers that have not come to rest. */
export function unstoppedWorkers(runtime: Runtime): string[] {
  return runtime.workers()
    .filter(({ status }) =>
      status.state === "draining" ||
      status.state === "stopping" || status.state === "running" ||
      status.state === "starting"
    )
    .map((worker) => worker.qualifiedName);
}

/**
 * Runs `flush` with a signal that aborts after `leftMs`, waiting no longer
 * than that; a flush with no time left is not called.
 */
export async function runFlush(
  flush: (signal: AbortSignal) => Promise<void>,
  clock: Clock,
  leftMs: number,
): Promise<"ok" | "flush_failed" | "flush_timeout"> {
  if (leftMs <= 0) return "flush_timeout";
  const bound = new Attempt(clock, leftMs);
  try {
    await bound.race(invoke(() => flush(bound.signal)), "flush");
    return "ok";
  } catch {
    return bound.timedOut ? "flush_timeout" : "flush_failed";
  } finally {
    bound.settle();
  }
}
