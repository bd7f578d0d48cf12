// Shared set-up of the browser tests: a demo store served by our own binary
// on 127.0.0.1 (no internet) and Debian's chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
const bin = resolve(root, process.env.WANGGE_BIN || 'target/debug/wangge');
/** Screenshots and other things to look at after a run (gitignored). */
export const artifacts = join(root, 'web', 'test-results');

/** Runs the wangge binary (WANGGE_BIN) in the repository; answers its standard output. */
export function run(args, input) {
  return execFileSync(bin, args, { cwd: root, encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

/** Generates the demo layers and imports them into a fresh store; answers its folder and the store's path. */
export function demoStore() {
  const dir = mkdtempSync(join(tmpdir(), 'wangge-web-'));
  const gen = join(dir, 'gen');
  const db = join(dir, 'w.duckdb');
  run(['gen', 'demo', '--admin', 'data/shinan/admin.geojson', '--out', gen, '--split', '3,3,2', '--incidents', '3000']);
  run(['import', '--db', db, '--layer', 'units', 'data/shinan/admin.geojson', join(gen, 'units.geojson')]);
  run(['import', '--db', db, '--layer', 'buildings', join(gen, 'buildings.geojson')]);
  run(['import', '--db', db, '--layer', 'cameras', join(gen, 'cameras.geojson')]);
  run(['import', '--db', db, '--layer', 'facilities', join(gen, 'facilities.geojson')]);
  run(['import', '--db', db, '--layer', 'incidents', join(gen, 'incidents.csv')]);
  run(['import', '--db', db, '--layer', 'roads', join(gen, 'roads.geojson')]);
  return { dir, db };
}

/**
 * Generates the demo layers, imports them into a fresh store and serves it; answers the server process and its base URL.
 * With `users` (`{ name, role, unit?, password }`), adds them to the store before serving (`wangge users add
 * --password-stdin`): the store is then locked, every data request needs a login.
 */
export async function startServer({ users = [] } = {}) {
  const { db } = demoStore();
  for (const u of users) {
    run(['users', 'add', '--db', db, '--name', u.name, '--role', u.role, ...(u.unit ? ['--unit', u.unit] : []), '--password-stdin'],
      `${u.password}\n`);
  }
  const server = spawn(bin, ['serve', '--db', db, '--addr', '127.0.0.1:0', '--web', join(root, 'web')], { cwd: root });
  const base = await new Promise((res, rej) => {
    let err = '';
    server.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/serving the map at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) res(m[1]);
    });
    server.on('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
  });
  mkdirSync(artifacts, { recursive: true });
  return { server, base };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

/**
 * Starts the server and a browser before a test file's tests and stops them after.
 * Answers the object whose `base` (the server's URL) and `browser` are set once they run.
 * `options` go to startServer (e.g. `users`).
 */
export function useServerAndBrowser(options = {}) {
  const env = { server: undefined, base: undefined, browser: undefined };
  before(async () => {
    ({ server: env.server, base: env.base } = await startServer(options));
    env.browser = await launchBrowser();
  });
  after(async () => {
    if (env.browser) await env.browser.close();
    if (env.server) env.server.kill();
  });
  return env;
}

/** Waits until the map has drawn everything it asked for. */
export async function idle(page) {
  await page.waitForFunction(() => window.wanggeMap !== undefined, null, { timeout: 60000 });
  await page.evaluate(() => new Promise((resolve, reject) => {
    const m = window.wanggeMap;
    const t = setTimeout(() => reject(new Error('map did not reach idle in 90 s')), 90000);
    const done = () => { clearTimeout(t); resolve(); };
    if (m.loaded() && m.areTilesLoaded()) done(); else m.once('idle', done);
  }));
}

/**
 * Records a page's console errors, page errors, failed requests and every
 * request (to check that none leaves 127.0.0.1).
 * With `cancels`, requests the page cancels on purpose (net::ERR_ABORTED) are
 * not failures either: tiles the map no longer needs after it moved, and the
 * event stream when the page reloads.
 */
export function watch(page, { cancels = false } = {}) {
  const requests = [];
  const failures = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => {
    const err = r.failure()?.errorText;
    if (cancels && err === 'net::ERR_ABORTED' && /\/tiles\/|\/api\/stream$/.test(r.url())) return;
    failures.push(`${r.url()} ${err}`);
  });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    failures.push(`console: ${m.text()}`);
  });
  return { requests, failures };
}

/** The requests that went anywhere but our server. */
export function outside(requests, base) {
  return requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
}

/** Share of an image's pixels that differ from the map background (#e9eef2), computed in the page. */
export function drawnShare(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0xe9) + Math.abs(d[i + 1] - 0xee) + Math.abs(d[i + 2] - 0xf2) > 30) n++;
    }
    return n / (d.length / 4);
  }, png.toString('base64'));
}
