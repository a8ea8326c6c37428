import type { ActiveCheck } from "../events.ts";
import type {
  Generation,
  ManagedWorker,
  WorkerHost,
} from "./_managed_worker.ts";
import type { StateReporter } from "./_state_reporter.ts";
import type { Supervisor } from "./_supervisor.ts";

/**
 * What a worker's handle calls: readiness and admission flags and failure
 * records go to the state reporter, reported failures and heartbeats to
 * the supervisor. The handle itself checks that its generation is current.
 */
export class HandleBackend implements WorkerHost {
  readonly #runtime: string;
  readonly #reporter: StateReporter;
  readonly #supervisor: Supervisor;

  constructor(
    runtime: string,
    reporter: StateReporter,
    supervisor: Supervisor,
  ) {
    this.#runtime = runtime;
    this.#reporter = reporter;
    this.#supervisor = supervisor;
  }

  setReady(w: ManagedWorker, ready: boolean): void {
    if (w.state !== "starting" && w.state !== "running") return;
    this.#reporter.setReady(w, ready);
  }

  setAcceptingWork(w: ManagedWorker, accepting: boolean): void {
    if (w.state === "starting" || w.state === "running") {
      this.#reporter.setAccepting(w, accepting);
    }
  }

  reportFailure(w: ManagedWorker, error: unknown): void {
    this.#supervisor.reportFailure(w, error);
  }

  heartbeat(w: ManagedWorker): void {
    this.#supervisor.heartbeat(w);
  }

  recordFailure(
    w: ManagedWorker,
    generation: Generation,
    error: unknown,
    kind: "background" | "loop_cleanup",
  ): void {
    // An ended generation may still report (a loop's late cleanup) as long
    // as no newer one has begun.
    if (w.generation !== generation) return;
    // A cleanup failure follows the failure that ended the loop: it is its
    // own event and never replaces that primary lastFailure (it only fills
    // an empty one).
    const cleanup = kind === "loop_cleanup";
    const context = cleanup ? "loop_cleanup" : "lifecycle";
    const primary = !cleanup || w.lastFailure === undefined;
    this.#reporter.recordFailure(w, error, kind, undefined, context, primary);
  }

  beginCheck(w: ManagedWorker, check: string): ActiveCheck | undefined {
    const emitter = this.#reporter.emitter;
    if (!emitter.wantsChecks()) return undefined;
    const base = { runtime: this.#runtime, worker: w.qualifiedName, check };
    const following = emitter.checkStart({ ...base, at: this.#reporter.at() });
    let ended = false;
    return {
      wrap: (fn) => following.wrap(fn),
      end: (e) => {
        if (ended) return;
        ended = true;
        following.end({ ...e, ...base });
      },
    };
  }
}
