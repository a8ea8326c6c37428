/**
 * The dashboard's stylesheet: light and dark (`prefers-color-scheme`),
 * colours chosen for WCAG AA contrast (checked with axe-core in the
 * browser test), the workers table turning into cards on narrow screens,
 * and the inline SVG charts' colours. Kept to ASCII (see
 * `_dashboard_page.ts`).
 */
export const DASHBOARD_STYLE: string = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --surface: #ffffff; --surface-2: #f9fafb; --border: #e2e5ea;
  --text: #18202b; --muted: #566170; --faint: #5f6b7a;
  --accent: #4338ca; --accent-text: #ffffff; --accent-soft: #eef0ff;
  --ok: #12663f; --ok-soft: #e6f5ec; --warn: #8a4f00; --warn-soft: #fff4e0;
  --bad: #a61f15; --bad-soft: #fdecea; --info: #1b55a3; --info-soft: #e8f0fc;
  --idle: #5f6b7a; --idle-soft: #eef0f3;
  --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .08);
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1217; --surface: #161b22; --surface-2: #1b212a; --border: #2a323d;
    --text: #e6e9ee; --muted: #a3adbb; --faint: #929cab;
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

.skip { position: absolute; left: -9999px; top: 8px; z-index: 10; background: var(--surface); color: var(--accent); padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); }
.skip:focus { left: 12px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.probes { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.probe { display: inline-flex; align-items: center; gap: 6px; padding: 4px 10px; border-radius: 999px; font-size: 12.5px; font-weight: 650; border: 1px solid var(--border); background: var(--surface-2); color: var(--muted); white-space: nowrap; }
.probe.yes { background: var(--ok-soft); color: var(--ok); border-color: transparent; }
.probe.no { background: var(--bad-soft); color: var(--bad); border-color: var(--bad); }
.identity { display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--muted); font-size: 12.5px; }
.identity b { color: var(--text); font-weight: 600; }
.conn.offline { border-color: var(--bad); color: var(--bad); background: var(--bad-soft); font-weight: 650; }
.charts { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }
.chart { margin: 0; border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; background: var(--surface-2); min-width: 0; }
.chart h3 { margin: 0 0 2px; font-size: 13px; font-weight: 650; font-family: var(--mono); overflow-wrap: anywhere; }
.chart .sub { color: var(--muted); font-size: 12px; margin-bottom: 6px; }
.chart svg { display: block; width: 100%; height: 72px; }
.chart .legend { display: flex; gap: 12px; color: var(--muted); font-size: 11.5px; margin-top: 4px; flex-wrap: wrap; }
.key { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; }
.key.count, svg .count { background: var(--accent); fill: var(--accent); }
.key.failed, svg .failed { background: var(--bad); fill: var(--bad); }
.key.p50 { background: var(--ok); }
.key.p99 { background: var(--warn); }
svg .p50 { stroke: var(--ok); fill: none; stroke-width: 1.5; }
svg .p99 { stroke: var(--warn); fill: none; stroke-width: 1.5; stroke-dasharray: 3 2; }
svg .axis { stroke: var(--border); stroke-width: 1; }
.lanes { display: grid; gap: 6px; }
.lane { display: grid; grid-template-columns: minmax(90px, 160px) minmax(0, 1fr); gap: 10px; align-items: center; font-size: 12.5px; }
.lane .ln { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lane svg { display: block; width: 100%; height: 16px; border-radius: 4px; background: var(--surface-2); }
svg .s-running, svg .s-true, .key.s-running { fill: var(--ok); background: var(--ok); }
svg .s-starting, .key.s-starting { fill: var(--info); background: var(--info); }
svg .s-draining, svg .s-stopping, .key.s-draining { fill: var(--warn); background: var(--warn); }
svg .s-failed, svg .s-false, svg .s-stalled, .key.s-failed { fill: var(--bad); background: var(--bad); }
svg .s-stalled { fill-opacity: .55; }
svg .s-stopped, svg .s-registered, .key.s-stopped { fill: var(--idle); background: var(--idle); fill-opacity: .45; }
svg .restart { stroke: var(--text); stroke-width: 2; }
.axis-labels { display: flex; justify-content: space-between; color: var(--muted); font-size: 11px; margin-left: calc(min(160px, 30%) + 10px); }
.filters { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; padding: 10px 16px; border-bottom: 1px solid var(--border); }
.filters select { width: auto; padding: 4px 8px; font-size: 12.5px; }
.filters label { font-size: 12.5px; color: var(--muted); display: inline-flex; gap: 6px; align-items: center; }
button[aria-pressed="true"] { background: var(--warn-soft); color: var(--warn); border-color: var(--warn); }
.field-error { color: var(--bad); font-size: 12.5px; min-height: 1em; }
textarea[aria-invalid="true"], input[aria-invalid="true"] { border-color: var(--bad); }
.schema-fields { display: grid; gap: 10px; }
.schema-fields .check { display: flex; gap: 8px; align-items: center; font-size: 13px; color: var(--text); }
.schema-fields .check input { width: auto; }
dialog { border: 1px solid var(--border); border-radius: 12px; padding: 0; background: var(--surface); color: var(--text); max-width: min(460px, calc(100vw - 32px)); box-shadow: 0 16px 40px rgba(0, 0, 0, .3); }
dialog::backdrop { background: rgba(10, 14, 20, .55); }
dialog form { display: grid; gap: 12px; padding: 18px 20px; }
dialog h2 { margin: 0; font-size: 16px; }
dialog p { margin: 0; color: var(--muted); }
dialog.danger h2 { color: var(--bad); }
dialog .actions { justify-content: flex-end; }
button.primary.danger-go { background: var(--bad); border-color: var(--bad); color: #fff; }
.restart-cause { display: block; font-size: 12px; color: var(--muted); }
.stall { color: var(--bad); font-weight: 600; }
ol.events li.summary .k { color: var(--info); }
@media (max-width: 760px) {
  .charts { grid-template-columns: 1fr; }
  .lane { grid-template-columns: 90px minmax(0, 1fr); }
  .axis-labels { margin-left: 100px; }
  header.top .wrap { flex-wrap: wrap; padding-top: 8px; padding-bottom: 8px; }
}
`;
