/**
 * OpenTelemetry's Prometheus compatibility rules: the unit of a metric is
 * added to its Prometheus name as a full word, before `_total`
 * (`workerkit.command.duration`, unit `s` → `workerkit_command_duration_seconds`).
 * `@opentelemetry/exporter-prometheus` writes the unit only as a `# UNIT`
 * line and leaves names alone (open-telemetry/opentelemetry-js#3466), so
 * the route completes that one step on the serializer's output. Units in
 * braces (`{dispatch}`) are annotations and add nothing; units not listed
 * here are left as the serializer wrote them.
 */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  ns: "nanoseconds",
  us: "microseconds",
  ms: "milliseconds",
  s: "seconds",
  min: "minutes",
  h: "hours",
  d: "days",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  KBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  "%": "percent",
};

const UNIT_LINE = /^# UNIT (\S+) (\S+)$/;
const FAMILY_LINE = /^# (?:HELP|TYPE|UNIT) (\S+)/;
const SAMPLE_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const HISTOGRAM_PARTS = ["_bucket", "_sum", "_count"] as const;

/**
 * Adds the unit suffix to every metric family whose `# UNIT` is listed,
 * unless its name already ends with it or another family has the new name.
 *
 * @param text The exporter's exposition.
 * @returns The exposition with unit-suffixed names.
 */
export function withUnitSuffixes(text: string): string {
  const lines = text.split("\n");
  const renames = familyRenames(lines);
  if (renames.size === 0) return text;
  let family: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const meta = FAMILY_LINE.exec(line);
    if (meta !== null) {
      family = meta[1];
      const renamed = renames.get(family!);
      if (renamed === undefined) continue;
      const unit = UNIT_LINE.exec(line);
      lines[i] = unit === null
        ? line.replace(family!, renamed.name)
        : `# UNIT ${renamed.name} ${renamed.word}`;
      continue;
    }
    const renamed = family === undefined ? undefined : renames.get(family);
    if (renamed === undefined || line.startsWith("#")) continue;
    const name = SAMPLE_NAME.exec(line)?.[0];
    if (name === undefined) continue;
    const part = name === family
      ? ""
      : HISTOGRAM_PARTS.find((p) => name === family + p);
    if (part === undefined) continue;
    lines[i] = renamed.name + part + line.slice(name.length);
  }
  return lines.join("\n");
}

function familyRenames(
  lines: readonly string[],
): Map<string, { name: string; word: string }> {
  const families = new Set<string>();
  const units = new Map<string, string>();
  for (const line of lines) {
    const meta = FAMILY_LINE.exec(line);
    if (meta !== null) families.add(meta[1]!);
    const unit = UNIT_LINE.exec(line);
    if (unit !== null) units.set(unit[1]!, unit[2]!);
  }
  const renames = new Map<string, { name: string; word: string }>();
  for (const [family, unit] of units) {
    const word = Object.hasOwn(UNIT_WORDS, unit) ? UNIT_WORDS[unit] : undefined;
    if (word === undefined) continue;
    const counter = family.endsWith("_total");
    const base = counter ? family.slice(0, -"_total".length) : family;
    if (base.endsWith(`_${word}`)) continue;
    const name = `${base}_${word}${counter ? "_total" : ""}`;
    if (families.has(name)) continue;
    renames.set(family, { name, word });
  }
  return renames;
}
