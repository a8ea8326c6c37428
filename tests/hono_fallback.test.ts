// Issue 13, item 5: every answer on the router's paths is JSON with
// `Cache-Control: no-store`, served alone or mounted with `app.route()`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { Runtime } from "../mod.ts";
import { opsRouter } from "../src/hono/mod.ts";
import { call, post, type Reply, withServer } from "./_support/serve.ts";
import { startPrices } from "./_support/prices.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const KEY = { "x-ops-key": "k" };

function assertJsonError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.match(reply.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(reply.headers.get("cache-control"), "no-store");
  assert.deepEqual(Object.keys(reply.body ?? {}), ["error"], reply.text);
  assert.equal(reply.body.error.code, code);
  assert.equal(typeof reply.body.error.message, "string");
}

/** The router alone, mounted at "/" and mounted at "/ops", by base path. */
function layouts(runtime: Runtime): Array<[string, Hono]> {
  const router = () =>
    opsRouter({
      runtime,
      auth: (c) => c.req.header("x-ops-key") === "k",
      commands: true, // lifecycle and dashboard stay disabled
    });
  const atRoot = new Hono();
  atRoot.get("/", (c) => c.text("home"));
  atRoot.route("/", router());
  const atOps = new Hono();
  atOps.get("/", (c) => c.text("home"));
  atOps.route("/ops", router());
  return [["", router()], ["", atRoot], ["/ops", atOps]];
}

/** The parent's own route still answers (the router alone has none). */
async function assertParentRoute(url: URL, app: Hono): Promise<void> {
  const home = await call(url, "/");
  if (app.routes.some((route) => route.path === "/")) {
    assert.equal(home.text, "home");
  } else {
    assert.equal(home.status, 404);
  }
}

test("issue 13.5: unknown and disabled routes under the prefix answer 404 JSON, alone or mounted", async () => {
  const runtime = await startPrices();
  for (const [base, app] of layouts(runtime)) {
    await withServer(app.fetch, async (url) => {
      for (
        const path of [
          "/admin",
          "/admin/",
          "/admin/nope",
          "/admin/components/",
          "/admin/components/prices/extra",
          "/admin/workers/stop", // disabled: lifecycle is off
          "/admin/events", // disabled: dashboard is off
        ]
      ) {
        assertJsonError(
          await call(url, base + path, { headers: KEY }),
          404,
          "not_found",
        );
        assertJsonError(
          await post(url, base + path, {}, KEY),
          404,
          "not_found",
        );
        // Behind auth like every admin path: 401 first.
        assertJsonError(await call(url, base + path), 401, "unauthorized");
      }
      const head = await fetch(new URL(base + "/admin/nope", url), {
        method: "HEAD",
        headers: KEY,
      });
      await head.body?.cancel();
      assert.equal(head.status, 404);
      assert.equal(head.headers.get("cache-control"), "no-store");
      await assertParentRoute(url, app);
    });
  }
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("issue 13.5: a wrong method on a known path answers 405 JSON with Allow, alone or mounted", async () => {
  const runtime = await startPrices();
  for (const [base, app] of layouts(runtime)) {
    await withServer(app.fetch, async (url) => {
      const cases: Array<[string, string, string]> = [
        ["POST", "/livez", "GET, HEAD"],
        ["DELETE", "/readyz", "GET, HEAD"],
        ["GET", "/admin/commands/dispatch", "POST"],
        ["PUT", "/admin/commands/dispatch", "POST"],
        ["POST", "/admin/components", "GET, HEAD"],
        ["DELETE", "/admin/components/prices", "GET, HEAD"],
        ["OPTIONS", "/admin/components", "GET, HEAD"],
      ];
      for (const [method, path, allow] of cases) {
        const reply = await call(url, base + path, { method, headers: KEY });
        assertJsonError(reply, 405, "method_not_allowed");
        assert.equal(reply.headers.get("allow"), allow, `${method} ${path}`);
      }
      // Under the prefix the guard still comes first.
      assertJsonError(
        await call(url, base + "/admin/commands/dispatch"),
        401,
        "unauthorized",
      );
    });
  }
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("with the dashboard, POST {prefix} answers 405 behind auth", async () => {
  const runtime = await startPrices();
  const app = opsRouter({ runtime, auth: () => true, dashboard: true });
  await withServer(app.fetch, async (url) => {
    const reply = await post(url, "/admin", {});
    assertJsonError(reply, 405, "method_not_allowed");
    assert.equal(reply.headers.get("allow"), "GET, HEAD");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("paths outside the router are left to the parent app", async () => {
  const runtime = await startPrices();
  const parent = new Hono();
  parent.route("/", opsRouter({ runtime }));
  parent.notFound((c) => c.text("parent says no", 404));
  await withServer(parent.fetch, async (url) => {
    const reply = await call(url, "/elsewhere");
    assert.equal(reply.status, 404);
    assert.equal(reply.text, "parent says no");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("no unhandled rejections", assertNoUnhandled);
