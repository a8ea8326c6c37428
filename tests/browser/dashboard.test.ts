/// <reference lib="dom" />
// The dashboard in real headless Chromium against a real server (Node
// adapter). Runs on Node 24 only, as the `browser` phase of `deno task
// test`, which passes the Chromium executable in CHROMIUM_PATH.
//
//   CHROMIUM_PATH=/usr/bin/chromium node_modules/node24/bin/node --test tests/browser/
//
// With UPDATE_SCREENSHOTS=1 it also writes docs/images/dashboard-desktop.png
// (1280×800, light), docs/images/dashboard-dark.png (1280×800, dark) and
// docs/images/dashboard-phone.png (390×844); otherwise the screenshots go
// to the temp folder. Accessibility (WCAG AA contrast among the rest) is
// checked with axe-core, injected through the DevTools protocol (the
// page's CSP allows no other script).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
} from "playwright-core";
import { Runtime, type WorkerHandle } from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { serve } from "../../adapters/node.ts";
import type { Server } from "../../mod.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";

const TOKEN = "browser-token-0123456789";
const SECRET = "sk_live_BROWSER_SECRET";
const WAIT = { timeout: 5_000 };

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    const found = execFileSync("sh", ["-c", "command -v chromium"], {
      encoding: "utf8",
    }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  return "/usr/bin/chromium";
}

let launched: Promise<Browser> | undefined;
function browser(): Promise<Browser> {
  launched ??= chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  return launched;
}
after(async () => {
  if (launched) await (await launched).close();
});

/** A runtime "shop" with four workers, started. */
async function shop() {
  const runtime = new Runtime({ name: "shop" });
  const handles = new Map<string, WorkerHandle>();
  const plain = (name: string) => ({
    start(ctx: { worker: WorkerHandle }) {
      handles.set(name, ctx.worker);
    },
    stop() {},
  });
  runtime.register({
    name: "ingest",
    description: "consumes the order queue",
    worker: plain("ingest"),
  });
  runtime.register({
    name: "prices",
    description: "keeps the price list",
    worker: plain("prices"),
    commands: [
      {
        name: "prices/get",
        description: "reads one price",
        payloadKind: "json",
        idempotent: true,
        handler: ({ payload }) => ({
          message: "found",
          payload: { sku: (payload as { sku: string }).sku, cents: 1999 },
        }),
      },
      {
        name: "cache/refresh",
        description: "reloads the price list",
        handler: () => ({ message: "refreshed" }),
      },
      {
        name: "prices/set",
        description: "sets one price",
        payloadJsonSchema: {
          type: "object",
          properties: {
            sku: { type: "string", description: "the SKU" },
            cents: { type: "integer", minimum: 1 },
            currency: { enum: ["EUR", "USD"] },
            sale: { type: "boolean" },
          },
          required: ["sku", "cents"],
        },
        handler: ({ payload }) => ({ message: "set", payload }),
      },
      {
        name: "prices/reset",
        description: "drops every price",
        dangerous: true,
        handler: () => {
          throw new Error(`refused: ${SECRET}`);
        },
      },
    ],
  });
  runtime.register({
    name: "mailer",
    description: "sends receipts through the mail relay",
    worker: plain("mailer"),
  });
  runtime.register({
    name: "metrics",
    description: "samples queue depth",
    worker: plain("metrics"),
  });
  await runtime.startAll();
  return { runtime, handles };
}

/**
 * Serves the router on the Node adapter, recording every byte of every
 * event stream (the recorder passes cancellation through, so a client that
 * leaves still ends its stream).
 */
