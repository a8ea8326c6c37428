/**
 * The dashboard's HTML: one self-contained page (inline CSS and script, no
 * build step, no CDN, no external fonts, charts drawn as inline SVG). It
 * holds no data — the runtime's name, state, workers, history and chart
 * data come from the authenticated event stream — so it can be served
 * without credentials.
 *
 * The style (`_dashboard_style.ts`) and the script (`_dashboard_script.ts`)
 * are `String.raw` templates kept to ASCII (non-ASCII text is written as
 * `\u` escapes inside script strings): Bun's transpiler rewrites
 * non-ASCII characters of raw templates as escapes, which would otherwise
 * make the page differ between runtimes.
 */
import { DASHBOARD_SCRIPT } from "./_dashboard_script.ts";
import { DASHBOARD_STYLE } from "./_dashboard_style.ts";

/** The page's markup around the style and script. */
const BODY = `<a class="skip" href="#workers-panel">Skip to workers</a>
<header class="top"><div class="wrap">
<div class="brand"><div class="logo" aria-hidden="true">W</div><div><h1 id="title">Workerkit</h1><p class="identity" id="identity">Connecting…</p></div></div>
<div class="probes" role="group" aria-label="Probes"><span class="probe" id="probe-live">Live: ?</span><span class="probe" id="probe-ready">Ready: ?</span></div>
<div class="conn connecting" id="conn" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span><span id="conn-text">Connecting…</span></div>
</div></header>
<main class="wrap">
<noscript><div class="panel"><div class="body">This dashboard needs JavaScript.</div></div></noscript>
<section class="panel auth" id="auth" hidden aria-labelledby="auth-h"><div class="head"><h2 id="auth-h">Sign in</h2></div><div class="body">
<p id="auth-msg"></p>
<form id="auth-form" autocomplete="off"><input id="auth-token" type="password" placeholder="Admin token" aria-label="Admin token" autocomplete="off" spellcheck="false"><button class="primary" type="submit">Connect</button></form>
</div></section>
<section class="cards" id="cards" aria-label="Runtime summary"></section>
<section class="panel" id="workers-panel" tabindex="-1" aria-labelledby="workers-h"><div class="head"><h2 id="workers-h">Workers</h2><span id="workers-count"></span></div>
<div class="table-wrap"><table class="workers"><caption class="sr-only">Workers and their state</caption><thead><tr>
<th scope="col">Worker</th><th scope="col">State</th><th scope="col">Ready</th><th scope="col">Accepting</th><th scope="col">In flight</th><th scope="col">Restarts</th><th scope="col">Stalled</th><th scope="col">Last failure</th><th scope="col">Last transition</th><th scope="col" id="actions-col" hidden>Actions</th>
</tr></thead><tbody id="workers-body"></tbody></table></div>
<div class="empty" id="workers-empty">Waiting for the first snapshot…</div>
</section>
<section class="panel" id="charts-panel" aria-labelledby="charts-h"><div class="head"><h2 id="charts-h">Commands and timelines</h2><span id="charts-window"></span></div>
<div class="body"><div class="charts" id="charts"></div><div class="empty" id="charts-empty">No command dispatched in the window.</div>
<h3 class="sr-only">Timelines</h3><div class="lanes" id="lanes" aria-label="State and readiness timelines"></div>
<div class="axis-labels" aria-hidden="true"><span id="axis-from"></span><span>now</span></div></div>
</section>
<div class="lower" id="lower">
<section class="panel" id="dispatch" hidden aria-labelledby="dispatch-h"><div class="head"><h2 id="dispatch-h">Dispatch a command</h2></div><div class="body">
<form class="dispatch" id="dispatch-form" autocomplete="off" novalidate>
<div class="row2"><label class="field">Worker<select id="d-worker" name="worker"></select></label>
<label class="field">Command<select id="d-command" name="command"></select></label></div>
<div class="schema-fields" id="d-fields" hidden aria-label="Payload fields"></div>
<label class="field" id="d-json">Payload (JSON, optional)<textarea id="d-payload" name="payload" spellcheck="false" placeholder='{"key": "value"}' aria-describedby="d-error"></textarea></label>
<div class="field-error" id="d-error" role="alert"></div>
<div class="actions"><button class="primary" id="d-submit" type="submit" disabled>Dispatch</button><span class="muted" id="d-help"></span></div>
<div class="result" id="d-result" hidden role="status" aria-live="polite"><div class="status" id="d-status"></div><pre id="d-output"></pre></div>
</form></div></section>
<section class="panel" aria-labelledby="events-h"><div class="head"><h2 id="events-h">Recent events</h2><span id="events-count"></span></div>
<div class="filters"><label>Worker <select id="f-worker" aria-label="Filter by worker"><option value="">All workers</option></select></label>
<label>Kind <select id="f-kind" aria-label="Filter by kind"><option value="">All kinds</option><option value="transition">transition</option><option value="readiness">readiness</option><option value="failure">failure</option><option value="command">command</option><option value="check">check</option></select></label>
<button type="button" id="f-pause" aria-pressed="false">Pause</button></div>
<ol class="events" id="events" tabindex="0" aria-live="off" aria-label="Recent events, newest first"></ol>
<div class="empty" id="events-empty">No events yet.</div>
</section>
</div>
</main>
<footer>Workerkit ops dashboard · state is this process's only</footer>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text"><form id="confirm-form" method="dialog">
<h2 id="confirm-title"></h2><p id="confirm-text"></p>
<label class="field" id="confirm-typed" hidden>Type <b id="confirm-expect"></b> to confirm<input id="confirm-input" autocomplete="off" spellcheck="false"></label>
<div class="actions"><button type="button" id="confirm-cancel">Cancel</button><button type="submit" id="confirm-ok" class="primary">Confirm</button></div>
</form></dialog>
<div class="notice" id="notice" hidden role="status" aria-live="polite"></div>`;

const ICON = "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
      '<rect width="32" height="32" rx="8" fill="#4f46e5"/>' +
      '<path d="M7 10l4 12 5-9 5 9 4-12" fill="none" stroke="#fff" ' +
      'stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  );

const NONCE_CHARS = /^[A-Za-z0-9+/=]*$/;

/**
 * The dashboard page with `nonce` on its inline style and script (the
 * nonce of the response's Content-Security-Policy). A nonce with characters
 * base64 does not use is a bug: `TypeError`.
 */
export function dashboardPage(nonce: string): string {
  if (!NONCE_CHARS.test(nonce)) throw new TypeError("invalid CSP nonce");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>Workerkit dashboard</title>
<link rel="icon" href="${ICON}">
<style nonce="${nonce}">${DASHBOARD_STYLE}</style>
</head>
<body>
${BODY}
<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
