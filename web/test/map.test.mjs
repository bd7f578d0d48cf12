// Browser test: the map page in Debian's chromium (playwright-core), served by
// our own binary on 127.0.0.1 with no internet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, idle, watch, outside, drawnShare, artifacts } from './harness.mjs';

const env = useServerAndBrowser();

/** A new page on the map, at idle, with errors collected in `failures` and the given layers switched off. */
async function openMap(off) {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const { failures } = watch(page, { cancels: true });
  await page.goto(`${env.base}/`);
  await idle(page);
  for (const l of off) {
    const box = page.locator(`#layer-list input[data-layer="${l}"]`);
    if (await box.count()) await box.uncheck();
  }
  return { page, failures };
}

test('the page loads offline, draws the units and opens a unit panel with the right figures', { timeout: 300000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1200, height: 800 } });
  const { requests, failures } = watch(page);
  await page.goto(`${env.base}/`);
  await idle(page);

  assert.deepEqual(outside(requests, env.base), [], 'every request stays on 127.0.0.1');
  assert.deepEqual(failures, []);
  // units come in the composite tile (`/tiles/units,buildings,…/z/x/y.mvt`) or alone
  assert.ok(requests.some((u) => /\/tiles\/([a-z_]+,)*units(,[a-z_]+)*\/\d+\//.test(u)), 'unit tiles were requested');
  assert.ok(requests.some((u) => u.includes('/fonts/')), 'glyphs were requested from us');

  // only the units layer: the map must have non-background pixels
  for (const l of ['buildings', 'cameras', 'facilities', 'incidents', 'problems']) {
    const box = page.locator(`#layer-list input[data-layer="${l}"]`);
    if (await box.count()) await box.uncheck();
  }
  await idle(page);
  const shot = await page.locator('#map').screenshot();
  const share = await drawnShare(page, shot);
  assert.ok(share > 0.02, `units drawn on ${(share * 100).toFixed(2)} % of the map`);
  for (const l of ['buildings', 'problems']) await page.locator(`#layer-list input[data-layer="${l}"]`).check();

  // click the middle of a building that no boundary cuts: the panel shows its building grid
  const fc = await (await fetch(`${env.base}/api/features/buildings?limit=500`)).json();
  const b = fc.features.find((f) => !f.properties.cut && f.properties.leaf);
  const ring = b.geometry.coordinates[0][0];
  const lon = ring.slice(0, -1).reduce((s, c) => s + c[0], 0) / (ring.length - 1);
  const lat = ring.slice(0, -1).reduce((s, c) => s + c[1], 0) / (ring.length - 1);
  await page.evaluate(([x, y]) => window.wanggeMap.jumpTo({ center: [x, y], zoom: 16 }), [lon, lat]);
  await idle(page);
  const pt = await page.evaluate(([x, y]) => window.wanggeMap.project([x, y]), [lon, lat]);
  const mapBox = await page.locator('#map').boundingBox();
  await page.mouse.click(mapBox.x + pt.x, mapBox.y + pt.y);
  await page.waitForFunction((id) => document.getElementById('panel').dataset.unit === id, b.properties.leaf, { timeout: 10000 });
  const unit = await (await fetch(`${env.base}/api/units/${encodeURIComponent(b.properties.leaf)}`)).json();
  const rows = await page.locator('#unit-figures tr').allTextContents();
  const fmt = (n) => Number(n).toLocaleString('zh-CN');
  assert.ok(rows.includes(`户数${fmt(unit.households)}`), rows.join(' | '));
  assert.ok(rows.includes(`人口${fmt(unit.population)}`), rows.join(' | '));
  assert.ok(rows.includes(`楼栋${fmt(unit.buildings)}`), rows.join(' | '));
  assert.ok(rows.includes(`事件${fmt(unit.incidents)}`), rows.join(' | '));
  assert.equal(await page.locator('#unit-name').textContent(), unit.name);
  const chain = await page.locator('#chain a').allTextContents();
  assert.deepEqual(chain, unit.chain.map((c) => c.name));
  assert.equal(chain[0], '市南区');
  assert.match(await page.locator('#unit-meta').textContent(), /生成数据/);
  assert.match(await page.locator('.maplibregl-ctrl-attrib').textContent(), /© OpenStreetMap contributors, ODbL 1\.0/);
  await page.screenshot({ path: join(artifacts, 'map.png') });
  writeFileSync(join(artifacts, 'requests.txt'), requests.join('\n'));
  await page.close();
});