async function serveDashboard(
  runtime: Runtime,
  controls: boolean,
): Promise<{
  server: Server;
  url: URL;
  sse: () => string;
  drop: () => void;
  hold: (on: boolean) => void;
  resumes: string[];
}> {
  const app = new Hono();
  app.route(
    "/",
    opsRouter({
      runtime,
      dashboard: true,
      commands: controls,
      lifecycle: controls,
      authMiddleware: bearerAuth({ token: TOKEN }),
    }),
  );
  let bytes = "";
  let held = false;
  const resumes: string[] = [];
  const live = new Set<TransformStreamDefaultController<Uint8Array>>();
  const server = await serve(async (request) => {
    const isStream = new URL(request.url).pathname.endsWith("/events");
    // While held, the stream is refused as by a proxy in the way.
    if (isStream && held) return new Response("held", { status: 502 });
    const resume = request.headers.get("last-event-id");
    if (isStream && resume) resumes.push(resume);
    const response = await app.fetch(request);
    if (
      !new URL(request.url).pathname.endsWith("/events") ||
      response.body === null
    ) {
      return response;
    }
    const decoder = new TextDecoder();
    let own: TransformStreamDefaultController<Uint8Array> | undefined;
    const recorder = new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        own = controller;
        live.add(controller);
      },
      transform(chunk, controller) {
        bytes += decoder.decode(chunk, { stream: true });
        controller.enqueue(chunk);
      },
      flush() {
        live.delete(own!);
      },
    });
    return new Response(response.body.pipeThrough(recorder), response);
  }, { port: 0, hostname: "127.0.0.1" });
  return {
    server,
    url: server.url,
    sse: () => bytes,
    // Ends the streams as a dropped connection would.
    drop: () => {
      for (const controller of live) controller.error(new Error("dropped"));
      live.clear();
    },
    hold: (on) => {
      held = on;
    },
    resumes,
  };
}

