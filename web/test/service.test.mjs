// Browser test: service life circles (issue 16) — catchments drawn from the vector tiles, the
// threshold switch changes them, homes beyond reach in red, the unit panel's figure, and the
// siting tool's picks on the map. Served by our own binary on 127.0.0.1 (no internet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useServerAndBrowser, idle, watch, outside, artifacts } from './harness.mjs';

const env = useServerAndBrowser();

/** The catchment features MapLibre has loaded, with their threshold and households. */
const catchments = (page) => page.evaluate(() => window.wanggeMap.querySourceFeatures('catchments', { sourceLayer: 'catchments' })
  .map((f) => ({ t: f.properties.threshold_m, hh: f.properties.households })));

test('catchments at 500 m, homes beyond reach, unit figures and siting picks', { timeout: 600000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const { requests, failures } = watch(page, { cancels: true });
  await page.goto(`${env.base}/`);
  await idle(page);
  await page.waitForFunction(() => document.getElementById('service-form').dataset.ready === '1', null, { timeout: 60000 });
  const kind = await page.locator('#sv-kind').inputValue();
  assert.ok(kind.length > 0, 'a facility kind is chosen');
  for (const l of ['cameras', 'incidents', 'problems']) {
    const box = page.locator(`#layer-list input[data-layer="${l}"]`);
    if (await box.count()) await box.uncheck();
  }
  // a street in the middle of the district
  const fc = await (await fetch(`${env.base}/api/features/facilities?limit=2000`)).json();
  const f = fc.features.find((x) => x.properties.kind === kind);
  await page.evaluate(([x, y]) => window.wanggeMap.jumpTo({ center: [x, y], zoom: 14.5 }), f.geometry.coordinates);
  await page.locator('#sv-show').click();
  await idle(page);
  const at500 = await catchments(page);
  assert.ok(at500.length > 0 && at500.every((c) => c.t === 500), `catchments at 500 m drawn: ${JSON.stringify(at500.slice(0, 3))}`);
  await page.screenshot({ path: join(artifacts, 'service-500.png') });

  await page.waitForFunction(() => window.wanggeMap.querySourceFeatures('service_gaps', { sourceLayer: 'service_gaps' }).length > 0,
    null, { timeout: 90000, polling: 500 });
  const gaps = await page.evaluate(() => window.wanggeMap.querySourceFeatures('service_gaps', { sourceLayer: 'service_gaps' }).length);
  assert.ok(gaps > 0, 'homes beyond 500 m drawn');
  await page.screenshot({ path: join(artifacts, 'service-500-gaps.png') });

  // the unit panel gets the figure for the chosen kind and threshold
  const street = (await (await fetch(`${env.base}/api/units?level=street`)).json()).units[0].id;
  await page.evaluate((id) => window.wanggeOpenUnit(id), street);
  await page.waitForFunction(() => document.getElementById('unit-figures').dataset.service !== undefined, null, { timeout: 30000 });
  const v = await (await fetch(`${env.base}/api/coverage/service?kind=${encodeURIComponent(kind)}&threshold=500&unit=${street}`)).json();
  const shown = await page.locator('#unit-figures').getAttribute('data-service');
  assert.equal(Number(shown), v.unit.within[0].share_households);

  // siting in that street: picks drawn with their gain
  await page.locator('#sv-k').fill('2');
  await page.locator('#sv-run').click();
  await page.waitForFunction(() => document.getElementById('graph-panel').dataset.servicePicks !== undefined, null, { timeout: 120000 });
  assert.equal(await page.locator('#graph-panel').getAttribute('data-service-picks'), '2');
  await idle(page);
  const picks = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures(undefined, { layers: ['service-picks'] }).length
    + window.wanggeMap.querySourceFeatures('service-picks').length);
  assert.ok(picks > 0, 'the picks are on the map');
  const rows = await page.locator('#graph-table tr').count();
  assert.equal(rows, 3, 'a header and a row per pick');
  await page.screenshot({ path: join(artifacts, 'service-siting.png') });

  assert.deepEqual(outside(requests, env.base), [], 'every request stays on 127.0.0.1');
  assert.deepEqual(failures, []);
});

// The threshold switch (setTiles on both service sources) must show the new tiles. It did not: the tile
// ETag was the layers' versions only, the same for every threshold, and MapLibre keeps a reloaded tile's
// old features when the new URL answers the ETag the tile already holds. The ETag now carries the filter.
test('the threshold switch redraws the catchments', { timeout: 300000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const { requests, failures } = watch(page, { cancels: true });
  await page.goto(`${env.base}/`);
  await idle(page);
  await page.waitForFunction(() => document.getElementById('service-form').dataset.ready === '1', null, { timeout: 60000 });
  await page.locator('#sv-show').click();
  await idle(page);
  const at500 = await catchments(page);
  assert.ok(at500.length > 0 && at500.every((c) => c.t === 500), `catchments at 500 m: ${JSON.stringify(at500.slice(0, 3))}`);
  const gapsAt = () => page.evaluate(() => window.wanggeMap.querySourceFeatures('service_gaps', { sourceLayer: 'service_gaps' })
    .map((f) => f.properties.threshold_m));
  const gaps500 = await gapsAt();
  // the threshold switch: other tiles, other shapes, on the same tiles of the map (no move in between)
  await page.locator('#sv-t-300').check();
  await page.waitForFunction(() => document.getElementById('service-form').dataset.threshold === '300');
  await page.waitForFunction(() => {
    const f = window.wanggeMap.querySourceFeatures('catchments', { sourceLayer: 'catchments' });
    return f.length > 0 && f.every((x) => x.properties.threshold_m === 300);
  }, null, { timeout: 90000, polling: 500 });
  await idle(page);
  const at300 = await catchments(page);
  assert.ok(at300.length > 0 && at300.every((c) => c.t === 300), `catchments at 300 m: ${JSON.stringify(at300.slice(0, 3))}`);
  assert.ok(Math.max(...at300.map((c) => c.hh)) < Math.max(...at500.map((c) => c.hh)), 'fewer households within 300 m than 500 m');
  const rendered = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures(undefined, { layers: ['catchments-fill'] })
    .map((f) => f.properties.threshold_m));
  assert.ok(rendered.length > 0 && rendered.every((t) => t === 300), `drawn catchments are the 300 m ones: ${rendered.slice(0, 5)}`);
  assert.ok(requests.some((u) => u.includes('/tiles/catchments/') && u.includes('threshold=300')));
  await page.screenshot({ path: join(artifacts, 'service-300.png') });
  // the homes beyond reach follow (shown once the box is ticked)
  await page.locator('#sv-outside').check();
  await page.waitForFunction(() => {
    const f = window.wanggeMap.querySourceFeatures('service_gaps', { sourceLayer: 'service_gaps' });
    return f.length > 0 && f.every((x) => x.properties.threshold_m === 300);
  }, null, { timeout: 90000, polling: 500 });
  // and back: the 1000 m catchments replace the 300 m ones
  await page.locator('#sv-t-1000').check();
  await page.waitForFunction(() => {
    const f = window.wanggeMap.querySourceFeatures('catchments', { sourceLayer: 'catchments' });
    return f.length > 0 && f.every((x) => x.properties.threshold_m === 1000);
  }, null, { timeout: 90000, polling: 500 });
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'service-1000.png') });
  assert.ok(gaps500.every((t) => t === 500), `gaps loaded before the switch were the 500 m ones: ${gaps500.slice(0, 5)}`);
  assert.deepEqual(failures, []);
});