test('alliances, adjacency links and AB pairs from the side panel', { timeout: 300000 }, async () => {
  const { page, failures } = await openMap(['buildings', 'cameras', 'facilities', 'incidents', 'problems']);
  await page.selectOption('#g-level', 'community');

  // neighbour links
  await page.locator('#g-links').check();
  await page.waitForFunction(() => /邻接关系/.test(document.getElementById('graph-title').textContent), null, { timeout: 20000 });
  await idle(page);
  const adj = await (await fetch(`${env.base}/api/adjacency?level=community`)).json();
  assert.match(await page.locator('#graph-summary').textContent(), new RegExp(`${adj.counts.pairs} 对相邻`));
  const links = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['adjacency'] }).length);
  assert.ok(links > 0, 'adjacency links drawn');
  await page.locator('#g-links').uncheck();

  // alliances: 5 groups balanced by population
  await page.fill('#g-count', '5');
  await page.click('#g-propose');
  await page.waitForFunction(() => document.getElementById('graph-panel').dataset.maxDeviation !== undefined, null, { timeout: 20000 });
  await idle(page);
  const api = await (await fetch(`${env.base}/api/alliances/propose`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ level: 'community', count: 5, weight: 'population', straddle: false, seed: 1 }),
  })).json();
  assert.equal(Number(await page.locator('#graph-panel').getAttribute('data-max-deviation')), api.max_deviation);
  assert.equal(await page.locator('#graph-table tr').count(), 1 + api.groups.length);
  const fills = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['alliances-fill'] }).map((f) => f.properties.group));
  assert.ok(new Set(fills).size >= 3, `alliance groups drawn: ${[...new Set(fills)]}`);
  await page.screenshot({ path: join(artifacts, 'alliances.png') });

  // AB pairs at grid level
  await page.selectOption('#g-level', 'grid');
  await page.click('#g-ab');
  await page.waitForFunction(() => document.getElementById('graph-panel').dataset.pairs !== undefined, null, { timeout: 20000 });
  await idle(page);
  const ab = await (await fetch(`${env.base}/api/ab-pairs?level=grid`)).json();
  assert.equal(Number(await page.locator('#graph-panel').getAttribute('data-pairs')), ab.pairs.length);
  assert.ok(await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['abpairs'] }).length) > 0, 'AB pair links drawn');
  await page.screenshot({ path: join(artifacts, 'abpairs.png') });
  assert.deepEqual(failures, []);
  await page.close();
});

