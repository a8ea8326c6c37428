import type { RuntimeEventMap } from "../../mod.ts";

/** The runtime event types the dashboard's stream forwards (docs/ops-and-http.md). */
export const STREAMED_EVENT_TYPES: readonly (keyof RuntimeEventMap)[] = [
  "transition",
  "readiness",
  "failure",
  "commandstart",
  "commandend",
  "checkstart",
  "checkend",
];
