/**
 * A LogTape message template (`"{worker} {from} → {to}"`) compiled once:
 * LogTape receives the template and renders it from the record's
 * properties itself; other loggers get the rendered text.
 */
export interface Template {
  /** The template, placeholders in LogTape's `{name}` syntax. */
  readonly text: string;
  /** The message with every placeholder replaced by its property. */
  render(properties: Readonly<Record<string, unknown>>): string;
}

/** The most messages a {@linkcode MessageCache} keeps before starting over. */
const CACHE_LIMIT = 4_096;

/**
 * Rendered messages of a template whose placeholders are registered names
 * only (worker and command), kept by those names: the record of every
 * successful dispatch would otherwise build the same string again.
 */
export class MessageCache {
  readonly #template: Template;
  readonly #messages = new Map<string, Map<string, string>>();
  #size = 0;

  constructor(template: Template) {
    this.#template = template;
  }

  /** The message for `worker` and `command`, rendered from `properties` once. */
  get(
    worker: string,
    command: string,
    properties: Readonly<Record<string, unknown>>,
  ): string {
    let byCommand = this.#messages.get(worker);
    const known = byCommand?.get(command);
    if (known !== undefined) return known;
    if (this.#size >= CACHE_LIMIT) {
      this.#messages.clear();
      this.#size = 0;
      byCommand = undefined;
    }
    if (byCommand === undefined) {
      byCommand = new Map();
      this.#messages.set(worker, byCommand);
    }
    const message = this.#template.render(properties);
    byCommand.set(command, message);
    this.#size++;
    return message;
  }
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Compiles `text` into literal parts and property names, alternating. */
export function template(text: string): Template {
  const literals: string[] = [];
  const keys: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    literals.push(text.slice(last, match.index));
    keys.push(match[1]!);
    last = match.index + match[0].length;
  }
  literals.push(text.slice(last));
  return {
    text,
    render(properties) {
      let out = literals[0]!;
      for (let i = 0; i < keys.length; i++) {
        out += String(properties[keys[i]!]) + literals[i + 1]!;
      }
      return out;
    },
  };
}

/** Every message the log observer writes, by record. */
export const TEMPLATES = {
  transition: template("{worker} {from} → {to}"),
  transitionWithReason: template("{worker} {from} → {to} ({reason})"),
  runtimeTransition: template("{runtime} {from} → {to}"),
  runtimeTransitionWithReason: template("{runtime} {from} → {to} ({reason})"),
  ready: template("{worker} ready"),
  notReady: template("{worker} not ready"),
  runtimeReady: template("{runtime} ready"),
  runtimeNotReady: template("{runtime} not ready"),
  failure: template("{worker} {kind} failure: {failureMessage} ({code})"),
  commandFailure: template(
    "{worker} {command} attempt {attempt} failed: {failureMessage} ({code})",
  ),
  retry: template(
    "{worker} {command} attempt {attempt} failed ({code}); retrying",
  ),
  // No duration in the hot path's message: formatting a fraction costs
  // more than the rest of the record (it is in `durationMs`).
  commandOk: template("{worker} {command} ok"),
  commandOkAfterRetries: template(
    "{worker} {command} ok after {attempts} attempts",
  ),
  commandRefused: template(
    "{worker} {command} refused: {failureMessage} ({code})",
  ),
  commandRejected: template(
    "{worker} {command} rejected: {failureMessage} ({code})",
  ),
  commandCanceled: template("{worker} {command} canceled ({code})"),
  commandCanceledByCaller: template(
    "{worker} {command} canceled by its caller ({code})",
  ),
  commandFailed: template(
    "{worker} {command} failed after {attempts} attempt(s): {failureMessage} ({code})",
  ),
  check: template("{worker} check {check} {outcome} in {durationMs} ms"),
  checkFailed: template(
    "{worker} check {check} {outcome}: {failureMessage} ({code})",
  ),
} as const;
