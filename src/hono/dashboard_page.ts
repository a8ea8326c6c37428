/**
 * The dashboard's HTML: one self-contained page (inline CSS and script, no
 * build step, no CDN, no external fonts). It holds no data — the runtime's
 * name, state and workers come from the authenticated event stream — so it
 * can be served without credentials.
 *
 * The script, in short: reads `#token=…` from the URL fragment, keeps it in
 * memory and removes it from the address bar; reads `{page}/events` with
 * `fetch()` (not `EventSource`, which cannot send `Authorization`) and a
 * small SSE parser, reconnecting with backoff (and when no byte, not even a
 * heartbeat, came for two heartbeats); replaces its state on every
 * `snapshot` and applies the events in between; renders with
 * `textContent` only; POSTs the controls to the existing routes.
 *
 * `STYLE` and `SCRIPT` are `String.raw` templates kept to ASCII (non-ASCII
 * text is written as `\u` escapes inside script strings): Bun's transpiler
 * rewrites non-ASCII characters of raw templates as escapes, which would
 * otherwise make the page differ between runtimes.
 */

/** The page's stylesheet (light and dark, table → cards on narrow screens). */
const STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --surface: #ffffff; --surface-2: #f9fafb; --border: #e2e5ea;
  --text: #18202b; --muted: #5f6b7a; --faint: #8a94a3;
  --accent: #4f46e5; --accent-text: #ffffff; --accent-soft: #eef0ff;
  --ok: #157347; --ok-soft: #e6f5ec; --warn: #a15c00; --warn-soft: #fff4e0;
  --bad: #b42318; --bad-soft: #fdecea; --info: #1d5fb4; --info-soft: #e8f0fc;
  --idle: #5f6b7a; --idle-soft: #eef0f3;
  --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .08);
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1217; --surface: #161b22; --surface-2: #1b212a; --border: #2a323d;
    --text: #e6e9ee; --muted: #9aa4b2; --faint: #6e7887;
    --accent: #818cf8; --accent-text: #0e1217; --accent-soft: #232650;
    --ok: #4ade80; --ok-soft: #12301f; --warn: #fbbf24; --warn-soft: #33270d;
    --bad: #f87171; --bad-soft: #3a1717; --info: #60a5fa; --info-soft: #142844;
    --idle: #9aa4b2; --idle-soft: #232a33;
    --shadow: 0 1px 2px rgba(0, 0, 0, .4);
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
[hidden] { display: none !important; }
.wrap { max-width: 1440px; margin: 0 auto; padding: 0 24px; }
header.top { background: var(--surface); border-bottom: 1px solid var(--border); }
header.top .wrap { display: flex; align-items: center; gap: 16px; min-height: 64px; }
.brand { display: flex; align-items: center; gap: 12px; min-width: 0; flex: 1; }
.logo {
  width: 32px; height: 32px; border-radius: 8px; flex: none;
  background: linear-gradient(135deg, var(--accent), #06b6d4);
  display: grid; place-items: center; color: #fff; font-weight: 700; font-size: 15px;
}
.brand h1 { margin: 0; font-size: 17px; font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.brand p { margin: 0; color: var(--muted); font-size: 12.5px; }
.conn {
  display: inline-flex; align-items: center; gap: 8px; padding: 5px 12px;
  border: 1px solid var(--border); border-radius: 999px; font-size: 12.5px;
  color: var(--muted); white-space: nowrap; background: var(--surface-2);
}
.conn .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
.conn.live .dot { background: var(--ok); box-shadow: 0 0 0 3px var(--ok-soft); }
.conn.connecting .dot { background: var(--warn); }
.conn.offline .dot, .conn.auth .dot { background: var(--bad); }
main.wrap { padding-top: 24px; padding-bottom: 40px; display: grid; gap: 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card {
  background: var(--surface); border: 1px solid var(--border); border-radius: 10px;
  padding: 14px 16px; box-shadow: var(--shadow); min-width: 0;
}
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { margin-top: 6px; font-size: 20px; font-weight: 650; display: flex; align-items: center; gap: 8px; min-height: 30px; }
.card .hint { margin-top: 2px; color: var(--muted); font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.panel { background: var(--surface); border: 1px solid var(--border); border-radius: 10px; box-shadow: var(--shadow); min-width: 0; }
.panel > .head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; padding: 14px 16px; border-bottom: 1px solid var(--border); }
.panel h2 { margin: 0; font-size: 15px; font-weight: 650; }
.panel .head span { color: var(--muted); font-size: 12.5px; }
.panel .body { padding: 16px; }
.lower { display: grid; gap: 20px; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 1100px) { .lower.two { grid-template-columns: minmax(0, 5fr) minmax(0, 7fr); } }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--surface-2); white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: var(--surface-2); }
td.num { font-variant-numeric: tabular-nums; }
td.name { min-width: 190px; }
td.failure { min-width: 160px; }
.wname { font-weight: 600; }
.wdesc { color: var(--muted); font-size: 12.5px; margin-top: 2px; max-width: 34ch; }
td.transition .mono { white-space: nowrap; }
td.actions-cell .actions { flex-wrap: nowrap; }
.badge {
  display: inline-flex; align-items: center; gap: 6px; padding: 2px 9px; border-radius: 999px;
  font-size: 12.5px; font-weight: 600; white-space: nowrap; background: var(--idle-soft); color: var(--idle);
}
.badge::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; }
.badge.running, .badge.yes { background: var(--ok-soft); color: var(--ok); }
.badge.starting { background: var(--info-soft); color: var(--info); }
.badge.draining, .badge.stopping, .badge.warn { background: var(--warn-soft); color: var(--warn); }
.badge.failed, .badge.no { background: var(--bad-soft); color: var(--bad); }
.flag { font-weight: 600; }
.flag.yes { color: var(--ok); }
.flag.no { color: var(--faint); }
.flag.warn { color: var(--warn); }
.flag.bad { color: var(--bad); }
.failure code, .mono { font-family: var(--mono); font-size: 12.5px; }
.failure code { color: var(--bad); }
.failure .msg { display: block; color: var(--text); font-size: 13px; }
.muted { color: var(--muted); }
.age { color: var(--muted); font-size: 12.5px; white-space: nowrap; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; max-width: 40ch; }
.chip { font-family: var(--mono); font-size: 11.5px; padding: 1px 7px; border-radius: 6px; background: var(--surface-2); border: 1px solid var(--border); white-space: nowrap; }
.chip.dangerous { border-color: var(--bad); color: var(--bad); }
.actions { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
td.actions-cell button { padding: 4px 10px; }
#d-help { font-size: 12.5px; }
button, select, textarea, input {
  font: inherit; color: inherit;
}
button {
  cursor: pointer; border: 1px solid var(--border); background: var(--surface); border-radius: 7px;
  padding: 5px 11px; font-size: 13px; font-weight: 550; line-height: 1.3;
}
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button:focus-visible, select:focus-visible, textarea:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button:disabled { opacity: .45; cursor: default; }
button.danger:hover:not(:disabled), button.confirm { border-color: var(--bad); color: var(--bad); }
button.confirm { background: var(--bad-soft); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); padding: 7px 16px; }
button.primary:hover:not(:disabled) { color: var(--accent-text); filter: brightness(1.08); }
form.dispatch { display: grid; gap: 12px; }
.row2 { display: grid; gap: 12px; grid-template-columns: 1fr 1fr; }
label.field { display: grid; gap: 5px; font-size: 12.5px; color: var(--muted); font-weight: 550; }
select, textarea, input {
  width: 100%; border: 1px solid var(--border); border-radius: 7px; padding: 7px 9px; background: var(--surface-2); font-size: 13.5px;
}
textarea { font-family: var(--mono); font-size: 12.5px; min-height: 84px; resize: vertical; }
.result { border: 1px solid var(--border); border-radius: 8px; overflow: hidden; }
.result .status { padding: 7px 10px; font-size: 12.5px; font-weight: 600; background: var(--surface-2); border-bottom: 1px solid var(--border); }
.result.ok .status { color: var(--ok); }
.result.err .status { color: var(--bad); }
.result pre { margin: 0; padding: 10px; font-family: var(--mono); font-size: 12.5px; white-space: pre-wrap; word-break: break-word; max-height: 260px; overflow: auto; }
ol.events { list-style: none; margin: 0; padding: 0; max-height: 360px; overflow: auto; }
ol.events li { display: grid; grid-template-columns: 64px 104px minmax(0, 1fr); gap: 10px; padding: 7px 16px; border-bottom: 1px solid var(--border); font-size: 13px; align-items: baseline; }
ol.events li:last-child { border-bottom: 0; }
ol.events .t { font-family: var(--mono); font-size: 12px; color: var(--faint); }
ol.events .k { font-family: var(--mono); font-size: 12px; color: var(--muted); }
ol.events .k.failure { color: var(--bad); }
ol.events .d { min-width: 0; overflow-wrap: anywhere; }
ol.events .w { font-weight: 600; }
.empty { padding: 24px 16px; color: var(--muted); text-align: center; }
.notice {
  position: fixed; right: 20px; bottom: 20px; max-width: min(420px, calc(100vw - 40px));
  background: var(--surface); border: 1px solid var(--border); border-left: 4px solid var(--ok);
  border-radius: 8px; padding: 10px 14px; box-shadow: 0 8px 24px rgba(16, 24, 40, .16); font-size: 13px;
}
.notice.err { border-left-color: var(--bad); }
.auth { max-width: 520px; }
.auth p { margin: 0 0 12px; color: var(--muted); }
.auth form { display: flex; gap: 8px; }
footer { color: var(--faint); font-size: 12px; text-align: center; padding: 0 0 24px; }
@media (max-width: 760px) {
  .wrap { padding: 0 14px; }
  header.top .wrap { min-height: 56px; }
  main.wrap { padding-top: 14px; gap: 14px; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .card { padding: 12px; }
  .card .value { font-size: 17px; }
  .card .hint { white-space: normal; }
  .row2 { grid-template-columns: 1fr; }
  .table-wrap { overflow: visible; }
  table.workers thead { display: none; }
  table.workers, table.workers tbody { display: block; }
  table.workers tr { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); column-gap: 20px; border-bottom: 1px solid var(--border); padding: 12px 14px; }
  table.workers tbody tr:last-child { border-bottom: 0; }
  table.workers tbody tr:hover td { background: none; }
  table.workers td { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; border: 0; padding: 4px 0; text-align: right; }
  table.workers td::before { content: attr(data-label); color: var(--muted); font-size: 12.5px; text-align: left; flex: none; }
  table.workers td.name, table.workers td.failure, table.workers td.transition,
  table.workers td.actions-cell { grid-column: 1 / -1; }
  table.workers td.name { display: block; text-align: left; padding-bottom: 8px; }
  table.workers td.name::before { content: none; }
  table.workers td.actions-cell { justify-content: flex-start; padding-top: 10px; }
  table.workers td.actions-cell::before { content: none; }
  .wdesc, .chips { max-width: none; }
  ol.events li { grid-template-columns: 58px minmax(0, 1fr); }
  ol.events .k { grid-column: 2; grid-row: 1; }
  ol.events .d { grid-column: 1 / -1; }
}
`;

/** The page's script: stream reader, state, rendering and controls. */
const SCRIPT = String.raw`
"use strict";
(function () {
  var base = location.pathname.replace(/\/+$/, "");
  var token = "";
  var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match) {
    try { token = decodeURIComponent(match[1]); } catch (e) { token = match[1]; }
    // Keep the token in memory only: out of the address bar and history.
    history.replaceState(null, "", location.pathname + location.search);
  }

  var $ = function (id) { return document.getElementById(id); };
  var snap = null;
  var events = [];
  var pending = {};
  var confirming = {};
  var controller = null;
  var attempt = 0;
  var retryTimer = 0;
  var lastByte = 0;
  var heartbeatMs = 15000;
  var noticeTimer = 0;
  var MAX_EVENTS = 60;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function headers(extra) {
    var h = { accept: "application/json" };
    if (token) h.authorization = "Bearer " + token;
    for (var k in extra) h[k] = extra[k];
    return h;
  }

  // -- time --
  function ago(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return "";
    var s = Math.max(0, Math.floor((Date.now() - t) / 1000));
    if (s < 60) return s + "s ago";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m " + (s % 60) + "s ago";
    var h = Math.floor(m / 60);
    if (h < 24) return h + "h " + (m % 60) + "m ago";
    return Math.floor(h / 24) + "d " + (h % 24) + "h ago";
  }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }
  function ageNode(iso) {
    var node = el("span", "age", ago(iso));
    node.dataset.at = iso;
    var d = new Date(iso);
    if (!isNaN(d.getTime())) node.title = d.toLocaleString();
    return node;
  }
  function tick() {
    var nodes = document.querySelectorAll("[data-at]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = ago(nodes[i].dataset.at);
    // A stream that sent nothing, not even a heartbeat, is dead: reconnect.
    if (controller && lastByte && Date.now() - lastByte > heartbeatMs * 2 + 5000) {
      connect();
    }
  }

  // -- connection status and notices --
  function setConn(kind, text) {
    var node = $("conn");
    node.className = "conn " + kind;
    $("conn-text").textContent = text;
  }
  function notice(text, ok) {
    var node = $("notice");
    node.textContent = text;
    node.className = "notice" + (ok ? "" : " err");
    node.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { node.hidden = true; }, 4000);
  }

  // -- the event stream --
  function connect() {
    clearTimeout(retryTimer);
    if (controller) controller.abort();
    var ctrl = new AbortController();
    controller = ctrl;
    lastByte = 0;
    setConn("connecting", attempt ? "Reconnecting\u2026" : "Connecting\u2026");
    fetch(base + "/events", {
      headers: headers({ accept: "text/event-stream" }),
      cache: "no-store",
      signal: ctrl.signal,
    }).then(function (res) {
      if (controller !== ctrl) return;
      if (res.status === 401 || res.status === 403) {
        controller = null;
        ctrl.abort();
        needAuth();
        return;
      }
      if (!res.ok || !res.body) {
        ctrl.abort();
        var busy = res.status === 429;
        var stopping = res.status === 503;
        return retry(busy ? "Too many viewers" : stopping ? "Service stopping" : "Offline (HTTP " + res.status + ")");
      }
      lastByte = Date.now();
      return read(res.body, ctrl).then(function () {
        if (controller === ctrl) retry("Disconnected");
      });
    }).catch(function () {
      if (controller === ctrl) retry("Offline");
    });
  }
  function retry(why) {
    if (controller) controller.abort();
    controller = null;
    var delay = Math.min(15000, 500 * Math.pow(2, attempt)) + Math.floor(Math.random() * 400);
    attempt++;
    setConn("offline", why + " \u00b7 retrying in " + Math.ceil(delay / 1000) + "s");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }
  function read(body, ctrl) {
    var reader = body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = "";
    var type = "";
    var data = [];
    function line(text) {
      if (text === "") {
        if (data.length) deliver(type || "message", data.join("\n"));
        type = "";
        data = [];
        return;
      }
      if (text.charAt(0) === ":") return; // heartbeat
      var colon = text.indexOf(":");
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? "" : text.slice(colon + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done || controller !== ctrl) return;
        lastByte = Date.now();
        buffer += chunk.value;
        var at;
        while ((at = buffer.indexOf("\n")) >= 0) {
          var text = buffer.slice(0, at);
          buffer = buffer.slice(at + 1);
          line(text.charAt(text.length - 1) === "\r" ? text.slice(0, -1) : text);
        }
        return pump();
      });
    }
    return pump();
  }
  function deliver(type, text) {
    var value;
    try { value = JSON.parse(text); } catch (e) { return; }
    if (type === "snapshot") {
      attempt = 0;
      snap = value;
      if (typeof value.heartbeatMs === "number") heartbeatMs = value.heartbeatMs;
      setConn("live", "Live");
      $("auth").hidden = true;
      render();
    } else if (type === "end") {
      if (controller) controller.abort();
      controller = null;
      attempt = Math.max(attempt, 2);
      retry("Service stopping");
    } else {
      applyEvent(type, value);
    }
  }
  function needAuth() {
    clearTimeout(retryTimer);
    setConn("auth", "Not authorized");
    $("auth").hidden = false;
    $("auth-msg").textContent = token
      ? "The token was refused. Paste a valid one to connect."
      : "This dashboard needs the admin token. Open it as \u2026#token=YOUR_TOKEN, or paste the token here. It stays in this tab's memory only.";
  }

  // -- state --
  function findWorker(name) {
    if (!snap) return null;
    for (var i = 0; i < snap.workers.length; i++) {
      var w = snap.workers[i];
      if (w.qualifiedName === name || w.name === name) return w;
    }
    return null;
  }
  function applyEvent(type, e) {
    events.unshift({ type: type, e: e });
    if (events.length > MAX_EVENTS) events.length = MAX_EVENTS;
    if (snap) {
      var w = e.worker ? findWorker(e.worker) : null;
      var target = e.worker ? (w && w.status) : snap.status;
      if (type === "transition" && target) {
        target.state = e.to;
        target.lastTransition = { from: e.from, to: e.to, at: e.at };
      } else if (type === "readiness" && target) {
        target.ready = e.ready;
      } else if (type === "failure" && w) {
        var info = { code: e.code, message: e.message, at: e.at };
        if (e.kind === "command") {
          info.command = e.command;
          w.status.lastCommandFailure = info;
        } else {
          w.status.lastFailure = info;
        }
      }
      render();
    } else {
      renderEvents();
    }
  }

  // -- rendering --
  function badge(state) { return el("span", "badge " + state, state); }
  function flag(on, good) {
    if (good === false) return el("span", "flag " + (on ? "bad" : "no"), on ? "yes" : "no");
    return el("span", "flag " + (on ? "yes" : "no"), on ? "yes" : "no");
  }
  function card(label, value, hint) {
    var node = el("div", "card");
    node.appendChild(el("div", "label", label));
    var v = el("div", "value");
    if (typeof value === "string") v.textContent = value; else v.appendChild(value);
    node.appendChild(v);
    var h = el("div", "hint");
    if (typeof hint === "string") h.textContent = hint; else if (hint) h.appendChild(hint);
    node.appendChild(h);
    return node;
  }
  function render() {
    renderSummary();
    renderWorkers();
    renderDispatch();
    renderEvents();
  }
  function renderSummary() {
    var s = snap.status;
    document.title = s.name + " \u00b7 Workerkit";
    $("title").textContent = s.name;
    $("subtitle").textContent = "Workerkit runtime \u00b7 " + s.workers + " worker" + (s.workers === 1 ? "" : "s");
    var running = 0;
    var failed = 0;
    for (var i = 0; i < snap.workers.length; i++) {
      var st = snap.workers[i].status.state;
      if (st === "running") running++;
      if (st === "failed") failed++;
    }
    var cards = $("cards");
    clear(cards);
    var rd = snap.readiness || { ready: s.ready };
    cards.appendChild(card("Runtime", badge(s.state), s.lastTransition ? "" : "no transition yet"));
    if (s.lastTransition) {
      var hint = cards.lastChild.querySelector(".hint");
      hint.textContent = "changed ";
      hint.appendChild(ageNode(s.lastTransition.at));
    }
    cards.appendChild(card("Readiness", el("span", "badge " + (s.ready ? "yes" : "no"), s.ready ? "ready" : "not ready"), rd.reason || (s.ready ? "serving traffic" : "")));
    cards.appendChild(card("Workers", running + " / " + s.workers, failed ? failed + " failed" : "running"));
    cards.appendChild(card("In flight", String(s.inFlight), "commands now"));
  }
  function lastFailure(st) {
    var a = st.lastFailure;
    var b = st.lastCommandFailure;
    if (a && b) return Date.parse(b.at) > Date.parse(a.at) ? b : a;
    return a || b || null;
  }
  function cell(row, label, cls) {
    var td = el("td", cls);
    td.dataset.label = label;
    row.appendChild(td);
    return td;
  }
  function renderWorkers() {
    var lifecycle = snap.controls && snap.controls.lifecycle;
    $("actions-col").hidden = !lifecycle;
    var body = $("workers-body");
    clear(body);
    $("workers-empty").hidden = snap.workers.length > 0;
    $("workers-empty").textContent = "No workers registered.";
    $("workers-count").textContent = snap.workers.length + " total";
    for (var i = 0; i < snap.workers.length; i++) {
      var w = snap.workers[i];
      var st = w.status;
      var row = el("tr");
      row.dataset.worker = w.qualifiedName;
      var name = cell(row, "Worker", "name");
      name.appendChild(el("div", "wname", w.name));
      if (w.description) name.appendChild(el("div", "wdesc", w.description));
      var list = (snap.commands && snap.commands[w.name]) || [];
      if (list.length) {
        var chips = el("div", "chips");
        chips.setAttribute("aria-label", "commands");
        for (var j = 0; j < list.length; j++) {
          var chip = el("span", "chip" + (list[j].dangerous ? " dangerous" : ""), list[j].name);
          chip.title = (list[j].description || list[j].name) + (list[j].dangerous ? " (dangerous)" : "");
          chips.appendChild(chip);
        }
        name.appendChild(chips);
      }
      cell(row, "State", "state").appendChild(badge(st.state));
      var readyFlag = flag(st.ready);
      if (!st.ready && st.state === "running") readyFlag.className = "flag warn";
      cell(row, "Ready", "ready").appendChild(readyFlag);
      cell(row, "Accepting", "accepting").appendChild(flag(st.acceptingWork));
      cell(row, "In flight", "num inflight").textContent = String(st.inFlight);
      cell(row, "Restarts", "num restarts").textContent = String(st.restarts);
      cell(row, "Stalled", "stalled").appendChild(flag(st.stalled, false));
      var f = lastFailure(st);
      var fc = cell(row, "Last failure", "failure");
      if (f) {
        var box = el("div");
        box.appendChild(el("code", "", f.code));
        if (f.command) box.appendChild(el("span", "muted", " \u00b7 " + f.command));
        fc.appendChild(box);
        var msg = el("span", "msg", f.message);
        box.appendChild(msg);
        box.appendChild(ageNode(f.at));
      } else {
        fc.appendChild(el("span", "muted", "\u2014"));
      }
      var tc = cell(row, "Last transition", "transition");
      if (st.lastTransition) {
        var wrapT = el("div");
        wrapT.appendChild(el("div", "mono", st.lastTransition.from + " \u2192 " + st.lastTransition.to));
        wrapT.appendChild(ageNode(st.lastTransition.at));
        tc.appendChild(wrapT);
      } else {
        tc.appendChild(el("span", "muted", "\u2014"));
      }
      if (lifecycle) {
        var ac = cell(row, "Actions", "actions-cell");
        var box2 = el("div", "actions");
        box2.appendChild(actionButton(w, "start", "Start", ["registered", "stopped", "failed"]));
        box2.appendChild(actionButton(w, "drain", "Drain", ["running"]));
        box2.appendChild(actionButton(w, "stop", "Stop", ["running", "draining", "failed"]));
        ac.appendChild(box2);
      }
      body.appendChild(row);
    }
  }
  function actionButton(w, op, label, states) {
    var key = w.qualifiedName + " " + op;
    var armed = op === "stop" && confirming[key] && confirming[key] > Date.now();
    var b = el("button", op === "stop" ? (armed ? "danger confirm" : "danger") : "", armed ? "Confirm stop" : label);
    b.type = "button";
    b.dataset.op = op;
    b.disabled = !!pending[key] || states.indexOf(w.status.state) < 0;
    b.addEventListener("click", function () {
      if (op === "stop" && !(confirming[key] > Date.now())) {
        confirming[key] = Date.now() + 4000;
        renderWorkers();
        setTimeout(function () { if (snap) renderWorkers(); }, 4100);
        return;
      }
      delete confirming[key];
      lifecycleCall(w.qualifiedName, w.name, op, key);
    });
    return b;
  }
  function lifecycleCall(ref, name, op, key) {
    pending[key] = true;
    renderWorkers();
    post("/workers/" + op, { worker: ref }).then(function (r) {
      if (r.ok) notice(op + " " + name + ": " + (r.body && r.body.worker ? r.body.worker.status.state : "done"), true);
      else notice(op + " " + name + " failed: " + errorText(r), false);
    }).finally(function () {
      delete pending[key];
      if (snap) renderWorkers();
    });
  }
  function errorText(r) {
    if (r.body && r.body.error) return r.body.error.code + " \u2014 " + r.body.error.message;
    return "HTTP " + r.status;
  }
  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
      cache: "no-store",
    }).then(function (res) {
      return res.text().then(function (text) {
        var parsed = null;
        try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
        if (res.status === 401) needAuth();
        return { ok: res.ok, status: res.status, body: parsed, text: text };
      });
    }, function () {
      return { ok: false, status: 0, body: null, text: "" };
    });
  }

  // -- dispatch form --
  function setOptions(select, values) {
    var current = select.value;
    var same = select.options.length === values.length;
    for (var i = 0; same && i < values.length; i++) {
      if (select.options[i].value !== values[i][0]) same = false;
    }
    if (!same) {
      clear(select);
      for (var j = 0; j < values.length; j++) {
        var o = el("option", "", values[j][1]);
        o.value = values[j][0];
        select.appendChild(o);
      }
    }
    if (values.some(function (v) { return v[0] === current; })) select.value = current;
  }
  function renderDispatch() {
    var enabled = snap.controls && snap.controls.commands;
    $("dispatch").hidden = !enabled;
    $("lower").className = "lower" + (enabled ? " two" : "");
    if (!enabled) return;
    var workers = [];
    for (var i = 0; i < snap.workers.length; i++) {
      var w = snap.workers[i];
      var list = (snap.commands && snap.commands[w.name]) || [];
      if (list.length) workers.push([w.qualifiedName, w.name]);
    }
    setOptions($("d-worker"), workers);
    renderCommandOptions();
    $("d-submit").disabled = workers.length === 0 || !!pending.dispatch;
  }
  function renderCommandOptions() {
    var w = findWorker($("d-worker").value);
    var list = (w && snap.commands && snap.commands[w.name]) || [];
    setOptions($("d-command"), list.map(function (c) { return [c.name, c.name + (c.dangerous ? " (dangerous)" : "")]; }));
    var c = null;
    for (var i = 0; i < list.length; i++) if (list[i].name === $("d-command").value) c = list[i];
    $("d-help").textContent = c ? (c.description || "") + (c.payloadKind ? " Payload: " + c.payloadKind + "." : "") : "";
  }
  function showResult(ok, status, text) {
    var box = $("d-result");
    box.hidden = false;
    box.className = "result " + (ok ? "ok" : "err");
    $("d-status").textContent = status;
    $("d-output").textContent = text;
  }
  function submitDispatch(ev) {
    ev.preventDefault();
    var worker = $("d-worker").value;
    var name = $("d-command").value;
    if (!worker || !name) return;
    var body = { worker: worker, name: name };
    var raw = $("d-payload").value.trim();
    if (raw) {
      try { body.payload = JSON.parse(raw); } catch (e) {
        showResult(false, "Not sent", "The payload is not valid JSON.");
        return;
      }
    }
    pending.dispatch = true;
    $("d-submit").disabled = true;
    var started = Date.now();
    post("/commands/dispatch", body).then(function (r) {
      var label = (r.status ? r.status + " " : "") + (r.ok ? "OK" : "Failed") + " \u00b7 " + (Date.now() - started) + " ms";
      var out = r.body !== null ? JSON.stringify(r.ok ? r.body.result : r.body, null, 2) : (r.status ? "(no JSON body)" : "Network error");
      showResult(r.ok, label, out);
    }).finally(function () {
      delete pending.dispatch;
      $("d-submit").disabled = false;
    });
  }

  // -- recent events --
  function describe(type, e) {
    switch (type) {
      case "transition": return (e.from || "") + " \u2192 " + (e.to || "") + (e.reason ? " (" + e.reason + ")" : "");
      case "readiness": return e.ready ? "ready" : "not ready";
      case "failure": return e.kind + " \u00b7 " + e.code + ": " + e.message + (e.command ? " [" + e.command + "]" : "");
      case "commandstart": return e.command + " started";
      case "commandend": return e.command + (e.ok ? " ok" : " failed " + (e.code || "")) + " in " + Math.round(e.durationMs) + " ms" + (e.attempts > 1 ? ", " + e.attempts + " attempts" : "");
      case "checkstart": return e.check + " started";
      case "checkend": return e.check + ": " + e.outcome + " in " + Math.round(e.durationMs) + " ms";
      default: return "";
    }
  }
  function renderEvents() {
    var list = $("events");
    clear(list);
    $("events-empty").hidden = events.length > 0;
    for (var i = 0; i < events.length; i++) {
      var item = events[i];
      var li = el("li");
      li.appendChild(el("span", "t", clock(item.e.at)));
      li.appendChild(el("span", "k " + item.type, item.type));
      var d = el("span", "d");
      var who = item.e.worker ? item.e.worker.slice(item.e.worker.indexOf("/") + 1) : "runtime";
      d.appendChild(el("span", "w", who));
      d.appendChild(document.createTextNode(" " + describe(item.type, item.e)));
      li.appendChild(d);
      list.appendChild(li);
    }
  }

  // -- wiring --
  $("d-worker").addEventListener("change", renderCommandOptions);
  $("d-command").addEventListener("change", renderCommandOptions);
  $("dispatch-form").addEventListener("submit", submitDispatch);
  $("auth-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = $("auth-token");
    token = input.value.trim();
    input.value = "";
    attempt = 0;
    $("auth").hidden = true;
    connect();
  });
  setInterval(tick, 1000);
  connect();
})();
`;

/** The page's markup around the style and script. */
const BODY = `<header class="top"><div class="wrap">
<div class="brand"><div class="logo" aria-hidden="true">W</div><div><h1 id="title">Workerkit</h1><p id="subtitle">Connecting…</p></div></div>
<div class="conn connecting" id="conn" role="status" aria-live="polite"><span class="dot"></span><span id="conn-text">Connecting…</span></div>
</div></header>
<main class="wrap">
<noscript><div class="panel"><div class="body">This dashboard needs JavaScript.</div></div></noscript>
<section class="panel auth" id="auth" hidden><div class="head"><h2>Sign in</h2></div><div class="body">
<p id="auth-msg"></p>
<form id="auth-form" autocomplete="off"><input id="auth-token" type="password" placeholder="Admin token" aria-label="Admin token" autocomplete="off" spellcheck="false"><button class="primary" type="submit">Connect</button></form>
</div></section>
<section class="cards" id="cards" aria-label="Runtime summary"></section>
<section class="panel"><div class="head"><h2>Workers</h2><span id="workers-count"></span></div>
<div class="table-wrap"><table class="workers"><thead><tr>
<th scope="col">Worker</th><th scope="col">State</th><th scope="col">Ready</th><th scope="col">Accepting</th><th scope="col">In flight</th><th scope="col">Restarts</th><th scope="col">Stalled</th><th scope="col">Last failure</th><th scope="col">Last transition</th><th scope="col" id="actions-col" hidden>Actions</th>
</tr></thead><tbody id="workers-body"></tbody></table></div>
<div class="empty" id="workers-empty">Waiting for the first snapshot…</div>
</section>
<div class="lower" id="lower">
<section class="panel" id="dispatch" hidden><div class="head"><h2>Dispatch a command</h2></div><div class="body">
<form class="dispatch" id="dispatch-form" autocomplete="off">
<div class="row2"><label class="field">Worker<select id="d-worker" name="worker"></select></label>
<label class="field">Command<select id="d-command" name="command"></select></label></div>
<label class="field">Payload (JSON, optional)<textarea id="d-payload" name="payload" spellcheck="false" placeholder='{"key": "value"}'></textarea></label>
<div class="actions"><button class="primary" id="d-submit" type="submit">Dispatch</button><span class="muted" id="d-help"></span></div>
<div class="result" id="d-result" hidden role="status" aria-live="polite"><div class="status" id="d-status"></div><pre id="d-output"></pre></div>
</form></div></section>
<section class="panel"><div class="head"><h2>Recent events</h2><span>live</span></div>
<ol class="events" id="events" aria-live="off"></ol>
<div class="empty" id="events-empty">No events yet.</div>
</section>
</div>
</main>
<footer>Workerkit ops dashboard · state is this process's only</footer>
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
 * nonce of the response's Content-Security-Policy).
 *
 * @internal
 * @param nonce The CSP nonce: base64 characters only.
 * @returns The HTML document.
 * @throws {TypeError} When `nonce` has characters base64 does not use.
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
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
${BODY}
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
