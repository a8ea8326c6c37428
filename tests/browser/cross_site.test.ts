/// <reference lib="dom" />
// Issue 13, item 6, in real headless Chromium: a page on another site
// submits an empty form to `runtime/stop` while the browser holds the ops
// cookie. Runs on Node 24 as the `browser` phase of `deno task test`.
//
//   CHROMIUM_PATH=/usr/bin/chromium node_modules/node24/bin/node --test tests/browser/
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { type Browser, chromium } from "playwright-core";
import { Runtime } from "../../mod.ts";
import { opsRouter } from "../../src/hono/mod.ts";
import { serve } from "../../adapters/node.ts";
import type { Server } from "../../src/service/server.ts";
import { assertNoUnhandled } from "../_support/unhandled.ts";

const SESSION = "s3cret-session";
const WAIT = { timeout: 10_000 };

let launched: Promise<Browser> | undefined;
function browser(): Promise<Browser> {
  launched ??= chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  return launched;
}
after(async () => {
  if (launched) await (await launched).close();
});

/** What reached the ops server's mutating routes. */
interface Seen {
  path: string;
  cookie: boolean;
  site: string | null;
  status: number;
}

/**
 * The ops service on 127.0.0.1: cookie auth, lifecycle routes, a `/login`
 * that sets the session cookie, and a record of every POST it answered.
 */
async function opsService(runtime: Runtime) {
  const seen: Seen[] = [];
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    if (c.req.method !== "POST") return;
    seen.push({
      path: c.req.path,
      cookie: getCookie(c, "ops_session") === SESSION,
      site: c.req.header("sec-fetch-site") ?? null,
      status: c.res.status,
    });
  });
  app.get("/login", (c) => {
    // What a login would set; SameSite=None so the browser attaches it to
    // cross-site requests too, the case the router itself must refuse.
    c.header(
      "set-cookie",
      `ops_session=${SESSION}; Path=/; HttpOnly; Secure; SameSite=None`,
    );
    return c.text("signed in");
  });
  app.route(
    "/",
    opsRouter({
      runtime,
      auth: (c) => getCookie(c, "ops_session") === SESSION,
      lifecycle: true,
    }),
  );
  const server = await serve(app.fetch, { port: 0, hostname: "127.0.0.1" });
  return { server, seen };
}

/** Another site: `localhost` is not the same site as `127.0.0.1`. */
async function evilSite(target: URL): Promise<Server> {
  const server = await serve(() =>
    new Response(
      `<!doctype html><form id="f" method="post" action="${target}"></form>` +
        `<script>document.getElementById("f").submit()</script>`,
      { headers: { "content-type": "text/html" } },
    ), { port: 0, hostname: "127.0.0.1" });
  return server;
}

test("issue 13.6 in Chromium: a cross-site form post with no fields cannot stop the runtime under cookie auth", async () => {
  const runtime = new Runtime({ name: "svc" });
  runtime.register({ name: "prices", worker: { start() {}, stop() {} } });
  await runtime.startAll();
  const ops = await opsService(runtime);
  const target = new URL("/admin/runtime/stop", ops.server.url);
  const evil = await evilSite(target);
  const context = await (await browser()).newContext();
  try {
    const page = await context.newPage();
    await page.goto(new URL("/login", ops.server.url).href);
    const cookies = await context.cookies(ops.server.url.href);
    assert.equal(cookies.some((c) => c.name === "ops_session"), true);

    const evilUrl = new URL(evil.url);
    evilUrl.hostname = "localhost";
    await page.goto(evilUrl.href);
    await page.waitForURL(target.href, WAIT);
    const attack = ops.seen.find((s) => s.path === target.pathname);
    assert.ok(attack, "the form post reached the server");
    assert.equal(attack.cookie, true, "the browser sent the session cookie");
    assert.equal(attack.site, "cross-site");
    assert.equal(attack.status, 403);
    assert.equal(runtime.status().state, "running", "nothing was stopped");

    // The same browser, same origin, with JSON: the dashboard's way.
    await page.goto(new URL("/login", ops.server.url).href);
    const status = await page.evaluate(async () => {
      const response = await fetch("/admin/runtime/drain", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return response.status;
    });
    assert.equal(status, 200);
    assert.equal(runtime.status().state, "draining");
  } finally {
    await context.close();
    await evil.shutdown(AbortSignal.timeout(5_000));
    await ops.server.shutdown(AbortSignal.timeout(5_000));
    await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
  }
});

test("no unhandled rejections", assertNoUnhandled);
