// Browser test of the offline map: the demo exported as an offline folder
// (`wangge export --format site`: the page, its modules, vendored maplibre-gl
// and pmtiles, glyphs, the data and basemap archives), shown by a plain Node
// static server with HTTP Range requests — no wangge server is ever started.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, normalize, extname } from 'node:path';
import { demoStore, run, launchBrowser, idle, watch, outside, drawnShare, artifacts } from './harness.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.pbf': 'application/x-protobuf', '.pmtiles': 'application/octet-stream' };

/**
 * Serves `dir` on 127.0.0.1 with single-range `Range: bytes=a-b` answers (206), as nginx does.
 * Answers the server, its base URL and the ranges asked of each path.
 */
async function staticServer(dir) {
  /** @type {Map<string, string[]>} */
  const ranges = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(file).size;
    const headers = { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      ranges.set(path, [...(ranges.get(path) || []), `${start}-${end}`]);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': size });
    createReadStream(file).pipe(res);
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  return { server, base: `http://127.0.0.1:${server.address().port}`, ranges };
}

const env = { site: '', base: '', server: undefined, ranges: new Map(), browser: undefined };

before(async () => {
  const { dir, db } = demoStore();
  env.site = join(dir, 'site');
  run(['export', '--db', db, '--format', 'site', '--out', env.site]);
  ({ server: env.server, base: env.base, ranges: env.ranges } = await staticServer(env.site));
  env.browser = await launchBrowser();
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  if (env.browser) await env.browser.close();
  env.server?.close();
});

/** Rendered features of the map's layers `ids`, counted per layer. */
function rendered(page, ids) {
  return page.evaluate((layers) => {
    const m = window.wanggeMap;
    const out = {};
    for (const id of layers) out[id] = m.getLayer(id) ? m.queryRenderedFeatures({ layers: [id] }).length : -1;
    return out;
  }, ids);
}

test('the offline folder shows the demo from its archives with no wangge server, and nothing leaves its origin',
  { timeout: 600000 }, async () => {
    const page = await env.browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const { requests, failures } = watch(page, { cancels: true });
    await page.goto(`${env.base}/`);
    await idle(page);

    assert.deepEqual(failures, []);
    assert.deepEqual(outside(requests, env.base), [], 'every request stays in the static folder\'s origin');
    assert.ok(!requests.some((u) => /\/(api|tiles)\//.test(u)), 'nothing asks a wangge route');
    // the archives were read by ranges, as the pmtiles protocol does
    for (const a of ['/data/wangge.pmtiles', '/data/basemap.pmtiles']) assert.ok((env.ranges.get(a) || []).length >= 2, `${a} read by ranges`);
    assert.ok(requests.some((u) => u.includes('/fonts/DejaVu%20Sans/')), 'glyphs from the folder');

    const n = await rendered(page, ['units-fill', 'units-line', 'units-label', 'basemap-water', 'basemap-land', 'basemap-places']);
    for (const [id, c] of Object.entries(n)) assert.ok(c > 0, `${id}: ${c} features rendered`);
    // the same units as the data: the district's name is among the rendered labels
    const names = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['units-fill'] }).map((f) => f.properties.name));
    assert.ok(names.includes('市南区'), 'the district is drawn from the archive');
    assert.equal(await page.locator('.maplibregl-ctrl-attrib').evaluate((e) => /OpenStreetMap/.test(e.textContent)), true, 'OSM attribution');

    const shot = await page.screenshot();
    writeFileSync(join(artifacts, 'offline.png'), shot);
    assert.ok(await drawnShare(page, shot) > 0.3, 'the map is drawn');

    // closer in: roads of the basemap and buildings of the data
    await page.evaluate(() => window.wanggeMap.jumpTo({ center: [120.3745, 36.0625], zoom: 15.5 }));
    await idle(page);
    const near = await rendered(page, ['basemap-roads', 'basemap-land', 'buildings', 'units-line']);
    for (const [id, c] of Object.entries(near)) assert.ok(c > 0, `z15.5 ${id}: ${c} features rendered`);
    writeFileSync(join(artifacts, 'offline-z15.png'), await page.screenshot());
    assert.deepEqual(outside(requests, env.base), []);
    assert.deepEqual(failures, []);
    await page.close();
  });

test('local .pmtiles files chosen in the page are drawn through FileSource, with no request for them', { timeout: 300000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const { requests, failures } = watch(page, { cancels: true });
  // the page without its site.json answer: it waits for files
  await page.route('**/site.json', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: '{}' }));
  await page.goto(`${env.base}/`);
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('pmtiles'));
  const before = requests.length;
  await page.setInputFiles('#pick', [join(env.site, 'data', 'basemap.pmtiles'), join(env.site, 'data', 'wangge.pmtiles')]);
  await idle(page);
  const n = await rendered(page, ['units-fill', 'basemap-land', 'basemap-water']);
  for (const [id, c] of Object.entries(n)) assert.ok(c > 0, `${id}: ${c} features rendered from the local file`);
  assert.ok(!requests.slice(before).some((u) => u.endsWith('.pmtiles')), 'the archives are read from the files, not fetched');
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(failures, []);
  await page.close();
});

test('the offline folder holds what its page names', () => {
  const html = readFileSync(join(env.site, 'index.html'), 'utf8');
  const { imports } = JSON.parse(html.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1]);
  for (const url of Object.values(imports)) {
    assert.match(url, /^\.\/vendor\//, 'relative, so any path serves it');
    assert.ok(existsSync(join(env.site, url)), url);
  }
  const site = JSON.parse(readFileSync(join(env.site, 'site.json'), 'utf8'));
  for (const a of [...site.archives, site.basemap]) assert.equal(readFileSync(join(env.site, a)).subarray(0, 7).toString(), 'PMTiles', a);
});
