// mobu status page: reads the REST API from the browser and redraws every
// five seconds while the tab is visible.
//
// All data reaches the DOM through textContent and setAttribute (the el and
// svg helpers); nothing from the API is ever parsed as HTML.
'use strict';

(() => {
  const REFRESH_MS = 5000;
  const FAILURE_LIMIT = 10;
  const RECENT_SAMPLES = 30;
  const TOKEN_KEY = 'mobu-api-token';
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // The page is {prefix}/ui, {prefix}/ui/ or {prefix}/ui/index.html; the
  // API is {prefix}, whatever the prefix is.
  const apiBase = location.pathname.replace(/\/ui(\/(index\.html)?)?$/, '');

  const byId = (id) => document.getElementById(id);

  let timer = 0; // the page's only refresh timer
  let generation = 0; // drops the results of a refresh that a newer one overtook
  let lastSnapshot = ''; // the data last drawn: unchanged data is not redrawn
  let lastUpdate = null;
  const openFailures = new Set(); // keys of the failure <details> left open

  // ---- API access ----

  class HTTPError extends Error {
    constructor(status, path) {
      super(`HTTP ${status} from ${path}`);
      this.status = status;
    }
  }

  // sessionStorage can be unavailable (privacy settings): then the token
  // lives only as long as the page.
  let memoryToken = '';
  function getToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return memoryToken; }
  }
  function setToken(token) {
    memoryToken = token;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
    } catch { /* keep it in memory only */ }
  }

  async function api(path) {
    const headers = { Accept: 'application/json' };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const resp = await fetch(apiBase + path, { headers, cache: 'no-store' });
    if (!resp.ok) throw new HTTPError(resp.status, path);
    return resp.json();
  }

  // loadFlock fetches one flock's details; null if it went away since the
  // summary was read.
  async function loadFlock(summary) {
    const path = `/flocks/${encodeURIComponent(summary.name)}`;
    try {
      const [data, failures, timings] = await Promise.all([
        api(path),
        api(`${path}/failures?limit=${FAILURE_LIMIT}`),
        api(`${path}/timings?recent=${RECENT_SAMPLES}`),
      ]);
      return { summary, data, failures: failures || [], timings: timings || [] };
    } catch (err) {
      if (err instanceof HTTPError && err.status === 404) return null;
      throw err;
    }
  }

  // ---- refresh cycle ----

  function schedule() {
    clearTimeout(timer);
    timer = document.hidden ? 0 : setTimeout(refresh, REFRESH_MS);
  }

  async function refresh() {
    clearTimeout(timer);
    timer = 0;
    const gen = ++generation;
    try {
      const summary = await api('/summary');
      const flocks = (await Promise.all((summary.flocks || []).map(loadFlock))).filter(Boolean);
      if (gen !== generation) return;
      hideTokenForm();
      showError('');
      draw(flocks);
      lastUpdate = new Date();
      byId('updated').textContent = `Last updated ${clock(lastUpdate)} · refreshes every ${REFRESH_MS / 1000} s`;
    } catch (err) {
      if (gen !== generation) return;
      if (err instanceof HTTPError && err.status === 401) {
        askForToken(); // no timer until a token is given
        return;
      }
      showError(describeError(err));
    }
    schedule();
  }

  function describeError(err) {
    let what = 'the API is unreachable'; // fetch rejects with a TypeError
    if (err instanceof HTTPError) what = `the API answered ${err.status}`;
    else if (err instanceof SyntaxError) what = 'the API did not answer with JSON';
    const since = lastUpdate ? ` Showing data from ${clock(lastUpdate)}.` : '';
    return `Cannot load the status: ${what}.${since} Retrying every ${REFRESH_MS / 1000} s.`;
  }

  function showError(message) {
    const banner = byId('error');
    banner.textContent = message;
    banner.hidden = !message;
  }

  // Pause while the tab is hidden; catch up as soon as it is shown again
  // (unless the page is waiting for a token).
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = 0;
    } else if (byId('token-form').hidden) {
      refresh();
    }
  });

  // ---- token form ----

  // askForToken shows the token form; a stored token was refused, so it
  // is forgotten.
  function askForToken() {
    const rejected = getToken() !== '';
    setToken('');
    const form = byId('token-form');
    if (rejected) form.reset();
    byId('token-message').textContent = rejected
      ? 'The token was not accepted. Enter the mobu API token again.'
      : 'This mobu API requires a token.';
    showError('');
    form.hidden = false;
    byId('updated').textContent = 'Waiting for a token';
    byId('token').focus();
  }

  function hideTokenForm() {
    byId('token-form').hidden = true;
  }

  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId('token').value.trim();
    if (!token) return;
    setToken(token);
    hideTokenForm();
    byId('updated').textContent = 'Loading…';
    refresh();
  });

  // ---- DOM helpers ----

  // el builds an element: attrs are set with setAttribute (class included),
  // children are nodes or strings (text nodes), null/undefined are skipped.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    node.append(...children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
  }

  // table wraps rows in a labelled, horizontally scrollable table.
  function table(label, headers, rows, className) {
    const head = el('tr', null, ...headers.map(([text, cls]) => el('th', { scope: 'col', class: cls }, text)));
    return el('div', { class: 'scroll' },
      el('table', { class: className, 'aria-label': label },
        el('thead', null, head),
        el('tbody', null, ...rows)));
  }

  // ---- formatting ----

  const pad = (n) => String(n).padStart(2, '0');

  function clock(d) {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // timeEl shows an API timestamp in local time, the exact value in datetime.
  function timeEl(iso) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return el('span', { class: 'muted' }, '—');
    const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(d)}`;
    return el('time', { datetime: iso, title: iso }, text);
  }

  function seconds(s) {
    if (typeof s !== 'number' || !Number.isFinite(s)) return '—';
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    if (s < 60) return `${s.toFixed(2)} s`;
    return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }

  const percent = (rate) => `${(rate * 100).toFixed(1)}%`;

  // The percentiles cover successful samples only: none, no percentile.
  const quantile = (t, value) => (t.count > t.failures ? seconds(value) : '—');

  const dash = (value) => (value === null || value === undefined || value === '' ? '—' : value);

  // ---- drawing ----

  function draw(flocks) {
    const snapshot = JSON.stringify(flocks);
    if (snapshot === lastSnapshot) return;
    lastSnapshot = snapshot;
    // Keep keyboard focus on an open failure across the redraw.
    const focused = document.activeElement && document.activeElement.closest('details[data-key]');
    const focusKey = focused ? focused.dataset.key : null;

    drawOverview(flocks);
    byId('flock-details').replaceChildren(...flocks.map(drawFlock));

    if (focusKey) {
      const again = [...document.querySelectorAll('details[data-key]')].find((d) => d.dataset.key === focusKey);
      if (again) again.querySelector('summary').focus();
    }
  }

  function drawOverview(flocks) {
    byId('overview').hidden = false;
    byId('no-flocks').hidden = flocks.length > 0;
    byId('flocks').hidden = flocks.length === 0;
    const rows = flocks.map(({ summary: s }) => {
      const total = s.success_count + s.failure_count;
      const rateClass = total === 0 ? null : s.success_rate >= 1 ? 'rate-good' : s.success_rate < 0.9 ? 'rate-bad' : null;
      return el('tr', { 'data-flock': s.name },
        el('th', { scope: 'row' }, el('a', { href: `#flock-${s.name}` }, s.name)),
        el('td', null, s.business),
        el('td', { class: 'num' }, s.monkey_count),
        el('td', { class: 'num' }, s.success_count),
        el('td', { class: 'num' }, s.failure_count),
        el('td', { class: `num rate ${rateClass || ''}`.trim() }, percent(s.success_rate)),
        el('td', null, s.paused ? 'yes' : 'no'),
        el('td', null, timeEl(s.start_time)));
    });
    byId('flocks').querySelector('tbody').replaceChildren(...rows);
  }

  function drawFlock(f) {
    const name = f.summary.name;
    const headingId = `flock-${name}-heading`;
    return el('section', { class: 'flock', id: `flock-${name}`, 'data-flock': name, 'aria-labelledby': headingId },
      el('h2', { id: headingId }, `Flock ${name}`),
      el('h3', null, 'Monkeys'),
      drawMonkeys(f.data.monkeys || []),
      ...drawTimings(f.timings),
      el('h3', null, 'Recent failures (newest first)'),
      drawFailures(name, f.failures));
  }

  function drawMonkeys(monkeys) {
    if (monkeys.length === 0) return el('p', { class: 'muted' }, 'No monkeys.');
    const rows = monkeys.map((m) => {
      const b = m.business || {};
      const cell = b.running_cell ? `${b.running_cell.id} (#${b.running_cell.number})` : '—';
      const state = String(m.state || 'unknown');
      return el('tr', { 'data-monkey': m.name },
        el('th', { scope: 'row' }, m.name),
        el('td', null, el('span', { class: `state state-${state.toLowerCase()}` }, state)),
        el('td', { class: 'notebook' }, el('code', null, dash(b.notebook))),
        el('td', { class: 'cell' }, cell),
        el('td', { class: 'num' }, b.success_count),
        el('td', { class: 'num' }, b.failure_count),
        el('td', null, labText(b)),
        el('td', { class: 'error-text' }, m.last_error || ''));
    });
    return table('Monkeys', [['Monkey'], ['State'], ['Notebook'], ['Cell'], ['Successes', 'num'],
      ['Failures', 'num'], ['Lab'], ['Last error']], rows, 'monkeys');
  }

  function labText(b) {
    const parts = [];
    if (b.image) parts.push(b.image.description || b.image.reference);
    if (b.node) parts.push(`on ${b.node}`);
    return parts.length ? parts.join(' ') : '—';
  }

  // drawTimings splits the series into notebooks (sparklines) and the
  // other stages (a small table).
  function drawTimings(timings) {
    const notebooks = timings.filter((t) => t.name.startsWith('notebook '));
    const stages = timings.filter((t) => !t.name.startsWith('notebook '));
    const out = [el('h3', null, 'Notebook durations')];
    if (notebooks.length === 0) {
      out.push(el('p', { class: 'muted' }, 'No notebook has run yet.'));
    } else {
      out.push(table('Notebook durations', [['Notebook'], ['Recent runs'], ['p50', 'num'], ['p95', 'num'],
        ['Runs', 'num'], ['Failed', 'num']], notebooks.map(notebookRow), 'notebooks'));
    }
    if (stages.length > 0) {
      out.push(el('h3', null, 'Stage timings'));
      out.push(table('Stage timings', [['Stage'], ['p50', 'num'], ['p95', 'num'], ['Runs', 'num'], ['Failed', 'num']],
        stages.map((t) => el('tr', { 'data-stage': t.name },
          el('th', { scope: 'row' }, t.name),
          el('td', { class: 'num' }, quantile(t, t.p50)),
          el('td', { class: 'num' }, quantile(t, t.p95)),
          el('td', { class: 'num' }, t.count),
          el('td', { class: 'num' }, t.failures))), 'stages'));
    }
    return out;
  }

  function notebookRow(t) {
    const path = t.name.slice('notebook '.length);
    return el('tr', { 'data-notebook': path },
      el('th', { scope: 'row' }, el('code', null, path)),
      el('td', null, sparkline(path, t.recent || [])),
      el('td', { class: 'num' }, quantile(t, t.p50)),
      el('td', { class: 'num' }, quantile(t, t.p95)),
      el('td', { class: 'num' }, t.count),
      el('td', { class: 'num' }, t.failures));
  }

  // sparkline draws the recent durations oldest to newest: a line through
  // every sample and a dot per sample, red and larger when it failed.
  function sparkline(path, points) {
    const W = 160, H = 32, PAD = 3;
    const max = Math.max(0, ...points.map((p) => p.seconds)) || 1;
    const x = (i) => (points.length === 1 ? W / 2 : PAD + (i * (W - 2 * PAD)) / (points.length - 1));
    const y = (s) => H - PAD - (Math.max(0, s) / max) * (H - 2 * PAD);
    const failed = points.filter((p) => !p.ok).length;
    const label = points.length === 0 ? `No recent runs of ${path}`
      : `${points.length} recent runs of ${path}, ${failed} failed, longest ${seconds(max)}`;
    const chart = svg('svg', { class: 'sparkline', width: W, height: H, viewBox: `0 0 ${W} ${H}`,
      role: 'img', 'aria-label': label, 'data-samples': points.length });
    if (points.length > 1) {
      chart.append(svg('polyline', { points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.seconds).toFixed(1)}`).join(' ') }));
    }
    points.forEach((p, i) => {
      const title = svg('title');
      title.textContent = `${seconds(p.seconds)}${p.ok ? '' : ' (failed)'} at ${clock(new Date(p.at))}`;
      chart.append(svg('circle', { class: p.ok ? 'ok' : 'fail', cx: x(i).toFixed(1), cy: y(p.seconds).toFixed(1),
        r: p.ok ? 1.5 : 2.75 }, title));
    });
    return chart;
  }

  function drawFailures(flock, failures) {
    if (failures.length === 0) return el('p', { class: 'muted' }, 'No failures.');
    return el('ol', { class: 'failures' }, ...failures.map((f) => drawFailure(flock, f)));
  }

  function drawFailure(flock, f) {
    const where = el('p', { class: 'where' },
      el('span', null, timeEl(f.time)),
      el('span', null, el('strong', null, f.monkey)),
      f.phase ? el('span', null, 'phase ', el('code', null, f.phase)) : null,
      f.notebook ? el('span', null, 'notebook ', el('code', null, f.notebook)) : null,
      f.cell_id ? el('span', { class: 'cell' }, 'cell ', el('code', null, f.cell_id), ` (#${f.cell_number})`) : null,
      f.node ? el('span', null, `node ${f.node}`) : null);
    const error = el('p', { class: 'error' }, el('span', { class: 'etype' }, f.error_type), ' ',
      el('span', { class: 'error-text' }, f.error));
    return el('li', { class: 'failure' }, where, error, failureDetails(flock, f));
  }

  // failureDetails holds the cell code and traceback; it stays open across
  // redraws once opened.
  function failureDetails(flock, f) {
    if (!f.traceback && !f.code) return null;
    const key = `${flock}|${f.monkey}|${f.time}`;
    const details = el('details', { 'data-key': key },
      el('summary', null, 'Traceback and cell code'),
      f.code ? el('h4', null, 'Cell code') : null,
      f.code ? el('pre', { class: 'code' }, el('code', null, f.code)) : null,
      f.traceback ? el('h4', null, 'Traceback') : null,
      f.traceback ? el('pre', { class: 'traceback' }, f.traceback) : null);
    details.open = openFailures.has(key);
    details.addEventListener('toggle', () => {
      if (details.open) openFailures.add(key); else openFailures.delete(key);
    });
    return details;
  }

  refresh();
})();
