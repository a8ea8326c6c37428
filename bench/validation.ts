/**
 * Measures what a `payloadSchema` adds to `runtime.dispatch`: the same no-op
 * command without a schema, with a small Zod 4 object schema and with the
 * same schema in Valibot 1 — ns per call awaited in sequence (median of
 * several rounds after a warm-up). Results are printed, never asserted.
 *
 * Usage: `deno run -A bench/validation.ts [--quick]`, `node
 * bench/validation.ts`, `bun bench/validation.ts` — or through `deno task
 * bench validation`.
 *
 * @module
 */
import * as v from "valibot";
import { z } from "zod";
import { type Command, Runtime } from "../mod.ts";
import type { BenchLine } from "./_common.ts";
import { calibrate, emit, median, quick, sequential } from "./_common.ts";

const ROUNDS = quick ? 3 : 7;
const ROUND_MS = quick ? 25 : 120;

/** The JSON line `bench/validation.ts` prints. */
export interface ValidationReport extends BenchLine {
  /** Median ns per dispatch, by variant: none, zod, valibot. */
  ns: Record<string, number>;
}

const payload = { sku: "apple-42", price: 1.25, tags: ["fruit", "red"] };

const zodSchema = z.object({
  sku: z.string().min(1).max(32),
  price: z.number().positive(),
  tags: z.array(z.string()).max(8),
});

const valibotSchema = v.object({
  sku: v.pipe(v.string(), v.minLength(1), v.maxLength(32)),
  price: v.pipe(v.number(), v.minValue(0)),
  tags: v.pipe(v.array(v.string()), v.maxLength(8)),
});

// deno-lint-ignore require-await
const handler = async () => ({});

async function runtimeWith(): Promise<Runtime> {
  const runtime = new Runtime({ name: "bench" });
  const commands: Command[] = [
    { name: "none", handler },
    { name: "zod", payloadSchema: zodSchema, handler },
    { name: "valibot", payloadSchema: valibotSchema, handler },
  ];
  runtime.register({ name: "w", worker: { start() {}, stop() {} }, commands });
  await runtime.startAll();
  return runtime;
}

async function main(): Promise<void> {
  const runtime = await runtimeWith();
  const names = ["none", "zod", "valibot"];
  const calls = names.map((name) => () =>
    runtime.dispatch({ worker: "w", name, payload })
  );
  const sizes: number[] = [];
  for (const call of calls) sizes.push(await calibrate(call, ROUND_MS));
  const rounds: number[][] = names.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, call] of calls.entries()) {
      rounds[i]!.push(await sequential(call, sizes[i]!));
    }
  }
  const ns: Record<string, number> = {};
  for (const [i, name] of names.entries()) ns[name] = median(rounds[i]!);
  await runtime.shutdown();
  emit<ValidationReport>("validation", { ns });
}

await main();
