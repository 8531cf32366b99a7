/**
 * The dashboard's stylesheet and script. tsup ships no loose files, so they live here as strings and are
 * served under a content-hashed name (`app.<hash>.css`) with a one-year immutable cache. No external
 * fonts, no CDN, no inline script or style anywhere (the CSP forbids them).
 */
import { createHash } from 'node:crypto';

const CSS = `
:root {
  --bg: #f5f6f8; --panel: #fff; --border: #e2e5ea; --text: #1c2128; --muted: #5f6b7a; --accent: #2458d3;
  --accent-soft: #e8efff; --danger: #c4321c; --ok: #1d7a46; --radius: 8px;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body { font: 14px/1.45 var(--font); color: var(--text); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.topbar { display: flex; align-items: center; gap: 20px; height: 52px; padding: 0 28px; background: #111827; color: #e5e7eb; }
.topbar .brand { font-weight: 700; font-size: 16px; color: #fff; letter-spacing: .2px; }
.topbar .brand span { color: #8fb0ff; font-weight: 500; }
.topbar nav { display: flex; gap: 16px; }
.topbar nav a { color: #cbd5e1; }
.topbar nav a.active { color: #fff; font-weight: 600; }
.topbar .spacer { flex: 1; }
.live-status { font-size: 12px; color: #9ca3af; }
.live-status::before { content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px; border-radius: 50%; background: #6b7280; vertical-align: 0; }
.live-status[data-state="live"]::before { background: #34d399; }
.live-status[data-state="error"]::before { background: #f87171; }
.linkbtn { background: none; border: 0; padding: 0; color: #cbd5e1; font: inherit; cursor: pointer; }
.linkbtn:hover { color: #fff; text-decoration: underline; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; font-weight: 650; }
h2 { font-size: 15px; margin: 28px 0 12px; font-weight: 650; }
.subtitle { margin: 0 0 20px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 12px 14px; }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.card .value { font-size: 22px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .value.bad { color: var(--danger); }
.statusbar { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 18px; }
.statusbar a { display: inline-flex; align-items: center; gap: 6px; padding: 4px 4px 4px 10px; background: var(--panel); border: 1px solid var(--border); border-radius: 999px; color: var(--text); font-size: 12.5px; }
.statusbar a:hover { text-decoration: none; border-color: #c5cbd4; }
.statusbar a.selected { border-color: var(--accent); box-shadow: 0 0 0 1px var(--accent); }
.statusbar .count { min-width: 24px; padding: 1px 7px; border-radius: 999px; background: #eef0f3; text-align: center; font-weight: 600; font-variant-numeric: tabular-nums; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); }
.pagehead { display: flex; flex-wrap: wrap; align-items: flex-end; justify-content: space-between; gap: 16px; margin-bottom: 18px; }
.pagehead h1 { margin: 0; }
.filters { display: flex; flex-wrap: wrap; align-items: end; gap: 10px; }
.errorpage { padding: 20px 24px; }
.filters label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
input, select { font: inherit; color: var(--text); height: 32px; padding: 5px 9px; border: 1px solid #cfd5dd; border-radius: 6px; background: #fff; min-width: 140px; }
input:focus, select:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
.btn { display: inline-flex; align-items: center; gap: 6px; font: inherit; font-weight: 550; padding: 6px 14px; border-radius: 6px; border: 1px solid #cfd5dd; background: #fff; color: var(--text); cursor: pointer; }
.btn:hover { background: #f3f4f6; text-decoration: none; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.primary:hover { background: #1d4bb8; }
.btn.danger { color: var(--danger); border-color: #f0c4bd; }
.btn.danger:hover { background: #fdf1ef; }
.btn:disabled { opacity: .6; cursor: default; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 9px 14px; text-align: left; border-bottom: 1px solid #edf0f3; vertical-align: middle; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; background: #fafbfc; }
tbody tr:hover { background: #f9fafb; }
tbody tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.thumb { width: 52px; height: 52px; border-radius: 6px; object-fit: cover; display: block; background: #eef0f3; border: 1px solid var(--border); }
.thumb.empty { display: flex; align-items: center; justify-content: center; color: #aab2bd; font-size: 11px; }
.sku { font-weight: 600; }
.jobid { display: block; color: var(--muted); font-family: var(--mono); font-size: 11.5px; }
.chip { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 11.5px; font-weight: 650; letter-spacing: .3px; white-space: nowrap; background: #eef0f3; color: #3d4753; }
.chip.s-NEW { background: #eef0f3; color: #46505c; }
.chip.s-QUEUED { background: #fff4d6; color: #8a5a00; }
.chip.s-SEGMENTING, .chip.s-BG_GENERATING, .chip.s-COMPOSITING, .chip.s-SHOPIFY_PUSH { background: #e3ecff; color: #1f4fb8; }
.chip.s-REVIEW { background: #f3e8ff; color: #6b21a8; }
.chip.s-DONE { background: #dcf5e6; color: #17663a; }
.chip.s-FAILED { background: #fde3df; color: #a82a15; }
.empty-state { padding: 40px; text-align: center; color: var(--muted); }
.pager { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px; border-top: 1px solid #edf0f3; color: var(--muted); }
.pager .links { display: flex; gap: 8px; }
.pager .disabled { color: #b3bac4; pointer-events: none; border-color: #e6e9ee; }
.flash { padding: 10px 14px; border-radius: var(--radius); margin-bottom: 16px; border: 1px solid; }
.flash.ok { background: #effaf3; border-color: #b9e5c9; color: #17663a; }
.flash.error { background: #fdf1ef; border-color: #f2c2ba; color: #a82a15; }
.crumbs { font-size: 13px; margin-bottom: 8px; color: var(--muted); }
.jobhead { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin-bottom: 4px; }
.jobhead .actions { margin-left: auto; display: flex; gap: 8px; }
.jobhead form { margin: 0; }
.jobgrid { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 20px; align-items: start; margin-top: 16px; }
.jobgrid h2:first-child { margin-top: 0; }
.facts { display: grid; grid-template-columns: 1fr 1fr; gap: 0; padding: 6px 0; margin: 0; }
.facts div.wide { grid-column: 1 / -1; }
.facts div { padding: 6px 14px; }
.facts dt { font-size: 12px; color: var(--muted); }
.facts dd { margin: 1px 0 0; overflow-wrap: anywhere; }
.medialist { margin: 0; padding: 0; list-style: none; }
.medialist li { font-family: var(--mono); font-size: 11.5px; overflow-wrap: anywhere; }
.errorbox { margin-top: 14px; padding: 12px 14px; border-radius: var(--radius); background: #fdf1ef; border: 1px solid #f2c2ba; color: #7d2012; }
.errorbox code { font-weight: 700; margin-right: 6px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
figure { margin: 0; background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
figure a { display: block; }
figure img { display: block; width: 100%; height: 190px; object-fit: contain; background: #f1f3f5; }
figure figcaption { padding: 7px 10px; font-size: 12.5px; color: var(--muted); border-top: 1px solid #edf0f3; display: flex; justify-content: space-between; gap: 8px; }
figure figcaption b { color: var(--text); font-weight: 600; }
.checker { background-color: #fff !important; background-image: linear-gradient(45deg, #dde1e6 25%, transparent 25%), linear-gradient(-45deg, #dde1e6 25%, transparent 25%), linear-gradient(45deg, transparent 75%, #dde1e6 75%), linear-gradient(-45deg, transparent 75%, #dde1e6 75%); background-size: 16px 16px; background-position: 0 0, 0 8px, 8px -8px, -8px 0; }
.placeholder { height: 190px; display: flex; align-items: center; justify-content: center; color: #9aa3ae; background: #f6f7f9; font-size: 12.5px; }
.history td.when { white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
.arrow { color: #9aa3ae; margin: 0 4px; }
.login-wrap { min-height: 100vh; display: flex; align-items: center; justify-content: center; padding: 24px; }
.login { width: 380px; background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 28px; box-shadow: 0 8px 30px rgba(17, 24, 39, .06); }
.login h1 { font-size: 20px; }
.login .brand { font-weight: 700; color: #111827; margin-bottom: 18px; font-size: 15px; }
.login .brand span { color: var(--accent); font-weight: 500; }
.login label { display: block; font-size: 13px; font-weight: 600; margin: 18px 0 6px; }
.login input { width: 100%; }
.login .btn { width: 100%; justify-content: center; margin-top: 16px; padding: 8px 14px; }
.login .hint { margin-top: 16px; font-size: 12.5px; color: var(--muted); }
.errorpage { max-width: 560px; margin: 80px auto; }
.quality { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 650; font-variant-numeric: tabular-nums; }
.quality.good { background: #dcf5e6; color: #17663a; }
.quality.doubtful { background: #fff4d6; color: #8a5a00; }
.held { margin: 6px 0 0; font-size: 12.5px; }
.reasons { margin: 6px 0 0; padding-left: 18px; color: var(--muted); font-size: 12.5px; }
.reviewbox { margin-top: 14px; padding: 12px 14px; border-radius: var(--radius); background: #faf5ff; border: 1px solid #e9d5ff; }
.review-item { padding: 14px; margin-bottom: 16px; }
.review-item h3 { font-size: 13px; margin: 12px 0 0; }
.review-head { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; }
.review-actions, form.reject { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-top: 12px; }
form.reject input[name=reason] { min-width: 260px; }
.check { display: inline-flex; align-items: center; gap: 6px; font-size: 12.5px; color: var(--muted); }
.check input { height: auto; min-width: 0; }
@media (max-width: 900px) { .jobgrid { grid-template-columns: 1fr; } }
`;

