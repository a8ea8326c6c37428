/**
 * The rules of `tools/layers.json` as pure functions, so the layering check
 * (`tools/check_layers.ts`) and its tests read them the same way.
 *
 * @module
 */

/** One layer: its path prefixes and what it may import. */
export interface Layer {
  paths: string[];
  imports?: string[];
  entrypoints?: string[];
  external?: string[];
}

/** An import allowed against the rules, with the reason. */
export interface Exception {
  from: string;
  to: string;
  why: string;
}

/** The contents of `tools/layers.json`. */
export interface Rules {
  layers: Record<string, Layer>;
  exceptions?: Exception[];
}

/** The layer of a repository path: the one with the longest matching prefix. */
export function layerOf(rules: Rules, path: string): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const [name, layer] of Object.entries(rules.layers)) {
    for (const prefix of layer.paths) {
      const matches = prefix.endsWith("/")
        ? path.startsWith(prefix)
        : path === prefix;
      if (matches && prefix.length > bestLength) {
        best = name;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/** Why `from` may not import `to` (a repository path), or `undefined`. */
export function fileProblem(
  rules: Rules,
  from: string,
  to: string,
): string | undefined {
  const own = layerOf(rules, from);
  const target = layerOf(rules, to);
  if (own === undefined) return undefined;
  if (target === undefined) return `${to} belongs to no layer`;
  if (own === target) return undefined;
  const layer = rules.layers[own]!;
  if (layer.entrypoints !== undefined) {
    return layer.entrypoints.includes(to)
      ? undefined
      : `${own} may import only ${layer.entrypoints.join(", ")}`;
  }
  return (layer.imports ?? []).includes(target)
    ? undefined
    : `${own} may not import ${target}`;
}

/** Why `from` may not use the external module `specifier`, or `undefined`. */
export function externalProblem(
  rules: Rules,
  from: string,
  specifier: string,
): string | undefined {
  const own = layerOf(rules, from);
  if (own === undefined) return undefined;
  const allowed = rules.layers[own]!.external ?? [];
  const ok = allowed.some((name) =>
    name.endsWith(":")
      ? specifier.startsWith(name)
      : specifier === name || specifier.startsWith(`${name}/`)
  );
  return ok ? undefined : `${own} may not import external ${specifier}`;
}
