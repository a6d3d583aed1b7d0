import { createHash } from 'node:crypto';

/*
 * The dashboard's one page: static HTML, a style sheet and a small script, inline, with
 * no build step, no framework and nothing fetched from elsewhere. The script reads the
 * token from the page's address, listens to `/events?token=…` (an EventSource) and sends
 * actions with `Authorization: Bearer …`. It writes data with `textContent` only, never
 * as HTML. It is plain ES2020 held in a template literal: no backtick, no dollar-brace and no
 * backslash inside it.
 */

const STYLE = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1d232b; --muted: #667080; --line: #e3e6eb;
  --ok: #2f8a55; --ok-soft: #e4f3ea; --bad: #c8443a; --bad-soft: #fbe9e7;
  --warn: #a8700b; --warn-soft: #fbf1dc; --info: #3b6fb6; --info-soft: #e6eefa;
  --idle: #8a93a0; --idle-soft: #eef0f3; --on-ok: #ffffff;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --card: #1c2027; --text: #e4e7ec; --muted: #97a0ad; --line: #2c323b;
    --ok: #5cc48a; --ok-soft: #1d3327; --bad: #ef7c72; --bad-soft: #3a2220;
    --warn: #e0b25a; --warn-soft: #372d19; --info: #7fa8e6; --info-soft: #1f2b3d;
    --idle: #8a93a0; --idle-soft: #262b33; --on-ok: #0f2418;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
