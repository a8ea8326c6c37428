/**
 * The dashboard's script. In short: reads `#token=...` from the URL
 * fragment, keeps it in memory and removes it from the address bar; reads
 * `{page}/events` with `fetch()` (not `EventSource`, which cannot send
 * `Authorization`) and a small SSE parser, sending `Last-Event-ID` when it
 * reconnects so the server replays exactly what it missed; treats replayed
 * events as history (the `snapshot` after them is the state); renders at
 * most once per animation frame with `textContent` and DOM-built inline
 * SVG only; asks for confirmation in a modal `<dialog>` before every
 * lifecycle action and before a dangerous command (typing the worker's
 * name); builds the payload form from `payloadJsonSchema` when a command
 * has a simple object schema, else validates the JSON before sending.
 * Kept to ASCII (see `_dashboard_page.ts`).
 */
export const DASHBOARD_SCRIPT: string = String.raw`
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
  var SVG = "http://www.w3.org/2000/svg";
  var snap = null;
  var metrics = null;
  var events = [];
  var held = [];
  var paused = false;
  var replaying = false;
  var lastEventId = "";
  var pending = {};
  var controller = null;
  var attempt = 0;
  var retryTimer = 0;
  var lastByte = 0;
  var heartbeatMs = 15000;
  var noticeTimer = 0;
  var skew = 0;
  var frame = 0;
  var dirty = {};
  var MAX_EVENTS = 500;
  var SHOWN_EVENTS = 200;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function headers(extra) {
    var h = { accept: "application/json" };
    if (token) h.authorization = "Bearer " + token;
    for (var k in extra) h[k] = extra[k];
    return h;
  }
  function now() { return Date.now() + skew; }

  // -- time --
  function span(s) {
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m " + (s % 60) + "s";
    var h = Math.floor(m / 60);
    if (h < 24) return h + "h " + (m % 60) + "m";
    return Math.floor(h / 24) + "d " + (h % 24) + "h";
  }
  function since(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return "";
    return span(Math.max(0, Math.floor((now() - t) / 1000)));
  }
  function ago(iso) { var s = since(iso); return s ? s + " ago" : ""; }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }
  function ageNode(iso, mode) {
    var node = el("span", "age", mode === "for" ? since(iso) : ago(iso));
    node.dataset.at = iso;
    if (mode) node.dataset.mode = mode;
    var d = new Date(iso);
    if (!isNaN(d.getTime())) node.title = d.toLocaleString();
    return node;
  }
  function tick() {
    var nodes = document.querySelectorAll("[data-at]");
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      n.textContent = n.dataset.mode === "for" ? since(n.dataset.at) : ago(n.dataset.at);
    }
    // A stream that sent nothing, not even a heartbeat, is dead: reconnect.
    if (controller && lastByte && Date.now() - lastByte > heartbeatMs * 2 + 5000) {
      lost("No data");
    }
  }

  // -- connection status and notices --
  function setConn(kind, text) {
    $("conn").className = "conn " + kind;
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
    if (!attempt) setConn("connecting", "Connecting\u2026");
    var extra = { accept: "text/event-stream" };
    // Resume where this tab left off: the server replays what it missed.
    if (lastEventId) extra["last-event-id"] = lastEventId;
    fetch(base + "/events", {
      headers: headers(extra),
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
        return retry(busy ? "Too many viewers" : stopping ? "Service stopping" : "HTTP " + res.status);
      }
      lastByte = Date.now();
      return read(res.body, ctrl).then(function () {
        if (controller === ctrl) retry("Stream ended");
      });
    }).catch(function () {
      if (controller === ctrl) retry("Offline");
    });
  }
  function lost(why) { retry(why); }
  function retry(why) {
    if (controller) controller.abort();
    controller = null;
    var delay = Math.min(15000, 500 * Math.pow(2, attempt)) + Math.floor(Math.random() * 400);
    attempt++;
    setConn("offline", "Stream lost \u2014 reconnecting in " + Math.ceil(delay / 1000) + "s (" + why + ")");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }
  function read(body, ctrl) {
    var reader = body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = "";
    var type = "";
    var id = "";
    var data = [];
    function line(text) {
      if (text === "") {
        if (data.length) deliver(type || "message", data.join("\n"), id);
        type = "";
        id = "";
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
      else if (field === "id") id = value;
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
  function deliver(type, text, id) {
    var value;
    try { value = JSON.parse(text); } catch (e) { return; }
    if (id) lastEventId = id;
    if (type === "history") {
      replaying = true;
      // Not a resume: the replay that follows is the whole list.
      if (!value.resumed) { events = []; held = []; }
      if (value.missed) notice(value.missed + " events were missed while disconnected", false);
    } else if (type === "snapshot") {
      attempt = 0;
      replaying = false;
      snap = value;
      if (typeof value.now === "number") skew = value.now - Date.now();
      if (typeof value.heartbeatMs === "number") heartbeatMs = value.heartbeatMs;
      setConn("live", "Live");
      $("auth").hidden = true;
      schedule("all");
    } else if (type === "metrics") {
      metrics = value;
      schedule("charts");
    } else if (type === "end") {
      if (controller) controller.abort();
      controller = null;
      attempt = Math.max(attempt, 2);
      retry("service stopping");
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

  // Many events in one frame cost one render.
  function schedule(part) {
    dirty[part] = true;
    if (frame) return;
    frame = requestAnimationFrame(function () {
      frame = 0;
      var d = dirty;
      dirty = {};
      if (!snap) { if (d.events || d.all) renderEvents(); return; }
      if (d.all || d.state) { renderHeader(); renderWorkers(); renderDispatch(); renderFilters(); }
      if (d.all || d.events) renderEvents();
      if (d.all || d.charts) renderCharts();
    });
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
    var item = { type: type, e: e };
    if (paused) held.unshift(item); else events.unshift(item);
    if (events.length > MAX_EVENTS) events.length = MAX_EVENTS;
    if (held.length > MAX_EVENTS) held.length = MAX_EVENTS;
    schedule("events");
    // Replayed events are history: the snapshot after them is the state.
    if (!snap || replaying) return;
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
      } else if (e.kind !== "loop_cleanup" || !w.status.lastFailure) {
        // As the runtime does: a cleanup failure never replaces the failure before it.
        w.status.lastFailure = info;
      }
    } else {
      return;
    }
    schedule("state");
  }

  // -- header --
  function badge(state) { return el("span", "badge " + state, state); }
  function flag(on, good) {
    if (good === false) return el("span", "flag " + (on ? "bad" : "no"), on ? "yes" : "no");
    return el("span", "flag " + (on ? "yes" : "no"), on ? "yes" : "no");
  }
  function probe(id, name, ok, reason) {
    var node = $(id);
    node.className = "probe " + (ok ? "yes" : "no");
    node.textContent = name + ": " + (ok ? "yes" : "NO");
    node.title = reason || "";
    node.setAttribute("aria-label", name + (ok ? " ok" : " failing") + (reason ? ": " + reason : ""));
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
  function fact(parent, label, value) {
    var item = el("span", "");
    item.appendChild(document.createTextNode(label + " "));
    if (typeof value === "string") item.appendChild(el("b", "", value)); else item.appendChild(value);
    parent.appendChild(item);
  }
  function renderHeader() {
    var s = snap.status;
    var p = snap.probes || { live: true, ready: s.ready };
    document.title = s.name + " \u00b7 Workerkit";
    $("title").textContent = s.name;
    probe("probe-live", "Live", p.live, p.live ? "" : "/livez answers 503: a livenessOnStall worker is stalled");
    probe("probe-ready", "Ready", p.ready, p.reason);
    var id = snap.identity || {};
    var facts = $("identity");
    clear(facts);
    if (id.host) fact(facts, "host", id.host);
    if (id.version) fact(facts, "version", id.version);
    fact(facts, "Workerkit", id.workerkit || "?");
    fact(facts, "on", id.jsRuntime || "?");
    if (id.startedAt) {
      var b = el("b", "");
      b.appendChild(ageNode(id.startedAt, "for"));
      fact(facts, "up", b);
    }
    var running = 0;
    var failed = 0;
    var stalled = 0;
    for (var i = 0; i < snap.workers.length; i++) {
      var st = snap.workers[i].status;
      if (st.state === "running") running++;
      if (st.state === "failed") failed++;
      if (st.stalled) stalled++;
    }
    var cards = $("cards");
    clear(cards);
    var rd = snap.readiness || { ready: s.ready };
    var rt = card("Runtime", badge(s.state), s.lastTransition ? "changed " : "no transition yet");
    if (s.lastTransition) rt.querySelector(".hint").appendChild(ageNode(s.lastTransition.at));
    cards.appendChild(rt);
    cards.appendChild(card("Readiness", el("span", "badge " + (s.ready ? "yes" : "no"), s.ready ? "ready" : "not ready"), rd.reason || (s.ready ? "serving traffic" : "")));
    cards.appendChild(card("Workers", running + " / " + s.workers, failed ? failed + " failed" : stalled ? stalled + " stalled" : "running"));
    cards.appendChild(card("In flight", String(s.inFlight), "commands now"));
  }

  // -- workers --
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
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : "";
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
        chips.setAttribute("aria-label", "commands of " + w.name);
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
      var rc = cell(row, "Restarts", "num restarts");
      rc.appendChild(el("span", "count", String(st.restarts)));
      if (st.lastRestart && st.lastRestart.failure) {
        var cause = el("span", "restart-cause", "last: " + st.lastRestart.failure.code + " \u2014 " + st.lastRestart.failure.message + ", ");
        cause.appendChild(ageNode(st.lastRestart.at));
        rc.appendChild(cause);
      }
      var sc = cell(row, "Stalled", "stalled");
      if (st.stalled) {
        var beat = st.lastHeartbeat || (snap.stalls && snap.stalls[w.qualifiedName]);
        var box0 = el("span", "stall", "stalled");
        sc.appendChild(box0);
        if (beat) {
          var quiet = el("span", "age", st.lastHeartbeat ? " \u00b7 last heartbeat " : " \u00b7 no heartbeat, stalled for ");
          quiet.appendChild(ageNode(beat, st.lastHeartbeat ? undefined : "for"));
          sc.appendChild(quiet);
        }
      } else {
        sc.appendChild(flag(false, false));
      }
      var f = lastFailure(st);
      var fc = cell(row, "Last failure", "failure");
      if (f) {
        var box = el("div");
        box.appendChild(el("code", "", f.code));
        if (f.command) box.appendChild(el("span", "muted", " \u00b7 " + f.command));
        box.appendChild(el("span", "msg", f.message));
        box.appendChild(ageNode(f.at));
        fc.appendChild(box);
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
    // Re-rendering must not steal keyboard focus.
    if (focused) {
      var again = body.querySelector('[data-key="' + focused.replace(/"/g, "") + '"]');
      if (again) again.focus();
    }
  }
  function actionButton(w, op, label, states) {
    var key = w.qualifiedName + " " + op;
    var b = el("button", op === "stop" ? "danger" : "", label);
    b.type = "button";
    b.dataset.op = op;
    b.dataset.key = key;
    b.setAttribute("aria-label", label + " " + w.name);
    b.disabled = !!pending[key] || states.indexOf(w.status.state) < 0;
    b.addEventListener("click", function () {
      var text = {
        start: "Start " + w.name + "? It begins taking work.",
        drain: "Drain " + w.name + "? It stops taking new work and finishes what it has.",
        stop: "Stop " + w.name + "? Work in flight is abandoned at its deadline.",
      }[op];
      confirmAction({
        title: label + " " + w.name,
        text: text,
        go: label,
        danger: op === "stop",
      }, function () { lifecycleCall(w.qualifiedName, w.name, op, key); });
    });
    return b;
  }
  function lifecycleCall(ref, name, op, key) {
    pending[key] = true;
    schedule("state");
    post("/workers/" + op, { worker: ref }).then(function (r) {
      if (r.ok) notice(op + " " + name + ": " + (r.body && r.body.worker ? r.body.worker.status.state : "done"), true);
      else notice(op + " " + name + " failed: " + errorText(r), false);
    }).finally(function () {
      delete pending[key];
      schedule("state");
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

  // -- confirmation dialog --
  var onConfirm = null;
  function confirmAction(opts, go) {
    var dlg = $("confirm");
    onConfirm = go;
    dlg.className = opts.danger ? "danger" : "";
    $("confirm-title").textContent = opts.title;
    $("confirm-text").textContent = opts.text;
    var typed = $("confirm-typed");
    var input = $("confirm-input");
    typed.hidden = !opts.type;
    input.value = "";
    input.dataset.expect = opts.type || "";
    $("confirm-expect").textContent = opts.type || "";
    var ok = $("confirm-ok");
    ok.textContent = opts.go;
    ok.className = "primary" + (opts.danger ? " danger-go" : "");
    ok.disabled = !!opts.type;
    dlg.showModal();
    // Focus starts on Cancel (or the name field), never on the action.
    (opts.type ? input : $("confirm-cancel")).focus();
  }
  $("confirm-input").addEventListener("input", function () {
    $("confirm-ok").disabled = this.value !== this.dataset.expect;
  });
  $("confirm-cancel").addEventListener("click", function () { $("confirm").close("cancel"); });
  $("confirm-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = $("confirm-input");
    if (input.dataset.expect && input.value !== input.dataset.expect) return;
    var go = onConfirm;
    onConfirm = null;
    $("confirm").close("ok");
    if (go) go();
  });
  $("confirm").addEventListener("close", function () { onConfirm = null; });

  // -- dispatch form --
  function setOptions(select, values, placeholder) {
    var current = select.value;
    var all = placeholder ? [["", placeholder]].concat(values) : values;
    var same = select.options.length === all.length;
    for (var i = 0; same && i < all.length; i++) {
      if (select.options[i].value !== all[i][0] || select.options[i].textContent !== all[i][1]) same = false;
    }
    if (!same) {
      clear(select);
      for (var j = 0; j < all.length; j++) {
        var o = el("option", "", all[j][1]);
        o.value = all[j][0];
        select.appendChild(o);
      }
    }
    select.value = all.some(function (v) { return v[0] === current; }) ? current : (all.length ? all[0][0] : "");
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
  }
  function currentCommand() {
    var w = findWorker($("d-worker").value);
    var list = (w && snap.commands && snap.commands[w.name]) || [];
    for (var i = 0; i < list.length; i++) if (list[i].name === $("d-command").value) return { worker: w, command: list[i] };
    return { worker: w, command: null };
  }
  var formFor = "";
  function renderCommandOptions() {
    var w = findWorker($("d-worker").value);
    var list = (w && snap.commands && snap.commands[w.name]) || [];
    // A placeholder first: nothing, least of all a dangerous command, is preselected.
    setOptions($("d-command"), list.map(function (c) { return [c.name, c.name + (c.dangerous ? " (dangerous)" : "")]; }), "Choose a command\u2026");
    var cur = currentCommand();
    var c = cur.command;
    $("d-help").textContent = c ? (c.description || "") + (c.dangerous ? " \u2014 dangerous: asks you to type the worker's name." : "") : "";
    var key = (w ? w.qualifiedName : "") + " " + (c ? c.name : "");
    if (key !== formFor) {
      formFor = key;
      buildPayloadForm(c);
    }
    validatePayload();
  }
  function buildPayloadForm(c) {
    var fields = $("d-fields");
    clear(fields);
    var schema = c && c.payloadJsonSchema;
    var props = schema && schema.type === "object" && schema.properties;
    var simple = !!props && Object.keys(props).every(function (k) {
      var p = props[k] || {};
      return p.enum || ["string", "number", "integer", "boolean"].indexOf(p.type) >= 0;
    });
    fields.hidden = !simple;
    $("d-json").hidden = simple || (c && c.payloadKind === "none") || false;
    if (!simple) return;
    var required = schema.required || [];
    Object.keys(props).forEach(function (k) {
      var p = props[k];
      var id = "d-f-" + k.replace(/[^A-Za-z0-9_-]/g, "_");
      var label = el("label", p.type === "boolean" ? "check" : "field");
      var input;
      if (p.enum) {
        input = el("select");
        var opts = required.indexOf(k) >= 0 ? [] : [""];
        opts.concat(p.enum).forEach(function (v) { var o = el("option", "", v === "" ? "(none)" : v); o.value = JSON.stringify(v); if (v === "") o.value = ""; input.appendChild(o); });
      } else if (p.type === "boolean") {
        input = el("input");
        input.type = "checkbox";
      } else {
        input = el("input");
        input.type = p.type === "string" ? "text" : "number";
        if (p.type === "integer") input.step = "1";
        if (typeof p.minimum === "number") input.min = String(p.minimum);
        if (typeof p.maximum === "number") input.max = String(p.maximum);
      }
      input.id = id;
      input.dataset.prop = k;
      input.dataset.type = p.enum ? "enum" : p.type;
      if (required.indexOf(k) >= 0) input.required = true;
      input.addEventListener("input", validatePayload);
      input.addEventListener("change", validatePayload);
      var text = k + (required.indexOf(k) >= 0 ? " (required)" : "") + (p.description ? " \u2014 " + p.description : "");
      if (p.type === "boolean") { label.appendChild(input); label.appendChild(document.createTextNode(text)); }
      else { label.appendChild(document.createTextNode(text)); label.appendChild(input); }
      fields.appendChild(label);
    });
  }
  /** The payload to send, or { error } when it is not valid. */
  function readPayload() {
    var fields = $("d-fields");
    if (!fields.hidden) {
      var out = {};
      var inputs = fields.querySelectorAll("[data-prop]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var k = input.dataset.prop;
        var t = input.dataset.type;
        if (t === "boolean") { out[k] = input.checked; continue; }
        var raw = input.value;
        if (raw === "") {
          if (input.required) return { error: k + " is required" };
          continue;
        }
        if (t === "enum") { out[k] = JSON.parse(raw); continue; }
        if (t === "string") { out[k] = raw; continue; }
        var n = Number(raw);
        if (!isFinite(n)) return { error: k + " must be a number" };
        if (t === "integer" && Math.floor(n) !== n) return { error: k + " must be a whole number" };
        if (input.min !== "" && n < Number(input.min)) return { error: k + " must be at least " + input.min };
        if (input.max !== "" && n > Number(input.max)) return { error: k + " must be at most " + input.max };
        out[k] = n;
      }
      return { payload: out };
    }
    if ($("d-json").hidden) return {};
    var text = $("d-payload").value.trim();
    if (!text) return {};
    try { return { payload: JSON.parse(text) }; } catch (e) { return { error: "The payload is not valid JSON." }; }
  }
  function validatePayload() {
    var cur = snap ? currentCommand() : { command: null };
    var result = readPayload();
    var area = $("d-payload");
    area.setAttribute("aria-invalid", result.error && !$("d-json").hidden ? "true" : "false");
    $("d-error").textContent = cur.command ? (result.error || "") : "";
    $("d-submit").disabled = !cur.command || !!result.error || !!pending.dispatch;
    $("d-submit").textContent = cur.command && cur.command.dangerous ? "Dispatch\u2026" : "Dispatch";
    return result;
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
    var cur = currentCommand();
    if (!cur.worker || !cur.command) return;
    var result = validatePayload();
    if (result.error) return;
    var body = { worker: cur.worker.qualifiedName, name: cur.command.name };
    if (result.payload !== undefined) body.payload = result.payload;
    var send = function () { sendDispatch(body); };
    if (!cur.command.dangerous) return send();
    confirmAction({
      title: "Run " + cur.command.name + " on " + cur.worker.name,
      text: (cur.command.description || "This command is marked dangerous.") + " Type the worker's name to confirm.",
      go: "Run " + cur.command.name,
      danger: true,
      type: cur.worker.name,
    }, send);
  }
  function sendDispatch(body) {
    pending.dispatch = true;
    validatePayload();
    var started = Date.now();
    post("/commands/dispatch", body).then(function (r) {
      var label = (r.status ? r.status + " " : "") + (r.ok ? "OK" : "Failed") + " \u00b7 " + (Date.now() - started) + " ms";
      var out = r.body !== null ? JSON.stringify(r.ok ? r.body.result : r.body, null, 2) : (r.status ? "(no JSON body)" : "Network error");
      showResult(r.ok, label, out);
    }).finally(function () {
      delete pending.dispatch;
      validatePayload();
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
      case "summary": return (e.command || e.check) + " \u00d7" + e.count + (e.failed ? ", " + e.failed + " failed" : "") + " (busy: coalesced)";
      default: return "";
    }
  }
  function kindOf(type) {
    return type === "commandstart" || type === "commandend" || type === "summary" ? "command" : type === "checkstart" || type === "checkend" ? "check" : type;
  }
  function renderFilters() {
    var names = [["runtime", "runtime"]];
    for (var i = 0; i < snap.workers.length; i++) names.push([snap.workers[i].qualifiedName, snap.workers[i].name]);
    setOptions($("f-worker"), names, "All workers");
  }
  function renderEvents() {
    var list = $("events");
    clear(list);
    var fw = $("f-worker").value;
    var fk = $("f-kind").value;
    var shown = 0;
    for (var i = 0; i < events.length && shown < SHOWN_EVENTS; i++) {
      var item = events[i];
      if (fw && (item.e.worker || "runtime") !== fw) continue;
      if (fk && kindOf(item.type) !== fk) continue;
      shown++;
      var li = el("li", item.type);
      li.appendChild(el("span", "t", clock(item.e.at || item.e.to)));
      li.appendChild(el("span", "k " + item.type, item.type));
      var d = el("span", "d");
      var who = item.e.worker ? item.e.worker.slice(item.e.worker.indexOf("/") + 1) : "runtime";
      d.appendChild(el("span", "w", who));
      d.appendChild(document.createTextNode(" " + describe(item.type, item.e)));
      li.appendChild(d);
      list.appendChild(li);
    }
    $("events-empty").hidden = shown > 0;
    $("events-empty").textContent = events.length ? "No event matches the filters." : "No events yet.";
    $("events-count").textContent = events.length + " kept" + (paused ? " \u00b7 paused, " + held.length + " new" : "");
    var pb = $("f-pause");
    pb.setAttribute("aria-pressed", paused ? "true" : "false");
    pb.textContent = paused ? "Resume (" + held.length + " new)" : "Pause";
  }

  // -- charts --
  function fmtMs(v) { return v === null || v === undefined ? "\u2013" : v < 10 ? v.toFixed(2) + " ms" : Math.round(v) + " ms"; }
  function renderCharts() {
    if (!metrics) return;
    var m = metrics;
    var mins = Math.round(m.windowMs / 60000);
    $("charts-window").textContent = "last " + (mins >= 1 ? mins + " min" : Math.round(m.windowMs / 1000) + " s") + " \u00b7 " + Math.round(m.bucketMs / 1000) + " s buckets";
    var box = $("charts");
    clear(box);
    $("charts-empty").hidden = m.commands.length > 0;
    for (var i = 0; i < m.commands.length; i++) box.appendChild(commandChart(m, m.commands[i]));
    var lanes = $("lanes");
    clear(lanes);
    lanes.appendChild(lane("readiness", "runtime ready", m.readiness.map(function (p) { return [p[0], String(p[1])]; }), [], m));
    lanes.appendChild(lane("liveness", "runtime live", m.live.map(function (p) { return [p[0], String(p[1])]; }), [], m));
    for (var j = 0; j < m.workers.length; j++) {
      var w = m.workers[j];
      lanes.appendChild(lane(w.worker, w.worker === "runtime" ? "runtime state" : w.worker.slice(w.worker.indexOf("/") + 1), w.states, w.restarts, m));
    }
    $("axis-from").textContent = "-" + (mins >= 1 ? mins + " min" : Math.round(m.windowMs / 1000) + " s");
  }
  function commandChart(m, s) {
    var n = s.count.length;
    var W = 300;
    var H = 72;
    var total = 0;
    var failed = 0;
    var maxCount = 1;
    var maxMs = 0;
    for (var i = 0; i < n; i++) {
      total += s.count[i];
      failed += s.failed[i];
      if (s.count[i] > maxCount) maxCount = s.count[i];
      if (s.p99[i] !== null && s.p99[i] > maxMs) maxMs = s.p99[i];
    }
    var lastP50 = null;
    var lastP99 = null;
    for (var k = n - 1; k >= 0; k--) if (s.p50[k] !== null) { lastP50 = s.p50[k]; lastP99 = s.p99[k]; break; }
    var perMin = total / (m.windowMs / 60000);
    var node = el("figure", "chart");
    node.dataset.command = s.worker + " " + s.command;
    node.dataset.total = String(total);
    node.appendChild(el("h3", "", s.command));
    var label = s.worker.slice(s.worker.indexOf("/") + 1) + " \u00b7 " + total + " in window (" + (perMin < 10 ? perMin.toFixed(1) : Math.round(perMin)) + "/min) \u00b7 " + failed + " failed \u00b7 p50 " + fmtMs(lastP50) + " \u00b7 p99 " + fmtMs(lastP99);
    node.appendChild(el("div", "sub", label));
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", role: "img", "aria-label": s.command + ": " + label });
    chart.appendChild(svg("line", { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, "class": "axis" }));
    var bw = W / n;
    var p50 = "";
    var p99 = "";
    for (var j = 0; j < n; j++) {
      var x = j * bw;
      var c = s.count[j];
      if (c > 0) {
        var h = Math.max(1, (c / maxCount) * (H - 4));
        chart.appendChild(svg("rect", { x: x + 0.5, y: H - h, width: Math.max(0.5, bw - 1), height: h, "class": "count", "fill-opacity": 0.35 }));
        var fh = (s.failed[j] / maxCount) * (H - 4);
        if (fh > 0) chart.appendChild(svg("rect", { x: x + 0.5, y: H - fh, width: Math.max(0.5, bw - 1), height: fh, "class": "failed" }));
      }
      if (maxMs > 0 && s.p50[j] !== null) {
        var cx = (x + bw / 2).toFixed(1);
        p50 += (p50 ? " L" : "M") + cx + " " + (H - 2 - (s.p50[j] / maxMs) * (H - 8)).toFixed(1);
        p99 += (p99 ? " L" : "M") + cx + " " + (H - 2 - (s.p99[j] / maxMs) * (H - 8)).toFixed(1);
      }
    }
    if (p50) chart.appendChild(svg("path", { d: p50, "class": "p50" }));
    if (p99) chart.appendChild(svg("path", { d: p99, "class": "p99" }));
    node.appendChild(chart);
    var legend = el("div", "legend");
    [["count", "dispatches"], ["failed", "failed"], ["p50", "p50"], ["p99", "p99 (max " + fmtMs(maxMs || null) + ")"]].forEach(function (l) {
      var item = el("span", "");
      item.appendChild(el("span", "key " + l[0]));
      item.appendChild(document.createTextNode(l[1]));
      legend.appendChild(item);
    });
    node.appendChild(legend);
    return node;
  }
  function lane(key, name, points, restarts, m) {
    var W = 600;
    var row = el("div", "lane");
    row.dataset.lane = key;
    row.appendChild(el("span", "ln", name));
    var start = m.start;
    var end = m.now;
    var span0 = Math.max(1, end - start);
    var words = [];
    var chart = svg("svg", { viewBox: "0 0 " + W + " 16", preserveAspectRatio: "none", role: "img" });
    for (var i = 0; i < points.length; i++) {
      var from = Math.max(start, points[i][0]);
      var to = i + 1 < points.length ? points[i + 1][0] : end;
      if (to <= start) continue;
      var x = ((from - start) / span0) * W;
      var w = Math.max(1, ((to - from) / span0) * W);
      var value = String(points[i][1]);
      var rect = svg("rect", { x: x.toFixed(1), y: 0, width: w.toFixed(1), height: 16, "class": "s-" + value.replace(/[^a-z]/g, "") });
      var title = svg("title", {});
      title.textContent = value + " from " + clock(new Date(from).toISOString());
      rect.appendChild(title);
      chart.appendChild(rect);
      words.push(value);
    }
    for (var r = 0; r < restarts.length; r++) {
      var rx = (((restarts[r] - start) / span0) * W).toFixed(1);
      chart.appendChild(svg("line", { x1: rx, y1: 0, x2: rx, y2: 16, "class": "restart" }));
    }
    chart.setAttribute("aria-label", name + ": " + (words.length ? words.join(", then ") : "no data") + (restarts.length ? "; " + restarts.length + " restarts" : ""));
    row.dataset.states = words.join(" ");
    row.appendChild(chart);
    return row;
  }

  // -- wiring --
  $("d-worker").addEventListener("change", function () { renderCommandOptions(); });
  $("d-command").addEventListener("change", function () { renderCommandOptions(); });
  $("d-payload").addEventListener("input", validatePayload);
  $("dispatch-form").addEventListener("submit", submitDispatch);
  $("f-worker").addEventListener("change", function () { schedule("events"); });
  $("f-kind").addEventListener("change", function () { schedule("events"); });
  $("f-pause").addEventListener("click", function () {
    paused = !paused;
    if (!paused) {
      events = held.concat(events);
      held = [];
      if (events.length > MAX_EVENTS) events.length = MAX_EVENTS;
    }
    schedule("events");
  });
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
