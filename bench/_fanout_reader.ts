/**
 * The clients of `bench/fanout.ts`, in their own process so that reading
 * and parsing the streams does not count against the server: opens N event
 * streams on the given URL, prints `ready` once all answered, counts SSE
 * messages and bytes, and on `stop` (a line on stdin) prints
 * `{"events":…,"bytes":…}` since the last `reset`, closes the streams and
 * exits. `reset` zeroes the counters (after the replay).
 *
 * Usage: `<runtime> bench/_fanout_reader.ts <events URL> <N>`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";

const [url, count] = process.argv.slice(-2);
let events = 0;
let bytes = 0;
const aborts: AbortController[] = [];

async function read(): Promise<void> {
  const abort = new AbortController();
  aborts.push(abort);
  const response = await fetch(url!, { signal: abort.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        bytes += value.length;
        const text = decoder.decode(value, { stream: true });
        let at = text.indexOf("\n\n");
        while (at >= 0) {
          events++;
          at = text.indexOf("\n\n", at + 2);
        }
      }
    } catch {
      // aborted at stop
    }
  })();
}

await Promise.all(Array.from({ length: Number(count) }, read));
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "reset") {
    events = 0;
    bytes = 0;
    console.log("reset");
  } else if (line === "stop") {
    console.log(JSON.stringify({ events, bytes }));
    for (const abort of aborts) abort.abort();
    process.exit(0);
  }
}
