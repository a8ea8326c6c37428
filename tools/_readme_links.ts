/**
 * The relative links of a Markdown file (the README): listed, so a check
 * can prove each one points at a published file, and made absolute, so the
 * npm copy of the README links to the same files as published on JSR.
 *
 * @module
 */

/** `[text](target)` and `![alt](target)`, with an optional title. */
const LINK = /(\]\()([^)\s]+)((?:\s+"[^"]*")?\))/g;
const FENCE = /^(```|~~~)/;

/** Whether a link target is relative to the file (not a URL, not an anchor). */
function isRelative(target: string): boolean {
  return !/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(target);
}

/** Applies `map` to every link target outside fenced code blocks. */
function mapLinks(
  markdown: string,
  map: (target: string) => string,
): string {
  let inFence = false;
  return markdown.split("\n").map((line) => {
    if (FENCE.test(line.trimStart())) inFence = !inFence;
    if (inFence) return line;
    return line.replace(
      LINK,
      (_, open, target, close) => open + map(target) + close,
    );
  }).join("\n");
}

/** The file paths of the relative links, without `#anchor`, in order. */
export function relativeLinks(markdown: string): string[] {
  const found: string[] = [];
  mapLinks(markdown, (target) => {
    if (isRelative(target)) found.push(target.replace(/#.*$/, ""));
    return target;
  });
  return found;
}

/** The Markdown with every relative link resolved against `base`. */
export function absoluteLinks(markdown: string, base: string): string {
  return mapLinks(
    markdown,
    (target) => isRelative(target) ? new URL(target, base).href : target,
  );
}
