/// <reference lib="dom" />
// The dashboard in real headless Chromium against a real server (Node
// adapter). Runs on Node 24 only, as the `browser` phase of `deno task
// test`, which passes the Chromium executable in CHROMIUM_PATH.
//
//   CHROMIUM_PATH=/usr/bin/chromium node_modules/node24/bin/node --test tests/browser/
//
// With UPDATE_SCREENSHOTS=1 it also writes docs/images/dashboard-desktop.png
// (1280×800) and docs/images/dashboard-phone.png (390×844); otherwise the
// screenshots go to the temp folder.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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
): Promise<{ server: Server; url: URL; sse: () => string; drop: () => void }> {
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
  const live = new Set<TransformStreamDefaultController<Uint8Array>>();
  const server = await serve(async (request) => {
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
  };
}

/** A page that records console errors and uncaught page errors. */
async function openPage(
  viewport = { width: 1280, height: 800 },
  mobile = false,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await (await browser()).newContext({
    viewport,
    deviceScaleFactor: mobile ? 2 : 1,
    isMobile: mobile,
    hasTouch: mobile,
    colorScheme: "light",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
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

test("the dashboard shows the runtime, follows it live, and its controls work", async () => {
  const { runtime, handles } = await shop();
  const { server, url, sse, drop } = await serveDashboard(runtime, true);
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

    // A change on the server shows within a second, without a reload.
    await page.evaluate(() => {
      (globalThis as { sameDocument?: boolean }).sameDocument = true;
    });
    const before = Date.now();
    await runtime.drain("ingest");
    await waitForState(page, "shop/ingest", "draining");
    const elapsed = Date.now() - before;
    assert.ok(elapsed < 1_000, `the drain showed after ${elapsed} ms`);
    assert.equal(
      await page.evaluate(() =>
        (globalThis as { sameDocument?: boolean }).sameDocument
      ),
      true,
    );
    // In-flight, readiness and the like come with the snapshot after it.
    await waitForText(page, 'tr[data-worker="shop/ingest"] td.accepting', "no");

    // The dispatch form runs a command and shows its result.
    await page.selectOption("#d-worker", "shop/prices");
    await page.selectOption("#d-command", "prices/get");
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

    // The drain button drains the worker; the row shows it.
    await page.click('tr[data-worker="shop/prices"] button[data-op="drain"]');
    await waitForState(page, "shop/prices", "draining");
    assert.equal(runtime.worker("prices")?.status.state, "draining");

    // Stop asks for a second click, then stops; start brings it back.
    const stop = 'tr[data-worker="shop/ingest"] button[data-op="stop"]';
    await page.click(stop);
    assert.equal(await page.textContent(stop), "Confirm stop");
    assert.equal(runtime.worker("ingest")?.status.state, "draining");
    await page.click(stop);
    await waitForState(page, "shop/ingest", "stopped");
    await page.click('tr[data-worker="shop/ingest"] button[data-op="start"]');
    await waitForState(page, "shop/ingest", "running");

    // Failures show their public code and message; the secret never
    // reaches the page or the stream.
    handles.get("mailer")!.reportFailure(new Error(`relay auth ${SECRET}`));
    await assert.rejects(runtime.dispatch({
      worker: "metrics",
      name: "missing",
    }));
    await waitForState(page, "shop/mailer", "failed");
    await waitForText(
      page,
      'tr[data-worker="shop/mailer"] td.failure code',
      "worker_failed",
    );
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("#events li")].some((li) =>
          li.textContent?.includes("worker_failed")
        ),
      undefined,
      WAIT,
    );
    assert.ok(!(await page.content()).includes(SECRET));
    assert.ok(!sse().includes(SECRET));
    assert.ok(sse().startsWith("event: snapshot\n"));

    // No console error so far: load, live updates, controls.
    assert.deepEqual(errors, []);

    // A dropped stream reconnects by itself and the page follows again.
    drop();
    await waitForLive(page, false);
    await waitForLive(page, true);
    await runtime.start("mailer");
    await waitForState(page, "shop/mailer", "running");
    // Failed again, for the screenshot.
    handles.get("mailer")!.reportFailure(new Error(`relay auth ${SECRET}`));
    await waitForState(page, "shop/mailer", "failed");

    // The screenshot: from the top, no focus ring, no toast.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      document.getElementById("notice")!.hidden = true;
      scrollTo(0, 0);
    });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: screenshotPath("desktop") });
    // The only console error since: the network error of the dropped stream.
    for (const error of errors) assert.match(error, /net::ERR_/);
    assert.ok(!(await page.content()).includes(SECRET));
    assert.ok(!sse().includes(SECRET));
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
    assert.ok(layout.width <= 390, `the page is ${layout.width}px wide`);
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

test("without a token the page asks for one and connects once it is given", async () => {
  const { runtime } = await shop();
  const { server, url } = await serveDashboard(runtime, false);
  const { context, page, errors } = await openPage();
  try {
    await page.goto(new URL("/admin", url).href);
    await page.waitForSelector("#auth:not([hidden])", WAIT);
    assert.equal(await page.textContent("#conn-text"), "Not authorized");
    assert.equal(await page.locator("#workers-body tr").count(), 0);
    await page.fill("#auth-token", TOKEN);
    await page.click("#auth-form button");
    await waitForState(page, "shop/ingest", "running");
    assert.equal(await page.isHidden("#auth"), true);
    assert.equal(await page.inputValue("#auth-token"), "");
    // The only console error: the refused first stream request.
    assert.ok(errors.length <= 1, errors.join("\n"));
    for (const error of errors) assert.match(error, /401/);
  } finally {
    await context.close();
    await stopAll(runtime, server);
  }
});

test("no unhandled rejections", assertNoUnhandled);