test('camera coverage: layers, unit figures, siting and the high-points answer', { timeout: 300000 }, async () => {
  const { page, failures } = await openMap(['buildings', 'facilities', 'incidents', 'problems']);
  for (const l of ['camera_views', 'camera_gaps']) await page.locator(`#layer-list input[data-layer="${l}"]`).check();

  // open a community and zoom to it: its coverage figures come from the API
  const units = await (await fetch(`${env.base}/api/units?level=community`)).json();
  const com = units.units[0];
  await page.evaluate((id) => window.wanggeOpenUnit(id), com.id);
  await page.waitForFunction(() => document.getElementById('unit-figures').dataset.coverage !== undefined, null, { timeout: 20000 });
  const cov = await (await fetch(`${env.base}/api/coverage/cameras?unit=${encodeURIComponent(com.id)}`)).json();
  const rows = await page.locator('#unit-figures tr').allTextContents();
  const pct = (x) => `${Number(x * 100).toLocaleString('zh-CN', { maximumFractionDigits: 1, minimumFractionDigits: 1 })}%`;
  assert.ok(rows.includes(`开放空间覆盖率${pct(cov.unit.ground_share)}`), rows.join(' | '));
  const gaps = await (await fetch(`${env.base}/api/coverage/gaps?unit=${encodeURIComponent(com.id)}`)).json();
  const f = gaps.features[0].geometry.coordinates[0][0];
  await page.evaluate(([x, y]) => window.wanggeMap.jumpTo({ center: [x, y], zoom: 15.5 }), f);
  await idle(page);
  assert.ok(await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['camera-views'] }).length) > 0, 'camera views drawn');
  assert.ok(await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['camera-gaps'] }).length) > 0, 'gaps drawn');

  // siting for that community: 3 domes
  await page.fill('#s-k', '3');
  await page.click('#s-run');
  await page.waitForFunction(() => document.getElementById('graph-panel').dataset.siting !== undefined, null, { timeout: 60000 });
  assert.equal(await page.locator('#graph-table tr').count(), 4);
  assert.match(await page.locator('#graph-summary').textContent(), /开放空间覆盖率 .*% → .*%/);
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'siting.png') });

  // the high-points scenario answers yes or no with the share
  await page.click('#panel-close');
  await page.click('#s-high');
  await page.waitForFunction(() => document.getElementById('graph-panel').dataset.highPoints !== undefined, null, { timeout: 60000 });
  const hp = await (await fetch(`${env.base}/api/coverage/high-points?n=12&range=500&height=5`)).json();
  assert.equal(Number(await page.locator('#graph-panel').getAttribute('data-high-points')), hp.share);
  assert.match(await page.locator('#graph-title').textContent(), hp.covers_all ? /能覆盖全域/ : /不能覆盖全域/);
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'high-points.png') });
  assert.deepEqual(failures, []);
  await page.close();
});

test('incidents: a posted incident reaches the map by the event stream; heatmap and hot spots draw', { timeout: 300000 }, async () => {
  const { page, failures } = await openMap([]);
  await page.waitForFunction(() => window.wanggeMap.getSource('live') !== undefined, null, { timeout: 20000 });
  await page.waitForTimeout(300); // the event stream connects
  const fc = await (await fetch(`${env.base}/api/features/buildings?limit=1`)).json();
  const [lon, lat] = fc.features[0].geometry.coordinates[0][0][0];
  const sent = Date.now();
  const r = await fetch(`${env.base}/api/incidents`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'browser-1' },
    body: JSON.stringify({ lon, lat, category: '市容秩序', item: '占道经营', reporter: '浏览器测试' }) });
  assert.equal(r.status, 201);
  const inc = await r.json();
  await page.waitForFunction((id) => document.getElementById('live-count').dataset.last === id, inc.id, { timeout: 5000 });
  // timings belong in benchmarks: this only checks that it arrives, and says how fast
  console.log(`# live incident on the map after ${Date.now() - sent} ms`);
  assert.match(await page.locator('#live-count').textContent(), /实时事件：1/);
  // the KPI line follows from the stream: one open incident
  await page.waitForFunction(() => document.getElementById('live-kpi').dataset.incidents === '1', null, { timeout: 5000 });
  assert.equal(await page.locator('#live-kpi').getAttribute('data-open'), '1');
  assert.match(await page.locator('#live-kpi').textContent(), /未办结 1/);

  await page.click('#h-heat');
  await page.waitForFunction(() => Number(document.getElementById('incident-form').dataset.heat) > 0, null, { timeout: 20000 });
  await idle(page);
  assert.ok(await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['heat-fill'] }).length) > 0, 'heatmap drawn');
  await page.screenshot({ path: join(artifacts, 'heatmap.png') });
  await page.click('#h-hot');
  await page.waitForFunction(() => document.getElementById('incident-form').dataset.hot !== undefined, null, { timeout: 20000 });
  const hs = await (await fetch(`${env.base}/api/hotspots?res=8&k=1`)).json();
  assert.equal(Number(await page.locator('#incident-form').getAttribute('data-hot')), hs.hot);
  // the incidents came from the generated CSV (text "true"): labelled as generated on the layer list and in the panel
  assert.equal(hs.generated, true);
  assert.match(await page.locator('#graph-summary').textContent(), /起事件（生成数据）/);
  assert.match(await page.locator('#layer-list label', { has: page.locator('input[data-layer="incidents"]') }).textContent(), /生成数据/);
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'hotspots.png') });
  assert.deepEqual(failures, []);
  await page.close();
});
