/**
 * Runs `deno doc --lint` over every entrypoint in deno.json's `exports` and
 * fails on any finding, with one known exception: `deno doc` reports types
 * that come from npm packages as private (denoland/deno#27364), so the
 * `Hono`, `Context` and `MiddlewareHandler` types that `@workerkit/core/hono`
 * must expose are listed here and tolerated. Anything else fails the gate.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
const entrypoints = Object.values(config.exports as Record<string, string>);
/** npm types that deno doc wrongly calls private. */
const TOLERATED = /references private type '(Hono|Context|MiddlewareHandler)'/;

const output = await new Deno.Command(`${root}/node_modules/.bin/deno`, {
  args: ["doc", "--lint", ...entrypoints],
  cwd: root,
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const text = new TextDecoder().decode(output.stdout) +
  new TextDecoder().decode(output.stderr);
const findings = text.split(/\n(?=error\[)/).filter((block) =>
  block.startsWith("error[")
);
const real = findings.filter((block) => !TOLERATED.test(block));
for (const block of real) console.error(block.trim(), "\n");
console.log(
  `doc lint: ${entrypoints.length} entrypoints, ${findings.length} findings, ` +
    `${
      findings.length - real.length
    } tolerated (npm types), ${real.length} real`,
);
if (real.length > 0 || (!output.success && findings.length === 0)) {
  if (findings.length === 0) console.error(text);
  Deno.exit(1);
}
