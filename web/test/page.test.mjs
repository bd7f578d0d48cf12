// Browser test of the page's own features: URL hash state, the legend, unit
// search, PNG export, fullscreen and the incident categories; no request
// leaves 127.0.0.1 and the console stays free of errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, idle, watch, outside, drawnShare, artifacts } from './harness.mjs';

const env = useServerAndBrowser();

const api = async (path) => (await fetch(`${env.base}${path}`)).json();

/** A new page at `path`, at idle, with its requests and failures recorded. */
async function open(path = '/', options = {}) {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 }, ...options });
  const seen = watch(page, { cancels: true });
  await page.goto(`${env.base}${path}`);
  await idle(page);
  return { page, ...seen };
}

const view = (page) => page.evaluate(() => {
  const m = window.wanggeMap;
  return { lon: m.getCenter().lng, lat: m.getCenter().lat, zoom: m.getZoom() };
});
const layerOn = (page, l) => page.locator(`#layer-list input[data-layer="${l}"]`).isChecked();
const drawn = (page, id) => page.evaluate((i) => window.wanggeMap.getLayoutProperty(i, 'visibility') !== 'none', id);
const panelUnit = (page, id) => page.waitForFunction((u) => document.getElementById('panel').dataset.unit === u, id, { timeout: 20000 });

test('URL hash: the view, the layers drawn and the open unit survive a reload and follow back/forward', { timeout: 300000 }, async () => {
  const units = (await api('/api/units?level=community')).units;
  const [a, b] = units;
  const { page, requests, failures } = await open();
  await page.evaluate(() => window.wanggeMap.jumpTo({ center: [120.3712, 36.0679], zoom: 14.25 }));
  await page.locator('#layer-list input[data-layer="buildings"]').uncheck();
  await page.locator('#layer-list input[data-layer="camera_views"]').check();
  await page.evaluate((id) => window.wanggeOpenUnit(id), a.id);
  await panelUnit(page, a.id);
  await page.waitForFunction((id) => location.hash.includes(`unit=${encodeURIComponent(id)}`), a.id);
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /^#map=14\.25\/36\.06790\/120\.37120&layers=[a-z_,]+&unit=/);
  assert.ok(!/layers=[^&]*\bbuildings\b/.test(hash) && /layers=[^&]*\bcamera_views\b/.test(hash), hash);

  // a reload restores all of it
  await page.reload();
  await idle(page);
  await panelUnit(page, a.id);
  const v = await view(page);
  assert.ok(Math.abs(v.zoom - 14.25) < 1e-6 && Math.abs(v.lon - 120.3712) < 1e-5 && Math.abs(v.lat - 36.0679) < 1e-5, JSON.stringify(v));
  assert.equal(await layerOn(page, 'buildings'), false);
  assert.equal(await drawn(page, 'buildings'), false);
  assert.equal(await layerOn(page, 'camera_views'), true);
  assert.equal(await drawn(page, 'camera-views'), true);
  assert.equal(await layerOn(page, 'units'), true);

  // opening another unit adds a history entry: back returns to the first, forward to the second
  await page.evaluate((id) => window.wanggeOpenUnit(id), b.id);
  await panelUnit(page, b.id);
  await page.locator('#layer-list input[data-layer="cameras"]').uncheck();
  await page.goBack();
  assert.equal(await layerOn(page, 'cameras'), true);
  await page.goBack();
  await panelUnit(page, a.id);
  await page.goForward();
  await panelUnit(page, b.id);

  // a link with a hash opens there, in a fresh page
  const link = `/#map=16.00/${36.0679}/${120.3712}&layers=units,cameras&unit=${encodeURIComponent(b.id)}`;
  const other = await open(link);
  await panelUnit(other.page, b.id);
  assert.equal(Math.round((await view(other.page)).zoom), 16);
  assert.deepEqual([await layerOn(other.page, 'buildings'), await layerOn(other.page, 'cameras')], [false, true]);
  await other.page.screenshot({ path: join(artifacts, 'hash-link.png') });
  assert.deepEqual([...outside(requests, env.base), ...outside(other.requests, env.base)], [], 'every request stays on 127.0.0.1');
  assert.deepEqual([...failures, ...other.failures], []);
  await page.close();
  await other.page.close();
});

test('legend: an entry for every thematic layer drawn, and none for those switched off', { timeout: 300000 }, async () => {
  const { page, failures } = await open();
  const entries = () => page.locator('#legend section').evaluateAll((s) => s.map((e) => e.dataset.legend));
  await page.waitForFunction(() => document.querySelectorAll('#legend section').length > 0);
  let on = await entries();
  for (const l of ['units', 'buildings', 'cameras', 'facilities', 'incidents', 'problems']) assert.ok(on.includes(l), `legend has ${l}: ${on}`);
  assert.ok(!on.includes('camera_views') && !on.includes('camera_gaps'), `views and gaps start off: ${on}`);
  const levels = await page.locator('#legend [data-legend="units"] div').allTextContents();
  assert.deepEqual(levels, ['区', '街道', '社区', '网格', '楼栋网格'].slice(0, levels.length));
  assert.ok(levels.length >= 4, levels.join(' '));
  assert.match(await page.locator('#legend [data-legend="buildings"]').textContent(), /户/);

  for (const l of ['camera_views', 'camera_gaps']) await page.locator(`#layer-list input[data-layer="${l}"]`).check();
  await page.locator('#layer-list input[data-layer="buildings"]').uncheck();
  // the legend follows the map on its next render: wait for all three switches to show
  await page.waitForFunction(() => document.querySelector('#legend [data-legend="camera_gaps"]') !== null
    && document.querySelector('#legend [data-legend="buildings"]') === null, null, { timeout: 20000 });
  on = await entries();
  assert.ok(on.includes('camera_views') && on.includes('camera_gaps') && !on.includes('buildings'), `${on}`);

  // the overlays: heatmap counts, then hot and cold spots instead
  await page.click('#h-heat');
  await page.waitForFunction(() => document.querySelector('#legend [data-legend="heatmap"]') !== null, null, { timeout: 20000 });
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'legend-heatmap.png') });
  await page.click('#h-hot');
  await page.waitForFunction(() => document.querySelector('#legend [data-legend="hotspots"]') !== null, null, { timeout: 20000 });
  on = await entries();
  assert.ok(!on.includes('heatmap'), `heatmap cleared for the hot spots: ${on}`);
  assert.match(await page.locator('#legend [data-legend="hotspots"]').textContent(), /热点.*冷点/);
  await idle(page);
  await page.locator('#legend').screenshot({ path: join(artifacts, 'legend.png') });
  assert.deepEqual(failures, []);
  await page.close();
});