/** A page that records console errors and uncaught page errors. */
async function openPage(
  viewport = { width: 1280, height: 800 },
  mobile = false,
  colorScheme: "light" | "dark" = "light",
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await (await browser()).newContext({
    viewport,
    deviceScaleFactor: mobile ? 2 : 1,
    isMobile: mobile,
    hasTouch: mobile,
    colorScheme,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url;
    errors.push(where ? `${message.text()} at ${where}` : message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return { context, page, errors };
}

/**
 * Waits (at most 5 s) until `selector`'s text is `text`. Predicates are
 * functions, not strings: the page's CSP forbids eval, which string
 * predicates need.
 */
async function waitForText(page: Page, selector: string, text: string) {
  await page.waitForFunction(
    ([selector, text]) =>
      document.querySelector(selector)?.textContent === text,
    [selector, text] as const,
    WAIT,
  );
}

function waitForState(page: Page, worker: string, state: string) {
  return waitForText(page, `tr[data-worker="${worker}"] td.state`, state);
}

function waitForLive(page: Page, live: boolean) {
  return page.waitForFunction(
    (live) =>
      document.querySelector("#conn")?.classList.contains("live") === live,
    live,
    WAIT,
  );
}

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

/**
 * Runs axe-core (WCAG 2 A/AA rules, contrast included) on the page and
 * fails with the violations. The source goes in through `evaluate`
 * (DevTools protocol), which the page's CSP does not govern.
 */
async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as {
      axe: {
        run(
          context: unknown,
          options: unknown,
        ): Promise<{
          violations: {
            id: string;
            impact: string;
            nodes: { target: string[]; failureSummary: string }[];
          }[];
        }>;
      };
    }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] },
    });
    return result.violations.map((v) =>
      `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map((n) =>
        `${n.target.join(" ")} - ${n.failureSummary}`
      ).join(" | ")
    );
  });
  assert.deepEqual(violations, [], `${what}:\n${violations.join("\n")}`);
}

/** Waits until some element matching `selector` has text including `text`. */
function waitForSome(page: Page, selector: string, text: string) {
  return page.waitForFunction(
    ([selector, text]) =>
      [...document.querySelectorAll(selector)].some((n) =>
        n.textContent?.includes(text)
      ),
    [selector, text] as const,
    WAIT,
  );
}

function countOf(page: Page, selector: string, text: string) {
  return page.evaluate(
    ([selector, text]) =>
      [...document.querySelectorAll(selector)].filter((n) =>
        n.textContent?.includes(text)
      ).length,
    [selector, text] as const,
  );
}

function dialogClosed(page: Page) {
  return page.waitForFunction(
    () => !(document.getElementById("confirm") as HTMLDialogElement).open,
    undefined,
    WAIT,
  );
}

/** Confirms in the dialog (typing `typed` if asked). */
async function confirmDialog(page: Page, typed?: string): Promise<void> {
  await page.waitForSelector("#confirm[open]", WAIT);
  if (typed !== undefined) await page.fill("#confirm-input", typed);
  await page.click("#confirm-ok");
  await dialogClosed(page);
}

function screenshotPath(name: string): string {
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    return join(root, "docs", "images", `dashboard-${name}.png`);
  }
  return join(tmpdir(), `workerkit-dashboard-${name}.png`);
}

async function stopAll(runtime: Runtime, server: Server): Promise<void> {
  await server.shutdown(AbortSignal.timeout(5_000));
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
}

test("the dashboard shows the runtime, follows it live, and its controls confirm first", async () => {
  const { runtime, handles } = await shop();
  const { server, url, sse } = await serveDashboard(runtime, true);
  const { context, page, errors } = await openPage();
  try {
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForLive(page, true);
    await page.waitForFunction(
      () => document.querySelectorAll("#workers-body tr").length === 4,
      undefined,
      WAIT,
    );
    // The token left the address bar at once; the page shows the runtime.
    assert.equal(new URL(page.url()).hash, "");
    assert.ok(!page.url().includes(TOKEN));
    assert.equal(await page.textContent("#title"), "shop");
    assert.equal(await page.title(), "shop \u00b7 Workerkit");
    await waitForState(page, "shop/ingest", "running");
    // The header: both probes, and who is serving.
    assert.equal(await page.textContent("#probe-live"), "Live: yes");
    assert.equal(await page.textContent("#probe-ready"), "Ready: yes");
    const identity = (await page.textContent("#identity"))!;
    assert.match(identity, /Workerkit 0\.\d+\.\d+/);
    assert.match(identity, /on Node\.js \d+/);
    assert.match(identity, /up \d+/);

    // A change on the server shows within a second, without a reload.
    const before = Date.now();
    await runtime.drain("ingest");
    await waitForState(page, "shop/ingest", "draining");
    const elapsed = Date.now() - before;
    assert.ok(elapsed < 1_000, `the drain showed after ${elapsed} ms`);
    await waitForText(page, 'tr[data-worker="shop/ingest"] td.accepting', "no");
    await waitForText(page, "#probe-ready", "Ready: NO");

    // Nothing is preselected; a bad payload is refused before sending.
    await page.selectOption("#d-worker", "shop/prices");
    assert.equal(await page.inputValue("#d-command"), "");
    assert.equal(await page.isDisabled("#d-submit"), true);
    await page.selectOption("#d-command", "prices/get");
    await page.fill("#d-payload", '{"sku": ');
    await waitForText(page, "#d-error", "The payload is not valid JSON.");
    assert.equal(await page.isDisabled("#d-submit"), true);
    await page.fill("#d-payload", '{"sku": "sku-1"}');
    await page.click("#d-submit");
    await page.waitForFunction(
      () =>
        document.querySelector("#d-status")?.textContent?.startsWith("200 OK"),
      undefined,
      WAIT,
    );
    const output = JSON.parse((await page.textContent("#d-output"))!);
    assert.deepEqual(output, {
      message: "found",
      payload: { sku: "sku-1", cents: 1999 },
    });

    // A command with a JSON Schema gets a form built from it, checked
    // before sending.
    await page.selectOption("#d-command", "prices/set");
    await page.waitForSelector("#d-fields:not([hidden])", WAIT);
    assert.equal(await page.isHidden("#d-json"), true);
    await page.fill("#d-f-sku", "sku-9");
    await page.fill("#d-f-cents", "0");
    await waitForText(page, "#d-error", "cents must be at least 1");
    assert.equal(await page.isDisabled("#d-submit"), true);
    await page.fill("#d-f-cents", "250");
    await page.selectOption("#d-f-currency", '"USD"');
    await page.check("#d-f-sale");
    await page.click("#d-submit");
    await page.waitForFunction(
      () => document.querySelector("#d-output")?.textContent?.includes("sku-9"),
      undefined,
      WAIT,
    );
    assert.deepEqual(JSON.parse((await page.textContent("#d-output"))!), {
      message: "set",
      payload: { sku: "sku-9", cents: 250, currency: "USD", sale: true },
    });
    await page.selectOption("#d-command", "prices/get");

    // The chart of prices/get moves as commands are dispatched.
    const chart = 'figure[data-command="shop/prices prices/get"]';
    await page.waitForSelector(chart, WAIT);
    const total = async () =>
      Number(await page.getAttribute(chart, "data-total"));
    const first = await total();
    for (let i = 0; i < 5; i++) {
      await runtime.dispatch({
        worker: "prices",
        name: "prices/get",
        payload: { sku: "sku-2" },
      });
    }
    await page.waitForFunction(
      ([chart, n]) =>
        Number(document.querySelector(chart)?.getAttribute("data-total")) >=
          n,
      [chart, first + 5] as const,
      WAIT,
    );
    assert.ok((await total()) >= first + 5);
    assert.ok(
      (await page.locator(`${chart} svg rect.count`).count()) >= 1,
      "the throughput bars are drawn",
    );

    // A dangerous command asks for the worker's name, and only that.
    await page.selectOption("#d-command", "prices/reset");
    await page.click("#d-submit");
    await page.waitForSelector("#confirm[open]", WAIT);
    assert.equal(await page.isDisabled("#confirm-ok"), true);
    await page.fill("#confirm-input", "price");
    assert.equal(await page.isDisabled("#confirm-ok"), true);
    await page.keyboard.press("Escape");
    await dialogClosed(page);
    await page.click("#d-submit");
    await confirmDialog(page, "prices");
    await page.waitForFunction(
      () => document.querySelector("#d-status")?.textContent?.startsWith("500"),
      undefined,
      WAIT,
    );

    // Every lifecycle action asks first; Cancel changes nothing.
    const drain = 'tr[data-worker="shop/prices"] button[data-op="drain"]';
    await page.click(drain);
    await page.waitForSelector("#confirm[open]", WAIT);
    assert.match((await page.textContent("#confirm-title"))!, /Drain prices/);
    await page.click("#confirm-cancel");
    await dialogClosed(page);
    assert.equal(runtime.worker("prices")?.status.state, "running");
    await page.click(drain);
    await confirmDialog(page);
    await waitForState(page, "shop/prices", "draining");
    await page.click('tr[data-worker="shop/ingest"] button[data-op="stop"]');
    await confirmDialog(page);
    await waitForState(page, "shop/ingest", "stopped");
    // The keyboard alone: focus the start button, Enter, Enter.
    await page.focus('tr[data-worker="shop/ingest"] button[data-op="start"]');
    await page.keyboard.press("Enter");
    await page.waitForSelector("#confirm[open]", WAIT);
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      "confirm-cancel",
      "focus starts on Cancel",
    );
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await waitForState(page, "shop/ingest", "running");

    // Failures show their public code and message; the secret never
    // reaches the page or the stream.
    handles.get("mailer")!.reportFailure(new Error(`relay auth ${SECRET}`));
    await waitForState(page, "shop/mailer", "failed");
    await waitForText(
      page,
      'tr[data-worker="shop/mailer"] td.failure code',
      "worker_failed",
    );
    await waitForSome(page, "#events li", "worker_failed");
    assert.ok(!(await page.content()).includes(SECRET));
    assert.ok(!sse().includes(SECRET));
    assert.ok(sse().startsWith("event: history\n"));
    // The only console error: the dangerous command's refusal (500).
    for (const error of errors) assert.match(error, /status of 500/);

    // Filters and pause.
    await page.selectOption("#f-worker", "shop/mailer");
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("#events li .w")].every((n) =>
          n.textContent === "mailer"
        ),
      undefined,
      WAIT,
    );
    await page.selectOption("#f-kind", "failure");
    await page.waitForFunction(
      () => {
        const items = [...document.querySelectorAll("#events li")];
        return items.length === 1 && items[0]!.classList.contains("failure");
      },
      undefined,
      WAIT,
    );
    await page.selectOption("#f-worker", "");
    await page.selectOption("#f-kind", "");
    await page.click("#f-pause");
    await page.waitForSelector('#f-pause[aria-pressed="true"]', WAIT);
    await runtime.drain("metrics");
    await waitForState(page, "shop/metrics", "draining");
    await waitForText(page, "#f-pause", "Resume (2 new)");
    assert.equal(await countOf(page, "#events li", "metrics running"), 0);
    await page.click("#f-pause");
    await waitForSome(page, "#events li", "running \u2192 draining");

    // Timelines: one lane per worker, mailer's shows it failed.
    await page.waitForFunction(
      () =>
        document.querySelector('[data-lane="shop/mailer"]')?.getAttribute(
          "data-states",
        )?.endsWith("failed"),
      undefined,
      WAIT,
    );
    await assertAccessible(page, "desktop, light");

    // The screenshot: from the top, no focus ring, no toast.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      document.getElementById("notice")!.hidden = true;
      scrollTo(0, 0);
    });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: screenshotPath("desktop"), fullPage: true });
    for (const error of errors) assert.match(error, /status of 500/);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("a reload replays the history; a dropped stream shows it is lost, then resumes with no gap and no duplicate", async () => {
  const { runtime, handles } = await shop();
  const { server, url, drop, hold, resumes } = await serveDashboard(
    runtime,
    true,
  );
  const { context, page, errors } = await openPage();
  // The public probes are read without the token.
  const probeAuth: string[] = [];
  page.on("request", (request) => {
    if (/\/(livez|readyz)$/.test(new URL(request.url()).pathname)) {
      probeAuth.push(request.headers().authorization ?? "none");
    }
  });
  try {
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForLive(page, true);
    handles.get("mailer")!.reportFailure(new Error(`relay auth ${SECRET}`));
    await waitForSome(page, "#events li", "worker_failed");
    await runtime.drain("ingest");
    await waitForSome(page, "#events li", "ingest running \u2192 draining");

    // A new load starts with what happened before it.
    await page.goto("about:blank");
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForLive(page, true);
    await waitForSome(page, "#events li", "worker_failed");
    assert.equal(await countOf(page, "#events li", "worker_failed"), 1);
    assert.equal(
      await countOf(page, "#events li", "ingest running \u2192 draining"),
      1,
    );

    // F5: the address bar no longer has the token, the tab's session does.
    assert.ok(!page.url().includes("token"), page.url());
    await page.reload();
    await waitForLive(page, true);
    assert.equal(await page.isHidden("#auth"), true);
    await waitForSome(page, "#events li", "worker_failed");
    assert.equal(await countOf(page, "#events li", "worker_failed"), 1);
    assert.equal(
      await countOf(page, "#events li", "ingest running \u2192 draining"),
      1,
    );
    // Another tab does not get it: sessionStorage is per tab.
    const other = await context.newPage();
    await other.goto(new URL("/admin", url).href);
    await other.waitForSelector("#auth:not([hidden])", WAIT);
    await other.close();

    // The connection drops and stays down for a while.
    hold(true);
    drop();
    await waitForLive(page, false);
    await page.waitForFunction(
      () =>
        document.querySelector("#conn-text")?.textContent?.startsWith(
          "Stream lost \u2014 reconnecting",
        ),
      undefined,
      WAIT,
    );
    assert.match(
      (await page.getAttribute("#conn", "class"))!,
      /offline/,
    );
    // Meanwhile the header reads the public probes, without the token.
    await page.waitForFunction(
      () =>
        performance.getEntriesByType("resource").some((e) =>
          e.name.endsWith("/readyz")
        ),
      undefined,
      { timeout: 15_000 },
    );
    assert.ok(probeAuth.length >= 2, "the probes were read");
    assert.deepEqual(new Set(probeAuth), new Set(["none"]));
    // What happens meanwhile is shown once it is back, exactly once.
    await runtime.drain("metrics");
    await runtime.start("mailer");
    hold(false);
    await waitForLive(page, true);
    await waitForState(page, "shop/mailer", "running");
    await waitForSome(page, "#events li", "metrics running \u2192 draining");
    assert.equal(
      await countOf(page, "#events li", "metrics running \u2192 draining"),
      1,
    );
    assert.equal(
      await countOf(page, "#events li", "ingest running \u2192 draining"),
      1,
    );
    assert.equal(await countOf(page, "#events li", "worker_failed"), 1);
    assert.ok(resumes.length >= 1, "the page sent Last-Event-ID");
    assert.ok(!(await page.content()).includes(SECRET));
    for (const error of errors) {
      assert.match(error, /net::ERR_|502|503 .* at \S+\/readyz$/);
    }
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("the Live probe flips when a livenessOnStall worker stalls, as /livez does", async () => {
  const runtime = new Runtime({ name: "pod" });
  let wedged = false;
  let beat: ReturnType<typeof setInterval> | undefined;
  runtime.register({
    name: "ingest",
    stallTimeout: 400,
    livenessOnStall: true,
    worker: {
      start(ctx: { worker: WorkerHandle }) {
        beat = setInterval(() => {
          if (!wedged) ctx.worker.heartbeat();
        }, 50);
      },
      stop() {
        clearInterval(beat);
      },
    },
  });
  await runtime.startAll();
  const { server, url } = await serveDashboard(runtime, false);
  const { context, page, errors } = await openPage();
  try {
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForText(page, "#probe-live", "Live: yes");
    wedged = true;
    await waitForText(page, "#probe-live", "Live: NO");
    assert.equal((await fetch(new URL("/livez", url))).status, 503);
    await waitForSome(
      page,
      'tr[data-worker="pod/ingest"] td.stalled',
      "no heartbeat, stalled for",
    );
    await page.waitForFunction(
      () =>
        document.querySelector('[data-lane="liveness"]')?.getAttribute(
          "data-states",
        ) === "true false",
      undefined,
      { timeout: 5_000 },
    );
    wedged = false;
    await waitForText(page, "#probe-live", "Live: yes");
    assert.equal((await fetch(new URL("/livez", url))).status, 200);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("in dark mode the page is dark and passes the contrast checks", async () => {
  const { runtime, handles } = await shop();
  const { server, url } = await serveDashboard(runtime, true);
  const { context, page, errors } = await openPage(
    { width: 1280, height: 800 },
    false,
    "dark",
  );
  try {
    for (let i = 0; i < 3; i++) {
      await runtime.dispatch({ worker: "prices", name: "cache/refresh" });
    }
    await runtime.dispatch({ worker: "prices", name: "prices/reset" })
      .catch(() => {});
    handles.get("mailer")!.reportFailure(new Error(`relay auth ${SECRET}`));
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForState(page, "shop/mailer", "failed");
    await page.waitForSelector("figure.chart", WAIT);
    const background = await page.evaluate(() =>
      getComputedStyle(document.body).backgroundColor
    );
    assert.equal(background, "rgb(14, 18, 23)");
    await assertAccessible(page, "desktop, dark");
    await page.mouse.move(0, 0);
    await page.screenshot({ path: screenshotPath("dark"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("on a phone the workers table becomes cards", async () => {
  const { runtime, handles } = await shop();
  const { server, url } = await serveDashboard(runtime, true);
  const { context, page, errors } = await openPage(
    { width: 390, height: 844 },
    true,
  );
  try {
    await runtime.drain("prices");
    handles.get("mailer")!.reportFailure(new Error(`relay auth ${SECRET}`));
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForState(page, "shop/mailer", "failed");
    const layout = await page.evaluate(() => {
      const row = document.querySelector('tr[data-worker="shop/ingest"]')!;
      const thead = document.querySelector("table.workers thead")!;
      return {
        row: getComputedStyle(row).display,
        thead: getComputedStyle(thead).display,
        width: document.documentElement.scrollWidth,
      };
    });
    assert.equal(layout.thead, "none");
    assert.equal(layout.row, "grid");
    // The identity line gets the header's width; no fact breaks inside.
    const identity = await page.evaluate(() => {
      const line = document.getElementById("identity")!;
      const size = parseFloat(getComputedStyle(line).fontSize);
      return {
        width: line.getBoundingClientRect().width,
        facts: [...line.children].map((n) =>
          `${n.textContent}: ${n.getBoundingClientRect().height / size}`
        ),
        tall: [...line.children].filter((n) =>
          n.getBoundingClientRect().height > size * 2
        ).length,
      };
    });
    assert.ok(identity.facts.length >= 3, identity.facts.join(", "));
    assert.equal(identity.tall, 0, identity.facts.join(", "));
    assert.ok(identity.width >= 300, `identity is ${identity.width}px wide`);
    assert.ok(layout.width <= 390, `the page is ${layout.width}px wide`);
    await assertAccessible(page, "phone");
    await page.screenshot({ path: screenshotPath("phone") });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("with controls disabled the page has no buttons and the POST routes answer 404", async () => {
  const { runtime } = await shop();
  const { server, url } = await serveDashboard(runtime, false);
  const { context, page, errors } = await openPage();
  try {
    await page.goto(new URL(`/admin#token=${TOKEN}`, url).href);
    await waitForState(page, "shop/prices", "running");
    assert.equal(await page.locator("button[data-op]").count(), 0);
    assert.equal(await page.isHidden("#dispatch"), true);
    assert.equal(await page.isHidden("#actions-col"), true);
    // A change still shows.
    await runtime.drain("prices");
    await waitForState(page, "shop/prices", "draining");
    const headers = {
      authorization: `Bearer ${TOKEN}`,
      "content-type": "application/json",
    };
    for (
      const [path, body] of [
        ["/admin/workers/drain", { worker: "ingest" }],
        ["/admin/commands/dispatch", { worker: "prices", name: "prices/get" }],
      ] as const
    ) {
      const response = await fetch(new URL(path, url), {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
    assert.equal(runtime.worker("ingest")?.status.state, "running");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("without a token the page asks for one, shows the public probes meanwhile, and connects once it is given; a reload keeps it", async () => {
  const { runtime, handles } = await shop();
  const { server, url } = await serveDashboard(runtime, false);
  const { context, page, errors } = await openPage();
  try {
    await page.goto(new URL("/admin", url).href);
    await page.waitForSelector("#auth:not([hidden])", WAIT);
    assert.equal(await page.textContent("#conn-text"), "Not authorized");
    assert.equal(await page.locator("#workers-body tr").count(), 0);
    // The probes are public: shown before sign-in, and kept fresh.
    await waitForText(page, "#probe-live", "Live: yes");
    await waitForText(page, "#probe-ready", "Ready: yes");
    handles.get("ingest")!.setReady(false);
    await page.waitForFunction(
      () => document.querySelector("#probe-ready")?.textContent === "Ready: NO",
      undefined,
      { timeout: 15_000 },
    );
    handles.get("ingest")!.setReady(true);
    await page.fill("#auth-token", TOKEN);
    await page.click("#auth-form button");
    await waitForState(page, "shop/ingest", "running");
    assert.equal(await page.isHidden("#auth"), true);
    assert.equal(await page.inputValue("#auth-token"), "");
    // A reload keeps the token typed in this tab.
    await page.reload();
    await waitForState(page, "shop/ingest", "running");
    assert.equal(await page.isHidden("#auth"), true);
    // The only console errors: the refused first stream request and the
    // /readyz answering 503 while ingest was not ready.
    for (const error of errors) {
      assert.match(error, /401 .* at \S+\/events$|503 .* at \S+\/readyz$/);
    }
    assert.equal(errors.filter((e) => e.includes("401")).length, 1);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("no unhandled rejections", assertNoUnhandled);
