/** The version of `@workerkit/core` (kept equal to `deno.json` by a test). */
export const WORKERKIT_VERSION = "0.1.0";

/** Who is serving the dashboard, shown in its header. */
export interface ServiceIdentity {
  /** The host or pod name, when it could be found. */
  host?: string;
  /** The service's own version, when the router was given one. */
  version?: string;
  /** The version of `@workerkit/core`. */
  workerkit: string;
  /** The JavaScript runtime and its version, e.g. `Deno 2.9.6`. */
  jsRuntime: string;
  /** When the process started (ISO 8601), when the runtime says. */
  startedAt?: string;
}

interface Globals {
  Deno?: {
    version?: { deno?: string };
    hostname?: () => string;
    env?: { get(name: string): string | undefined };
    permissions?: {
      querySync?(d: { name: string; variable?: string }): { state: string };
    };
  };
  Bun?: { version?: string };
  process?: {
    versions?: Record<string, string | undefined>;
    env?: Record<string, string | undefined>;
  };
  navigator?: { userAgent?: string };
}

/**
 * Reads what the dashboard's header shows about the process, without
 * importing anything platform-specific: each runtime's global is probed
 * and every probe may throw (Deno without `--allow-env` / `--allow-sys`).
 */
export function serviceIdentity(
  given: { host?: string; version?: string } | undefined,
): ServiceIdentity {
  const identity: ServiceIdentity = {
    workerkit: WORKERKIT_VERSION,
    jsRuntime: jsRuntime(globalThis as Globals),
  };
  const host = given?.host ?? hostName(globalThis as Globals);
  if (host !== undefined) identity.host = host;
  if (given?.version !== undefined) identity.version = given.version;
  const origin = performance.timeOrigin;
  if (Number.isFinite(origin) && origin > 0) {
    identity.startedAt = new Date(origin).toISOString();
  }
  return identity;
}

function jsRuntime(g: Globals): string {
  return probe(() => {
    if (g.Deno?.version?.deno) return `Deno ${g.Deno.version.deno}`;
    if (g.Bun?.version) return `Bun ${g.Bun.version}`;
    const node = g.process?.versions?.node;
    if (node) return `Node.js ${node}`;
    return g.navigator?.userAgent;
  }) ?? "unknown";
}

/** The pod name Kubernetes puts in the environment, else the host's name. */
function hostName(g: Globals): string | undefined {
  for (const name of ["POD_NAME", "HOSTNAME"]) {
    const value = probe(() =>
      g.Deno === undefined
        ? g.process?.env?.[name]
        : granted(g, { name: "env", variable: name })
        ? g.Deno.env?.get(name)
        : undefined
    );
    if (value) return value;
  }
  return probe(() =>
    granted(g, { name: "sys" }) ? g.Deno?.hostname?.() : undefined
  );
}

/**
 * Whether Deno already allows a read: never ask, since a permission prompt
 * would hold a service's start in a terminal.
 */
function granted(g: Globals, descriptor: { name: string; variable?: string }) {
  const query = g.Deno?.permissions?.querySync;
  if (query === undefined) return false;
  return query.call(g.Deno!.permissions, descriptor).state === "granted";
}

function probe(read: () => string | undefined): string | undefined {
  try {
    const value = read();
    return typeof value === "string" && value !== ""
      ? value.slice(0, 253)
      : undefined;
  } catch {
    return undefined;
  }
}
