import { WorkerkitError } from "../mod.ts";
import type { ServeOptions } from "../mod.ts";
import { readEnv } from "./_host.ts";

/**
 * The default `shutdownDelay` in Kubernetes: endpoint removal reaches
 * kube-proxy, ingresses and load balancers within a few seconds of SIGTERM.
 */
export const KUBERNETES_SHUTDOWN_DELAY_MS = 5_000;

/** `ServeOptions` checked, with the defaults applied. */
export interface ServeSettings {
  port: number;
  /** `undefined`: the runtime's own default, every interface. */
  hostname: string | undefined;
  shutdownDelay: number;
}

const KEYS = new Set(["port", "hostname", "shutdownDelay"]);

/**
 * Checks `options` and applies the defaults: port 8000, every interface,
 * and a shutdown delay of 5 s when `KUBERNETES_SERVICE_HOST` is set (every
 * Kubernetes pod has it), else 0. A bad option is `invalid_argument`.
 */
export function serveSettings(
  options: ServeOptions | undefined,
): ServeSettings {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object") {
    throw invalid("serve() takes an options object as its second argument");
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw invalid(`serve() has no option "${key}"`);
  }
  const { port = 8000, hostname, shutdownDelay } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalid("port must be an integer from 0 to 65535");
  }
  if (hostname !== undefined && (typeof hostname !== "string" || !hostname)) {
    throw invalid("hostname must be a non-empty string");
  }
  const delay = shutdownDelay ?? defaultShutdownDelay();
  if (typeof delay !== "number" || !(delay >= 0) || !Number.isFinite(delay)) {
    throw invalid("shutdownDelay must be a number of ms >= 0");
  }
  return { port, hostname, shutdownDelay: delay };
}

function defaultShutdownDelay(): number {
  return readEnv("KUBERNETES_SERVICE_HOST") ? KUBERNETES_SHUTDOWN_DELAY_MS : 0;
}

/** `http://host:port/`, with an IPv6 host in brackets. */
export function serverUrl(hostname: string, port: number): URL {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return new URL(`http://${host}:${port}/`);
}

function invalid(message: string): WorkerkitError {
  return new WorkerkitError("invalid_argument", message);
}
