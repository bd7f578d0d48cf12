// First paint and time to map idle of the command-center screen (/screen) at 1920×1080, with the main map
// page (/) on the same served store in the same run as the anchor. Each load is a fresh browser context (no
// cache); times are from the navigation's start (Performance API: `first-contentful-paint`; map idle = the
// first MapLibre `idle` after every tile and the screen's overlays loaded, read as performance.now()).
//
// Usage: node benches/screen_bench.mjs --bin BIN --db STORE [--runs 5]
import { spawn } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '../web/node_modules/playwright-core/index.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({ options: { bin: { type: 'string' }, db: { type: 'string' }, runs: { type: 'string', default: '5' } } });
if (!a.bin || !a.db) throw new Error('usage: --bin BIN --db STORE [--runs 5]');

const server = spawn(a.bin, ['serve', '--db', a.db, '--addr', '127.0.0.1:0', '--web', join(root, 'web')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
const base = await new Promise((res, rej) => {
  let err = '';
  server.stderr.on('data', (d) => { err += d; const m = err.match(/serving the map at (http:\/\/127\.0\.0\.1:\d+)\//); if (m) res(m[1]); });
  server.on('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });

/** One cold load of `path`: first contentful paint and map idle, ms from navigation start. */
async function load(path, ready) {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url()); });
  await page.goto(`${base}${path}`);
  await page.waitForFunction(ready, null, { timeout: 120000 });
  const idle = await page.evaluate(() => new Promise((r) => {
    const m = window.wanggeMap;
    const done = () => r(performance.now());
    if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) { m.once('idle', done); m.triggerRepaint(); } else m.once('idle', done);
  }));
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  const requests = await page.evaluate(() => performance.getEntriesByType('resource').length);
  await context.close();
  return { fcp, idle, requests, outside: outside.length };
}

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const pages = [
  ['/screen', () => window.wanggeScreen !== undefined],
  ['/', () => window.wanggeMap !== undefined],
];
// one warm-up load each (the server computes coverage and fills its tile cache on first use)
for (const [p, r] of pages) await load(p, r);
const out = {};
for (const [p, r] of pages) {
  const runs = [];
  for (let i = 0; i < Number(a.runs); i++) runs.push(await load(p, r));
  out[p] = { fcp_ms: median(runs.map((x) => x.fcp)), idle_ms: median(runs.map((x) => x.idle)), min_idle_ms: Math.min(...runs.map((x) => x.idle)),
    max_idle_ms: Math.max(...runs.map((x) => x.idle)), requests: median(runs.map((x) => x.requests)), outside: Math.max(...runs.map((x) => x.outside)), runs: runs.length };
  console.log(p, JSON.stringify(out[p]));
}
console.log('| page | first contentful paint ms (median) | map idle ms (median, min–max) | requests | outside 127.0.0.1 |');
console.log('|---|---|---|---|---|');
for (const [p] of pages) {
  const o = out[p];
  console.log(`| ${p} | ${o.fcp_ms?.toFixed(0)} | ${o.idle_ms.toFixed(0)} (${o.min_idle_ms.toFixed(0)}–${o.max_idle_ms.toFixed(0)}) | ${o.requests} | ${o.outside} |`);
}
await browser.close();
server.kill('SIGTERM');