test('unit search finds a unit by name and by id, flies to it and opens its panel', { timeout: 300000 }, async () => {
  const all = (await api('/api/units')).units;
  const unique = all.filter((u) => u.level === 'community' && all.filter((x) => x.name === u.name).length === 1);
  const byName = unique[unique.length - 1];
  const byIdUnit = all.find((u) => u.level === 'grid');
  const { page, failures } = await open();

  await page.fill('#unit-search', byName.name);
  const hit = page.locator(`#search-results li[data-unit="${byName.id}"]`);
  await hit.waitFor({ timeout: 20000 });
  await page.screenshot({ path: join(artifacts, 'search.png') });
  await hit.click();
  await panelUnit(page, byName.id);
  assert.equal(await page.locator('#unit-name').textContent(), byName.name);
  await page.waitForFunction(() => !window.wanggeMap.isMoving(), null, { timeout: 20000 });
  const fc = await api(`/api/features/units?level=community&limit=100000`);
  const f = fc.features.find((x) => x.properties.id === byName.id);
  const coords = f.geometry.coordinates.flat(2);
  const [x0, x1] = [Math.min(...coords.map((c) => c[0])), Math.max(...coords.map((c) => c[0]))];
  const [y0, y1] = [Math.min(...coords.map((c) => c[1])), Math.max(...coords.map((c) => c[1]))];
  const v = await view(page);
  assert.ok(v.lon > x0 && v.lon < x1 && v.lat > y0 && v.lat < y1, `centre ${v.lon},${v.lat} inside ${[x0, y0, x1, y1]}`);

  await page.fill('#unit-search', byIdUnit.id);
  await page.locator(`#search-results li[data-unit="${byIdUnit.id}"]`).waitFor({ timeout: 20000 });
  assert.equal(await page.locator('#search-results li').first().getAttribute('data-unit'), byIdUnit.id, 'the exact id comes first');
  await page.press('#unit-search', 'Enter');
  await panelUnit(page, byIdUnit.id);
  assert.match(await page.locator('#unit-meta').textContent(), new RegExp(`编号 ${byIdUnit.id}`));
  await page.waitForFunction(() => !window.wanggeMap.isMoving(), null, { timeout: 20000 });
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'search-id.png') });

  await page.fill('#unit-search', '不存在的单元名称');
  await page.waitForFunction(() => /无匹配/.test(document.getElementById('search-results').textContent));
  assert.deepEqual(failures, []);
  await page.close();
});

test('PNG export downloads the map as drawn; the fullscreen button fills the screen', { timeout: 300000 }, async () => {
  const { page, failures } = await open('/', { acceptDownloads: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.export-png')]);
  assert.match(download.suggestedFilename(), /^wangge-地图-\d{8}-\d{4}\.png$/);
  const png = readFileSync(await download.path());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  const size = await page.evaluate(() => [window.wanggeMap.getCanvas().width, window.wanggeMap.getCanvas().height]);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], size, 'as large as the map canvas');
  const share = await drawnShare(page, png);
  assert.ok(share > 0.05, `the exported map is drawn on ${(share * 100).toFixed(1)} % of its pixels`);
  await download.saveAs(join(artifacts, 'export.png'));

  await page.click('.maplibregl-ctrl-fullscreen');
  await page.waitForFunction(() => document.fullscreenElement === document.body, null, { timeout: 5000 });
  await page.evaluate(() => document.exitFullscreen());
  assert.deepEqual(failures, []);
  await page.close();
});

test('incident categories come from the server (taxonomy, else the incidents), never from the page', { timeout: 300000 }, async () => {
  const { page, requests, failures } = await open();
  await page.waitForFunction(() => document.querySelectorAll('#h-cat option').length > 1, null, { timeout: 20000 });
  assert.ok(requests.some((u) => u.endsWith('/api/taxonomy')), 'the page asked for /api/taxonomy');
  const r = await fetch(`${env.base}/api/taxonomy`);
  const options = (await page.locator('#h-cat option').allTextContents()).slice(1);
  if (r.ok) {
    assert.deepEqual(options, (await r.json()).classes.map((c) => c.name));
  } else {
    const fc = await api('/api/features/incidents?limit=2000');
    assert.deepEqual(new Set(options), new Set(fc.features.map((f) => f.properties.category)));
  }
  // a category filters the heatmap
  await page.selectOption('#h-cat', options[0]);
  const heat = page.waitForRequest((q) => q.url().includes('/api/heatmap') && q.url().includes(`category=${encodeURIComponent(options[0])}`));
  await page.click('#h-heat');
  await heat;
  await page.waitForFunction(() => document.getElementById('incident-form').dataset.heat !== undefined, null, { timeout: 20000 });
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(failures, []);
  await page.close();
});
