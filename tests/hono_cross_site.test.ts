// Issue 13, item 6: under cookie auth, a page on another site cannot use
// the mutating routes; bearer clients (no Origin, no Sec-Fetch-Site) can.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bearerAuth } from "hono/bearer-auth";
import { getCookie } from "hono/cookie";
import { opsRouter } from "../src/hono/mod.ts";
import { call, post, type Reply, withServer } from "./_support/serve.ts";
import { startPrices } from "./_support/prices.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

const COOKIE = { cookie: "ops_session=s3cret" };
const EVIL = "https://evil.example";

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.body?.error?.code, code, reply.text);
  assert.equal(reply.headers.get("cache-control"), "no-store");
}

/** A started runtime and a router behind a cookie-based `auth` predicate. */
async function cookieRouter() {
  const runtime = await startPrices();
  const app = opsRouter({
    runtime,
    auth: (c) => getCookie(c, "ops_session") === "s3cret",
    lifecycle: true,
    commands: true,
  });
  return { runtime, app };
}

/** What a browser sends for `<form method="post" action="…">` with no fields. */
function formPost(
  url: URL,
  path: string,
  headers: Record<string, string>,
): Promise<Reply> {
  return call(url, path, {
    method: "POST",
    headers: { ...COOKIE, ...headers },
    body: new URLSearchParams(),
  });
}

test("issue 13.6: a cross-site form post with no fields cannot stop or drain the runtime under cookie auth", async () => {
  const { runtime, app } = await cookieRouter();
  await withServer(app.fetch, async (url) => {
    for (const path of ["/admin/runtime/stop", "/admin/runtime/drain"]) {
      // A current browser: Sec-Fetch-Site and Origin.
      assertError(
        await formPost(url, path, {
          "sec-fetch-site": "cross-site",
          origin: EVIL,
        }),
        403,
        "cross_site_request",
      );
      // An old browser that sends only Origin.
      assertError(
        await formPost(url, path, { origin: EVIL }),
        403,
        "cross_site_request",
      );
      // One that sends neither: the empty form is still not JSON.
      assertError(
        await formPost(url, path, {}),
        415,
        "unsupported_media_type",
      );
      assertError(
        await call(url, path, {
          method: "POST",
          headers: { ...COOKIE, "content-type": "text/plain" },
        }),
        415,
        "unsupported_media_type",
      );
    }
    assert.equal(runtime.status().state, "running", "nothing was stopped");
    assert.equal(runtime.status().ready, true, "nothing was drained");
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("cross-site JSON requests are refused too; same-origin ones pass", async () => {
  const { runtime, app } = await cookieRouter();
  await withServer(app.fetch, async (url) => {
    const dispatch = { worker: "prices", name: "noop" };
    for (const site of ["cross-site", "same-site"]) {
      assertError(
        await post(url, "/admin/commands/dispatch", dispatch, {
          ...COOKIE,
          "sec-fetch-site": site,
        }),
        403,
        "cross_site_request",
      );
    }
    for (const origin of [EVIL, "null", "not a url"]) {
      assertError(
        await post(url, "/admin/workers/stop", { worker: "prices" }, {
          ...COOKIE,
          origin,
        }),
        403,
        "cross_site_request",
      );
    }
    assert.equal(runtime.status().state, "running");

    // The dashboard's own requests: same origin (Origin's scheme is not
    // compared, for a TLS-terminating proxy in front).
    const same = await post(url, "/admin/commands/dispatch", dispatch, {
      ...COOKIE,
      "sec-fetch-site": "same-origin",
      origin: url.origin,
    });
    assert.equal(same.status, 200, same.text);
    const proxied = await post(url, "/admin/commands/dispatch", dispatch, {
      ...COOKIE,
      origin: `https://${url.host}`,
    });
    assert.equal(proxied.status, 200, proxied.text);
    const drained = await post(url, "/admin/runtime/drain", {}, {
      ...COOKIE,
      "sec-fetch-site": "same-origin",
    });
    assert.equal(drained.status, 200, drained.text);
    assert.equal(drained.body.runtime.state, "draining");

    // Reads are not mutating: a cross-site GET still needs auth, nothing more.
    const read = await call(url, "/admin/components", {
      headers: { ...COOKIE, "sec-fetch-site": "cross-site", origin: EVIL },
    });
    assert.equal(read.status, 200, read.text);
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("bearer clients without Origin or Sec-Fetch-Site keep working", async () => {
  const runtime = await startPrices();
  const app = opsRouter({
    runtime,
    authMiddleware: bearerAuth({ token: "t0ken" }),
    lifecycle: true,
  });
  await withServer(app.fetch, async (url) => {
    const auth = { authorization: "Bearer t0ken" };
    assertError(
      await call(url, "/admin/runtime/stop", { method: "POST", headers: auth }),
      415,
      "unsupported_media_type",
    );
    const stopped = await post(url, "/admin/runtime/stop", {}, auth);
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.body.runtime.state, "stopped");
    assertError(
      await post(url, "/admin/runtime/start", {}),
      401,
      "unauthorized",
    );
  });
  await runtime.shutdown({ signal: AbortSignal.timeout(5_000) });
});

test("no unhandled rejections", assertNoUnhandled);