const JS = `(function () {
  'use strict';
  // Confirmation and double-submit guard for the action forms.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { ev.preventDefault(); return; }
    if (form.method.toLowerCase() === 'post') {
      setTimeout(function () { form.querySelectorAll('button').forEach(function (b) { b.disabled = true; }); }, 0);
    }
  });

  var live = document.getElementById('live');
  var status = document.getElementById('live-status');
  if (!live || !live.dataset.poll) return;
  var interval = Math.max(1000, Number(live.dataset.interval) || 3000);
  var busy = false;
  function show(text, state) {
    if (!status) return;
    status.textContent = text;
    status.setAttribute('data-state', state);
  }
  function clock() { return new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }

  // Polls a small JSON endpoint; when its fingerprint changes, re-fetches this page and swaps the live
  // region. The HTML is rendered (and escaped) by the server only: parsed, never assigned to innerHTML.
  function tick() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(live.dataset.poll, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) { window.location.reload(); throw new Error('signed out'); }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (data.fingerprint === live.dataset.fingerprint) return null;
        return fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.text();
        });
      })
      .then(function (text) {
        if (text) {
          var next = new DOMParser().parseFromString(text, 'text/html').getElementById('live');
          if (next) {
            live.replaceChildren.apply(live, Array.prototype.map.call(Array.prototype.slice.call(next.childNodes), function (n) { return document.adoptNode(n); }));
            live.dataset.fingerprint = next.dataset.fingerprint || '';
          }
        }
        show('Live · ' + clock(), 'live');
      })
      .catch(function () { show('Offline · retrying', 'error'); })
      .then(function () { busy = false; });
  }
  show('Live · ' + clock(), 'live');
  setInterval(tick, interval);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) tick(); });
})();
`;

export interface Asset {
  name: string;
  contentType: string;
  body: Buffer;
}

function asset(base: string, ext: string, contentType: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${base}.${hash}.${ext}`, contentType, body };
}

export const STYLESHEET = asset('app', 'css', 'text/css; charset=utf-8', CSS);
export const SCRIPT = asset('app', 'js', 'text/javascript; charset=utf-8', JS);
export const ASSETS: ReadonlyMap<string, Asset> = new Map([STYLESHEET, SCRIPT].map((a) => [a.name, a]));
