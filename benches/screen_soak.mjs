// The command-center screen's soak: a served copy of a store, the /screen page open in Debian's chromium at
// 1920×1080, incidents POSTed at a steady rate (and a sensor alarm raised and cleared every few minutes), and
// every minute: the page's JS heap after a forced GC (CDP HeapProfiler.collectGarbage, Runtime.getHeapUsage),
// its DOM nodes and JS event listeners (CDP Performance.getMetrics), the live features on its map, and the
// server's RSS (/proc/PID/status VmRSS) and the store's DuckDB memory as the server last logged it (its `memory:` line,
// once a minute: server/src/store/memory.rs). Writes one JSON line per sample and a summary (start, end, max and
// the least-squares slope per hour, over all samples and after the first 10 minutes).
//
// Incidents are paced on the wall clock (a late timer catches up; posts run concurrently), and each is resolved on the
// spot --close-after seconds later (one in five then evaluated), so the open cases stay steady, as on a district's wall.
//
// Usage: node benches/screen_soak.mjs --bin BIN --db STORE [--minutes 60] [--rate 5] [--close-after 60] [--out DIR]
//   [--points incidents.csv] [--web DIR]
// (the store is copied first; the page's files are served from DIR, default web/). The server's log, less its line per
// request and per stored incident or transition, goes to DIR/server-STAMP.log (warnings such as a failed checkpoint).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, appendFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '../web/node_modules/playwright-core/index.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({ options: {
  bin: { type: 'string' }, db: { type: 'string' }, minutes: { type: 'string', default: '60' }, rate: { type: 'string', default: '5' },
  out: { type: 'string', default: '/tmp/soak' }, points: { type: 'string' }, every: { type: 'string', default: '60' },
  web: { type: 'string' }, 'close-after': { type: 'string', default: '60' }, snapshots: { type: 'string', default: '' },
} });
if (!a.bin || !a.db) throw new Error('usage: --bin BIN --db STORE [--minutes 60] [--rate 5] [--out DIR] [--points CSV]');
mkdirSync(a.out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const samplesFile = join(a.out, `soak-${stamp}.jsonl`);
const summaryFile = join(a.out, `soak-${stamp}.summary.json`);
const serverLog = join(a.out, `server-${stamp}.log`);
const log = (...x) => console.log(new Date().toISOString(), ...x);

// a served copy of the store
const db = join(a.out, `served-${stamp}.duckdb`);
copyFileSync(a.db, db);
if (existsSync(`${a.db}.wal`)) copyFileSync(`${a.db}.wal`, `${db}.wal`);
const server = spawn(a.bin, ['serve', '--db', db, '--addr', '127.0.0.1:0', '--web', a.web ?? join(root, 'web')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
const base = await new Promise((res, rej) => {
  let err = '';
  server.stderr.on('data', (d) => {
    if (err.length < 100000) err += d;
    const m = err.match(/serving the map at (http:\/\/127\.0\.0\.1:\d+)\//);
    if (m) res(m[1]);
  });
  server.on('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
});
log('serving', base, 'pid', server.pid);
// the server's last `memory:` line: DuckDB's memory (bytes) and the whole line
let store = { duckdb: null, line: null };
let errTail = '';
server.stderr.on('data', (d) => {
  errTail += d;
  const lines = errTail.split('\n');
  errTail = lines.pop();
  for (const l of lines) {
    if (!/ answered status=| (incident|transition) stored /.test(l)) appendFileSync(serverLog, `${l}\n`);
    const m = l.match(/memory: (.*?duckdb_mb=([\d.]+).*)$/);
    if (m) store = { duckdb: Number(m[2]) * 1e6, line: m[1] };
  }
});

// where incidents happen: the positions of the store's generated incidents, else the district's bounds
const taxonomy = await (await fetch(`${base}/api/taxonomy`)).json();
const classes = taxonomy.classes.map((c) => c.name);
let points = [];
if (a.points) {
  const lines = readFileSync(a.points, 'utf8').split('\n');
  const head = lines[0].split(',');
  const [ix, iy] = [head.indexOf('lon'), head.indexOf('lat')];
  points = lines.slice(1).filter(Boolean).map((l) => l.split(',')).map((f) => [Number(f[ix]), Number(f[iy])]).filter(([x, y]) => x && y);
}
if (!points.length) {
  const info = await (await fetch(`${base}/api/layers`)).json();
  const [w, s, e, n] = info.bounds;
  for (let i = 0; i < 1000; i++) points.push([w + Math.random() * (e - w), s + Math.random() * (n - s)]);
}

// the page
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'] });
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
const outside = [];
page.on('request', (r) => { if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url()); });
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
await page.goto(`${base}/screen`);
await page.waitForFunction(() => window.wanggeScreen !== undefined, null, { timeout: 120000 });
await page.evaluate(() => new Promise((r) => { const m = window.wanggeMap; if (m.loaded() && m.areTilesLoaded()) r(); else m.once('idle', r); }));
log('page ready');

// sensors: register a few, raise and clear an alarm every 5 minutes
const post = (path, body) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const kinds = Object.keys(taxonomy.sensor_kinds ?? {});
const gas = kinds.includes('gas') ? 'gas' : kinds[0];
const sensors = [];
for (let i = 0; i < 5 && gas; i++) {
  const [x, y] = points[(i * 97) % points.length];
  const id = `SOAK-${stamp}-${i}`;
  const r = await post('/api/sensors', { id, kind: gas, lon: x, lat: y, name: `soak ${i}` });
  if (r.ok) sensors.push(id);
}

let posted = 0;
let failed = 0;
let closed = 0;
let closeFailed = 0;
let evaluated = 0;
/** failures by status or error */
const why = {};
const fail = (k) => { why[k] = (why[k] ?? 0) + 1; };
let n = 0;
const rate = Number(a.rate);
const closeAfter = Number(a['close-after']) * 1000;
const levels = ['building_grid', 'grid', 'community'];
/** cases to close: [when (ms), id], in order */
const toClose = [];
let closeHead = 0;
// paced on the wall clock: incident k is due at start + k/rate; each tick posts every one due (concurrently), so a late
// timer catches up instead of slipping the rate
const started = Date.now();
const postOne = (k) => {
  const [x, y] = points[k % points.length];
  const c = classes[k % classes.length];
  const id = `SOAK-${stamp}-${k}`;
  post('/api/incidents', { id, lon: x + (Math.random() - 0.5) * 1e-4, lat: y + (Math.random() - 0.5) * 1e-4, category: c, reporter: 'soak' })
    .then((r) => {
      if (r.status === 201) { posted++; if (closeAfter > 0) toClose.push([Date.now() + closeAfter, id, k]); } else { failed++; fail(r.status); }
      return r.arrayBuffer();
    })
    .catch((e) => { failed++; fail(e.cause?.code ?? e.message); });
};
// each case is closed (resolved on the spot at a level in turn) after --close-after seconds, and one in five of those
// evaluated: a steady state of open cases, as a district's wall sees it; the closed ones live on in the store only
const closeOne = (id, k) => {
  const step = (body) => post(`/api/incidents/${encodeURIComponent(id)}/transitions`, body)
    .then(async (r) => { if (r.status !== 200) { closeFailed++; fail(`step ${r.status}`); return false; } await r.arrayBuffer(); return true; });
  step({ to: 'resolved', actor: 'soak', level: levels[k % levels.length] })
    .then((ok) => { if (!ok) return; closed++; if (k % 5 === 0) return step({ to: 'evaluated', actor: 'soak', satisfaction: 1 + (k % 5), score: 80 }).then((e) => { if (e) evaluated++; }); })
    .catch((e) => { closeFailed++; fail(e.cause?.code ?? e.message); });
};
const intake = setInterval(() => {
  const due = Math.floor(((Date.now() - started) / 1000) * rate);
  while (n < due) { n += 1; postOne(n); }
  const now = Date.now();
  while (closeHead < toClose.length && toClose[closeHead][0] <= now) { const [, id, k] = toClose[closeHead]; closeHead++; closeOne(id, k); }
  if (closeHead > 10000) { toClose.splice(0, closeHead); closeHead = 0; }
}, 50);

const rss = () => {
  try {
    const m = readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) * 1024 : null;
  } catch { return null; }
};
const samples = [];
const sample = async (minute) => {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  const pageState = await page.evaluate(() => ({ live: window.wanggeScreen.liveCount(), seen: window.wanggeScreen.seen(),
    ticker: document.querySelectorAll('#s-ticker li').length, dom: document.getElementsByTagName('*').length, stream: window.wanggeScreen.stream.state(),
    open: document.querySelector('#k-open .v')?.textContent }));
  const s = { minute, at: new Date().toISOString(), heap_used: heap.usedSize, heap_total: heap.totalSize, nodes: m.Nodes,
    js_heap_used_metric: m.JSHeapUsedSize, listeners: m.JSEventListeners, documents: m.Documents, server_rss: rss(), store_duckdb: store.duckdb, store_line: store.line, posted, failed,
    closed, close_failed: closeFailed, evaluated, rate_achieved: posted / Math.max(1, (Date.now() - started) / 1000), why: { ...why }, ...pageState };
  samples.push(s);
  appendFileSync(samplesFile, `${JSON.stringify(s)}\n`);
  log(`min ${minute}: heap ${(s.heap_used / 1e6).toFixed(2)} MB, nodes ${s.nodes} (in the document ${s.dom}), listeners ${s.listeners}, rss ${(s.server_rss / 1e6).toFixed(1)} MB (duckdb ${s.store_duckdb == null ? '?' : (s.store_duckdb / 1e6).toFixed(1)} MB), posted ${posted} (${s.rate_achieved.toFixed(2)}/s), failed ${failed}, closed ${closed} (failed ${closeFailed}), evaluated ${evaluated}, live ${s.live}, stream ${s.stream}`);
};

// heap snapshots (after a GC) at the samples --snapshots names ("3,9"), to compare what grew: benches/heap_diff.mjs
const snapshotAt = new Set(a.snapshots.split(',').filter(Boolean).map(Number));
const snapshot = async (k) => {
  const file = join(a.out, `heap-${stamp}-${k}.heapsnapshot`);
  const chunks = [];
  const onChunk = (e) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  writeFileSync(file, chunks.join(''));
  log('heap snapshot', file);
};

await sample(0);
const minutes = Number(a.minutes);
const every = Number(a.every) * 1000;
for (let k = 1; k * every <= minutes * 60000; k++) {
  await new Promise((r) => setTimeout(r, every));
  if (sensors.length && k % 5 === 0) {
    const id = sensors[(k / 5) % sensors.length];
    await post(`/api/sensors/${encodeURIComponent(id)}/readings`, { value: (k / 5) % 2 ? 50 : 5 }).catch(() => {});
  }
  await sample((k * every) / 60000);
  if (snapshotAt.has(k)) await snapshot(k);
}
clearInterval(intake);

/** least-squares slope of y over minutes, per hour */
const slope = (xs, ys) => {
  const nn = xs.length;
  if (nn < 2) return null;
  const mx = xs.reduce((p, x) => p + x, 0) / nn;
  const my = ys.reduce((p, y) => p + y, 0) / nn;
  let sxy = 0; let sxx = 0;
  for (let i = 0; i < nn; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
  return sxx ? (sxy / sxx) * 60 : null;
};
const stats = (key, from = 0) => {
  const s = samples.filter((x) => x.minute >= from && x[key] != null);
  const ys = s.map((x) => x[key]);
  return { start: ys[0], end: ys[ys.length - 1], max: Math.max(...ys), min: Math.min(...ys), slope_per_hour: slope(s.map((x) => x.minute), ys) };
};
const summary = {
  base, minutes, rate, posted, failed, closed, close_failed: closeFailed, evaluated, why, outside_requests: outside.length, page_errors: pageErrors.slice(0, 20),
  rate_achieved: samples.length ? samples[samples.length - 1].rate_achieved : null, close_after_s: closeAfter / 1000,
  heap_used: stats('heap_used'), heap_used_after_10min: stats('heap_used', 10),
  server_rss: stats('server_rss'), server_rss_after_10min: stats('server_rss', 10),
  store_duckdb: stats('store_duckdb'), store_duckdb_after_10min: stats('store_duckdb', 10),
  nodes: stats('nodes'), listeners: stats('listeners'), samples: samplesFile,
};
writeFileSync(summaryFile, JSON.stringify(summary, null, 2));
log('summary', JSON.stringify(summary));
await browser.close();
server.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 2000));
rmSync(db, { force: true });
rmSync(`${db}.wal`, { force: true });
process.exit(0);