header {
  display: flex; align-items: center; justify-content: space-between; gap: 16px;
  padding: 14px 28px; background: var(--card); border-bottom: 1px solid var(--line);
}
.brand { display: flex; align-items: baseline; gap: 12px; }
.brand strong { font-size: 16px; letter-spacing: .2px; }
.muted { color: var(--muted); }
.status { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--idle); }
.status[data-state="live"] .dot { background: var(--ok); box-shadow: 0 0 0 3px var(--ok-soft); }
.status[data-state="stopped"] .dot { background: var(--bad); }
main { max-width: 1280px; margin: 0 auto; padding: 20px 28px 40px; }
.notice {
  margin: 0 0 16px; padding: 12px 16px; border-radius: 8px;
  background: var(--warn-soft); color: var(--text); border: 1px solid var(--line);
}
.tiles { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 14px; margin-bottom: 18px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.tile .label { display: block; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
.tile .value { display: block; margin-top: 4px; font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .sub { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 18px; align-items: start; }
.column { display: grid; gap: 18px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; }
h2 {
  display: flex; align-items: center; justify-content: space-between; gap: 8px;
  margin: 0 0 12px; font-size: 13px; font-weight: 600; color: var(--muted);
  text-transform: uppercase; letter-spacing: .6px;
}
.count {
  min-width: 22px; padding: 1px 8px; border-radius: 11px; text-align: center;
  background: var(--idle-soft); color: var(--muted); font-size: 12px; letter-spacing: 0;
}
.count.hot { background: var(--bad-soft); color: var(--bad); }
.legend { display: flex; gap: 14px; font-size: 12px; text-transform: none; letter-spacing: 0; font-weight: 400; }
.legend .swatch-ok { background: var(--ok); }
.legend .swatch-bad { background: var(--bad); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
canvas { display: block; width: 100%; height: 150px; }
.empty { margin: 4px 0; color: var(--muted); }
.pill {
  display: inline-block; padding: 1px 9px; border-radius: 11px; font-size: 12px; font-weight: 600;
  background: var(--idle-soft); color: var(--muted); white-space: nowrap;
}
.pill.ok { background: var(--ok-soft); color: var(--ok); }
.pill.bad { background: var(--bad-soft); color: var(--bad); }
.pill.warn { background: var(--warn-soft); color: var(--warn); }
.pill.info { background: var(--info-soft); color: var(--info); }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; padding: 0 8px 6px 0; }
td { padding: 7px 8px 7px 0; border-top: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.name { font-weight: 600; }
.history { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; }
.bars { display: grid; gap: 7px; }
.bar { display: grid; grid-template-columns: 110px minmax(0, 1fr) 64px; gap: 10px; align-items: center; font-size: 13px; }
.bar .track { height: 8px; border-radius: 4px; background: var(--idle-soft); overflow: hidden; }
.bar .fill { height: 100%; border-radius: 4px; background: var(--info); }
.bar .n { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
.escalation { border: 1px solid var(--line); border-left: 3px solid var(--bad); border-radius: 8px; padding: 12px 14px; }
.escalation + .escalation { margin-top: 10px; }
.escalation .top { display: flex; justify-content: space-between; gap: 10px; align-items: baseline; }
.escalation .where { font-weight: 600; }
.escalation pre {
  margin: 8px 0; padding: 8px 10px; border-radius: 6px; background: var(--bg);
  white-space: pre-wrap; word-break: break-word; max-height: 96px; overflow: auto;
  font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
.escalation .meta { color: var(--muted); font-size: 12px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 10px; }
.controls input[type="text"] {
  flex: 1 1 180px; min-width: 0; padding: 6px 9px; border-radius: 6px; border: 1px solid var(--line);
  background: var(--card); color: var(--text); font: inherit;
}
.controls label { color: var(--muted); font-size: 12px; display: flex; align-items: center; gap: 4px; }
button {
  padding: 6px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--card);
  color: var(--text); font: inherit; font-weight: 500; cursor: pointer;
}
button:hover { background: var(--bg); }
button.primary { background: var(--ok); border-color: var(--ok); color: var(--on-ok); }
button.danger { color: var(--bad); }
button:disabled { opacity: .55; cursor: default; }
.problem { color: var(--bad); font-size: 12px; margin-top: 6px; }
ol.signals { list-style: none; margin: 0; padding: 0; max-height: 360px; overflow: auto; }
ol.signals li {
  display: grid; grid-template-columns: 58px 104px minmax(0, 1fr); gap: 10px;
  padding: 5px 0; border-top: 1px solid var(--line); font-size: 12.5px;
}
ol.signals li:first-child { border-top: 0; }
ol.signals time { color: var(--muted); font-variant-numeric: tabular-nums; }
ol.signals .type { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
ol.signals .ok .type { color: var(--ok); }
ol.signals .bad .type { color: var(--bad); }
ol.signals .warn .type { color: var(--warn); }
ol.signals .info .type { color: var(--info); }
ol.signals .text { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
ol.signals .node { color: var(--muted); }
@media (max-width: 900px) {
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .columns { grid-template-columns: minmax(0, 1fr); }
}
`;

const BODY = `
<header>
  <div class="brand"><strong>rx-recovery</strong><span class="muted" id="hub"></span></div>
  <div class="status" id="status" data-state="connecting"><span class="dot"></span><span id="status-text">connecting…</span></div>
</header>
<main>
  <p class="notice" id="notice" hidden></p>
  <div class="tiles">
    <div class="tile"><span class="label">Recoveries</span><span class="value" data-stat="totalRecoveries">0</span><span class="sub" id="recoveries-sub">none yet</span></div>
    <div class="tile"><span class="label">Success rate</span><span class="value" data-stat="successRate">–</span><span class="sub" data-stat="successful">0 recovered</span></div>
    <div class="tile"><span class="label">Failed</span><span class="value" data-stat="failed">0</span><span class="sub">plan spent or escalated</span></div>
    <div class="tile"><span class="label">Escalations</span><span class="value" data-stat="escalations">0</span><span class="sub" id="waiting-sub">none waiting</span></div>
    <div class="tile"><span class="label">Average recovery</span><span class="value" data-stat="averageDurationMs">–</span><span class="sub">first error to recovered</span></div>
  </div>
  <div class="columns">
    <div class="column">
      <section class="card">
        <h2>Recoveries per second, last minute
          <span class="legend"><span><i class="swatch-ok"></i>recovered</span><span><i class="swatch-bad"></i>failed</span></span>
        </h2>
        <canvas id="chart" aria-label="Recoveries per second over the last minute"></canvas>
      </section>
      <section class="card">
        <h2>Waiting for a person <span class="count" id="escalation-count">0</span></h2>
        <div id="escalations"><p class="empty none">Nothing waits for a person.</p></div>
      </section>
      <section class="card">
        <h2>Recent signals</h2>
        <ol class="signals" id="signals"></ol>
        <p class="empty" id="signals-empty">No signal yet: recovery starts at the first error.</p>
      </section>
    </div>
    <div class="column">
      <section class="card">
        <h2>Circuit breakers</h2>
        <table id="breakers-table" hidden><thead><tr><th>breaker</th><th>state</th><th class="num">failures</th></tr></thead><tbody id="breakers"></tbody></table>
        <p class="empty" id="breakers-empty">No breaker in sight.</p>
      </section>
      <section class="card">
        <h2>Retry budgets</h2>
        <table id="budgets-table" hidden><thead><tr><th>budget</th><th class="num">balance</th><th class="num">retries / requests</th><th class="num">ran dry</th></tr></thead><tbody id="budgets"></tbody></table>
        <p class="empty" id="budgets-empty">No budget in sight.</p>
      </section>
      <section class="card" id="stores-card" hidden>
        <h2>Shared stores</h2>
        <div id="stores"></div>
      </section>
      <section class="card">
        <h2>Recoveries by strategy</h2>
        <div class="bars" id="strategies"></div>
        <p class="empty" id="strategies-empty">None yet.</p>
      </section>
      <section class="card">
        <h2>Recoveries by error type</h2>
        <div class="bars" id="error-types"></div>
        <p class="empty" id="error-types-empty">None yet.</p>
      </section>
    </div>
  </div>
</main>
`;

const SCRIPT = `
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token');
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    skew: 0, rate: null, signals: [], breakers: [], budgets: [], escalations: { total: 0, items: [] }
  };
  var cards = new Map();

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (key) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'className') node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function text(node, value) { if (node.textContent !== value) node.textContent = value; }
  // The page's clock, set to the server's (its updates carry its time).
  function localNow() { return new Date().getTime(); }
  function serverNow() { return localNow() + state.skew; }
  function duration(ms) {
    if (!(ms > 0)) return '0 ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  }
  function ago(at) { var ms = serverNow() - at; return ms < 1500 ? 'just now' : duration(ms) + ' ago'; }
  function clock(at) { return new Date(at).toLocaleTimeString([], { hour12: false }); }
  function plural(n, noun) { return n + ' ' + noun + (n === 1 ? '' : 's'); }
  function tone(stateName) {
    return stateName === 'closed' ? 'ok' : stateName === 'half_open' ? 'warn' : 'bad';
  }

  function setStatus(name, label, notice) {
    $('status').setAttribute('data-state', name);
    text($('status-text'), label);
    $('notice').hidden = !notice;
    if (notice) text($('notice'), notice);
  }

  function renderStatistics(s) {
    text(document.querySelector('[data-stat="totalRecoveries"]'), String(s.totalRecoveries));
    text(document.querySelector('[data-stat="successRate"]'),
      s.totalRecoveries === 0 ? '–' : (s.successRate * 100).toFixed(1) + '%');
    text(document.querySelector('[data-stat="successful"]'), s.successful + ' recovered');
    text(document.querySelector('[data-stat="failed"]'), String(s.failed));
    text(document.querySelector('[data-stat="escalations"]'), String(s.escalations));
    text(document.querySelector('[data-stat="averageDurationMs"]'),
      s.totalRecoveries === 0 ? '–' : duration(s.averageDurationMs));
    var steps = 0;
    Object.keys(s.stepsByStrategy).forEach(function (k) { steps += s.stepsByStrategy[k]; });
    text($('recoveries-sub'), s.totalRecoveries === 0 ? 'none yet' : plural(steps, 'step') + ' taken');
    renderBars($('strategies'), $('strategies-empty'), s.strategiesUsed, s.stepsByStrategy);
    renderBars($('error-types'), $('error-types-empty'), s.byErrorType, null);
  }

  function renderBars(box, empty, counts, steps) {
    var keys = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; });
    var max = keys.reduce(function (m, k) { return Math.max(m, counts[k]); }, 0);
    box.replaceChildren.apply(box, keys.map(function (key) {
      var fill = el('div', { className: 'fill' });
      fill.style.width = (max === 0 ? 0 : (100 * counts[key]) / max) + '%';
      var title = steps && steps[key] ? plural(steps[key], 'step') : '';
      return el('div', { className: 'bar', 'data-key': key, title: title }, [
        el('span', { text: key }),
        el('div', { className: 'track' }, [fill]),
        el('span', { className: 'n', text: String(counts[key]) })
      ]);
    }));
    empty.hidden = keys.length > 0;
  }

  function renderChart() {
    var canvas = $('chart');
    var rate = state.rate;
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    var g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    var css = getComputedStyle(document.documentElement);
    var color = function (name) { return css.getPropertyValue(name).trim(); };
    var n = 60, left = 34, bottom = 18, top = 8;
    var shift = rate ? Math.max(0, Math.floor(serverNow() / 1000) - rate.second) : n;
    var ok = [], bad = [], max = 0;
    for (var i = 0; i < n; i++) {
      var j = i + shift;
      ok.push(rate && j < n ? rate.recovered[j] : 0);
      bad.push(rate && j < n ? rate.failed[j] : 0);
      max = Math.max(max, ok[i] + bad[i]);
    }
    var scale = 4;
    for (var unit = 1; scale < max; unit *= 10) {
      scale = [4, 6, 8, 10].map(function (m) { return m * unit; }).filter(function (m) { return m >= max; })[0] || 10 * unit;
    }
    var plotH = height - bottom - top, plotW = width - left;
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = color('--muted');
    g.strokeStyle = color('--line');
    g.lineWidth = 1;
    [0, 0.5, 1].forEach(function (f) {
      var y = Math.round(top + plotH * (1 - f)) + 0.5;
      g.beginPath(); g.moveTo(left, y); g.lineTo(width, y); g.stroke();
      g.textAlign = 'right'; g.textBaseline = 'middle';
      g.fillText(String(Math.round(scale * f)), left - 6, y);
    });
    g.textBaseline = 'alphabetic';
    g.textAlign = 'left'; g.fillText('60 s ago', left, height - 3);
    g.textAlign = 'center'; g.fillText('30 s', left + plotW / 2, height - 3);
    g.textAlign = 'right'; g.fillText('now', width, height - 3);
    var slot = plotW / n, bar = Math.max(1, slot - 2);
    for (var k = 0; k < n; k++) {
      var x = left + k * slot + 1;
      var hOk = (plotH * ok[k]) / scale, hBad = (plotH * bad[k]) / scale;
      g.fillStyle = color('--ok');
      if (hOk > 0) g.fillRect(x, top + plotH - hOk, bar, hOk);
      g.fillStyle = color('--bad');
      if (hBad > 0) g.fillRect(x, top + plotH - hOk - hBad, bar, hBad);
    }
  }

  function renderBreakers() {
    var rows = state.breakers.map(function (b) {
      var history = b.transitions.slice(-3).reverse().map(function (t) {
        return el('span', { className: 'history', text: t.from.replace('_', '-') + ' → ' + t.to.replace('_', '-') + ', ' + ago(t.at) });
      });
      var label = b.state.replace('_', '-');
      if (b.state === 'open' && b.retryAfterMs > 0) label += ', trial in ' + duration(b.retryAfterMs);
      if (b.state === 'isolated' || b.retryAfterMs === null) label = b.state === 'isolated' ? 'isolated by hand' : label;
      var counts = b.calls === undefined ? '–' : b.failures + ' / ' + b.calls;
      var shared = b.shared ? [el('span', { className: 'history shared',
        text: 'shared by the fleet' + (b.opens > 0 ? ', opened ' + plural(b.opens, 'time') + ' in a row' : '') })] : [];
      return el('tr', { 'data-breaker': b.name, 'data-state': b.state, 'data-shared': b.shared ? 'true' : 'false' }, [
        el('td', null, [el('span', { className: 'name', text: b.name })].concat(shared, history)),
        el('td', null, [el('span', { className: 'pill ' + tone(b.state), text: label })]),
        el('td', { className: 'num', text: counts })
      ]);
    });
    $('breakers').replaceChildren.apply($('breakers'), rows);
    $('breakers-table').hidden = rows.length === 0;
    $('breakers-empty').hidden = rows.length > 0;
  }

  function renderBudgets() {
    var rows = state.budgets.map(function (b) {
      var paid = b.withdrawals === undefined ? '–' : b.withdrawals + ' / ' + b.deposits;
      var dry = b.exhausted === 0 ? '0' : b.exhausted + ' (' + ago(b.lastExhaustedAt) + ')';
      return el('tr', { 'data-budget': b.name, 'data-shared': b.shared ? 'true' : 'false' }, [
        el('td', null, [el('span', { className: 'name', text: b.name }),
          b.shared ? el('span', { className: 'history shared', text: 'shared by the fleet' }) : null]),
        el('td', { className: 'num' }, [b.balance === undefined ? document.createTextNode('–')
          : el('span', { className: 'pill ' + (b.balance > 0 ? 'ok' : 'bad'), text: String(b.balance) })]),
        el('td', { className: 'num', text: paid }),
        el('td', { className: 'num', text: dry })
      ]);
    });
    $('budgets').replaceChildren.apply($('budgets'), rows);
    $('budgets-table').hidden = rows.length === 0;
    $('budgets-empty').hidden = rows.length > 0;
  }

  function renderStores(stores) {
    $('stores-card').hidden = stores.length === 0;
    $('stores').replaceChildren.apply($('stores'), stores.map(function (s) {
      return el('p', { 'data-store': s.name }, [
        el('span', { className: 'pill ' + (s.state === 'ok' ? 'ok' : 'bad'), text: s.state }),
        document.createTextNode(' ' + s.name + (s.error ? ': ' + s.error : ''))
      ]);
    }));
  }

  var LABELS = {
    error_detected: 'error', recovery_attempt: 'step', escalated: 'escalated',
    observer_error: 'observer error', circuit_state_changed: 'breaker',
    retry_budget_exhausted: 'budget spent', escalation_resolved: 'resolved',
    store_degraded: 'store down', store_recovered: 'store back'
  };
  function label(s) {
    if (s.type === 'recovery_completed') return s.tone === 'ok' ? 'recovered' : 'failed';
    return LABELS[s.type] || s.type.replace(/_/g, ' ');
  }

  function renderSignals() {
    var list = $('signals');
    list.replaceChildren.apply(list, state.signals.slice().reverse().map(function (s) {
      return el('li', { className: s.tone, 'data-type': s.type }, [
        el('time', { text: clock(s.at) }),
        el('span', { className: 'type', text: label(s) }),
        el('span', { className: 'text', title: s.text }, [
          s.node ? el('span', { className: 'node', text: s.node + ' · ' }) : null,
          document.createTextNode(s.text)
        ])
      ]);
    }));
    $('signals-empty').hidden = state.signals.length > 0;
  }

  function renderEscalations() {
    var view = state.escalations;
    var box = $('escalations');
    var count = $('escalation-count');
    text(count, String(view.total));
    count.className = 'count' + (view.total > 0 ? ' hot' : '');
    text($('waiting-sub'), view.total === 0 ? 'none waiting' : view.total + ' waiting for you');
    var seen = new Set();
    view.items.forEach(function (item) {
      seen.add(item.id);
      var card = cards.get(item.id);
      // Only new cards are added (at the end: records come oldest first); a card already
      // shown is never moved, so the value a person is typing keeps its focus.
      if (!card) { card = escalationCard(item); cards.set(item.id, card); box.appendChild(card.node); }
    });
    cards.forEach(function (card, id) {
      if (!seen.has(id)) { card.node.remove(); cards.delete(id); }
    });
    var none = box.querySelector('.none');
    if (view.items.length === 0) {
      if (!none) box.appendChild(el('p', { className: 'empty none', text: 'Nothing waits for a person.' }));
    } else if (none) none.remove();
    var more = box.querySelector('.more');
    if (view.total > view.items.length) {
      if (!more) more = el('p', { className: 'empty more' });
      text(more, 'and ' + (view.total - view.items.length) + ' more: they show as these are resolved');
      box.appendChild(more);
    } else if (more) more.remove();
    updateAges();
  }

  function escalationCard(item) {
    var waited = el('span', { className: 'meta waited' });
    var input = el('input', { type: 'text', name: 'value', placeholder: 'value to resume with', 'aria-label': 'value' });
    var asJson = el('input', { type: 'checkbox', name: 'json' });
    var problem = el('div', { className: 'problem', hidden: '' });
    var buttons = [
      el('button', { type: 'button', className: 'primary', 'data-action': 'value', text: 'Resolve with value' }),
      el('button', { type: 'button', 'data-action': 'retry', text: 'Retry' }),
      el('button', { type: 'button', className: 'danger', 'data-action': 'abort', text: 'Abort' })
    ];
    var where = [item.node, item.workflow].filter(Boolean).join(' · ') || item.correlationId;
    var node = el('article', { className: 'escalation', 'data-escalation': item.id }, [
      el('div', { className: 'top' }, [
        el('span', null, [el('span', { className: 'where', text: where }), document.createTextNode(' '),
          el('span', { className: 'pill info', text: item.patternId || item.errorType })]),
        waited
      ]),
      el('pre', { text: item.message }),
      el('div', { className: 'meta', text: plural(item.attempts, 'recovery step') + ' before escalating · ' + item.errorType + ' · ' + item.correlationId }),
      el('div', { className: 'controls' }, [input, el('label', null, [asJson, document.createTextNode('JSON')])].concat(buttons)),
      problem
    ]);
    buttons.forEach(function (button) {
      button.addEventListener('click', function () {
        var action = button.getAttribute('data-action');
        var body = { action: action };
        if (action === 'value') {
          if (asJson.checked) {
            try { body.value = JSON.parse(input.value); } catch (e) {
              show('not JSON: ' + e.message); return;
            }
          } else body.value = input.value;
        }
        buttons.forEach(function (b) { b.disabled = true; });
        show('');
        fetch('/api/escalations/' + encodeURIComponent(item.id), {
          method: 'POST',
          headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
          body: JSON.stringify(body)
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (response.ok) { node.setAttribute('data-resolved', action); text(waited, 'resolved: ' + action); return; }
            show(answer.error || ('the server answered ' + response.status));
            buttons.forEach(function (b) { b.disabled = false; });
          });
        }, function () {
          show('the dashboard did not answer');
          buttons.forEach(function (b) { b.disabled = false; });
        });
      });
    });
    function show(message) { problem.hidden = !message; text(problem, message); }
    return { node: node, waited: waited, item: item };
  }

  function updateAges() {
    cards.forEach(function (card) {
      if (!card.node.hasAttribute('data-resolved')) text(card.waited, 'waiting ' + duration(serverNow() - card.item.waitingSince));
    });
  }

  function apply(update) {
    state.skew = update.now - localNow();
    if (update.hub) text($('hub'), update.hub);
    if (update.full) state.signals = [];
    if (update.statistics) renderStatistics(update.statistics);
    if (update.rate) { state.rate = update.rate; renderChart(); }
    if (update.breakers) { state.breakers = update.breakers; renderBreakers(); }
    if (update.budgets) { state.budgets = update.budgets; renderBudgets(); }
    if (update.stores) renderStores(update.stores);
    if (update.signals) {
      var last = state.signals.length ? state.signals[state.signals.length - 1].seq : 0;
      update.signals.forEach(function (s) { if (s.seq > last) state.signals.push(s); });
      if (state.signals.length > 50) state.signals = state.signals.slice(-50);
      renderSignals();
    }
    if (update.escalations) { state.escalations = update.escalations; renderEscalations(); }
  }

  if (!token) {
    setStatus('stopped', 'no token', 'This page needs its token: open the whole link that rx-recovery dashboard (or serveDashboard) printed, ?token=… included.');
    renderChart();
    return;
  }
  var source = new EventSource('/events?token=' + encodeURIComponent(token));
  source.onopen = function () { setStatus('live', 'live', ''); };
  source.onmessage = function (event) { apply(JSON.parse(event.data)); };
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) {
      setStatus('stopped', 'stopped', 'The dashboard refused this page or stopped. A new run prints a new link (a new token): open that one.');
    } else {
      setStatus('connecting', 'reconnecting…', '');
    }
  };
  setInterval(function () { renderChart(); updateAges(); if (state.breakers.length) renderBreakers(); }, 1000);
  window.addEventListener('resize', renderChart);
  renderChart();
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page and the Content-Security-Policy that admits exactly its own style and script. */
export function dashboardPage(): { readonly html: string; readonly csp: string } {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>rx-recovery dashboard</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
