// Browser test of the planner (/planner) at 1920×1080 on the demo district: a
// planner creates a scenario, splits a grid with a line drawn by the mouse,
// sees the validation list and the households moved (equal to the server's
// diff and to a recount of its moves table), publishes with confirmation, and
// the main map then shows the two new grids instead of the old one. The
// versions tab then lists the new version. No request leaves 127.0.0.1 and the
// console stays free of errors. Screenshots in web/test-results/planner-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useServerAndBrowser, idle, watch, outside, artifacts } from './harness.mjs';

const env = useServerAndBrowser();

/** The box of a polygon's outer ring(s). */
function bbox(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return b;
}

test('a planner splits a grid, sees validation and households moved, publishes, and the main map shows the new grids', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const seen = watch(page, { cancels: true });
  await page.goto(`${env.base}/planner`);
  await idle(page);
  await page.waitForFunction(() => window.wanggePlanner !== undefined && document.getElementById('status').textContent !== '');

  // a new scenario from the published layer
  await page.fill('#sc-name', '切分测试');
  await page.click('#sc-create');
  await page.waitForFunction(() => window.wanggePlanner.scenario?.name === '切分测试' && document.getElementById('val-view').dataset.revision !== '',
    null, { timeout: 60000 });
  const before = await page.evaluate(() => window.wanggePlanner.scenario);
  assert.equal(before.base_version >= 1, true, 'based on a published version');

  // the grid to split: a simple (one-part) grid with the most households in the published layer
  const units = await (await fetch(`${env.base}/api/units?level=grid`)).json();
  const byId = new Map(before.draft.features.filter((f) => f.properties.level === 'grid' && f.geometry.type !== 'MultiPolygon' || (f.geometry.type === 'MultiPolygon' && f.geometry.coordinates.length === 1)).map((f) => [f.properties.id, f]));
  const target = units.units.filter((u) => byId.has(u.id)).sort((a, b) => (b.households ?? 0) - (a.households ?? 0))[0];
  assert.ok(target, 'a grid to split');
  const g = byId.get(target.id);
  const [w, s, e, n] = bbox(g.geometry);
  await page.evaluate(([a, b, c, d]) => window.wanggeMap.fitBounds([[a, b], [c, d]], { padding: 200, animate: false }), [w, s, e, n]);
  await idle(page);

  // split: a horizontal line through the middle, from outside the grid on the west to outside on the east
  await page.click('[data-tool=split]');
  const y = (s + n) / 2;
  const dx = (e - w) * 0.08;
  const p1 = await page.evaluate(([x, yy]) => window.wanggeMap.project([x, yy]), [w - dx, y]);
  const p2 = await page.evaluate(([x, yy]) => window.wanggeMap.project([x, yy]), [e + dx, y]);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + p1.x, box.y + p1.y);
  await page.mouse.move(box.x + (p1.x + p2.x) / 2, box.y + p1.y + 1, { steps: 5 });
  await page.mouse.click(box.x + p2.x, box.y + p2.y);
  await page.mouse.click(box.x + p2.x, box.y + p2.y);
  await page.waitForFunction((r) => (window.wanggePlanner.scenario?.revision ?? 0) > r
    && document.getElementById('val-view').dataset.revision === String(window.wanggePlanner.scenario.revision), before.revision, { timeout: 60000 });
  const after = await page.evaluate(() => window.wanggePlanner.scenario);
  const ids = (sc) => new Set(sc.draft.features.map((f) => f.properties.id));
  const created = [...ids(after)].filter((i) => !ids(before).has(i));
  assert.equal(created.length, 2, `two new grids, got ${created}`);
  assert.ok(!ids(after).has(target.id), 'the split grid is gone from the draft');

  // validation shown
  const summary = await page.locator('#val-view .summary').textContent();
  assert.match(summary, /\d/);
  // what moves: the households moved, equal to the server's diff and to the sum of the moves table
  await page.click('#tab-diff');
  const diff = await page.evaluate(() => window.wanggePlanner.diff);
  const shownHouseholds = Number(await page.locator('#diff-view .summary').getAttribute('data-households'));
  assert.equal(shownHouseholds, diff.totals.households);
  assert.ok(diff.totals.households > 0, 'households moved from the split grid');
  assert.ok(diff.moves.every((m) => m.from === target.id && created.includes(m.to)), 'every move goes from the old grid to a new one');
  assert.equal(diff.moves.reduce((a, m) => a + (m.households ?? 0), 0), diff.totals.households);
  assert.equal(diff.units_removed.map((u) => u.unit).join(), target.id);
  assert.deepEqual(diff.units_added.map((u) => u.unit).sort(), [...created].sort());
  const rows = await page.locator('#moves-table tbody tr').count();
  assert.equal(rows, diff.moves.length);
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'planner-split.png') });

  // publish with confirmation
  await page.fill('#pub-message', '切分网格测试');
  await page.click('#publish');
  await page.waitForSelector('dialog#confirm[open]');
  await page.click('#confirm-ok');
  await page.waitForFunction(() => document.getElementById('pub-result').dataset.version !== undefined, null, { timeout: 60000 });
  const version = Number(await page.locator('#pub-result').getAttribute('data-version'));
  assert.ok(version > before.base_version, 'a new version');
  await page.click('#tab-hist');
  await page.waitForFunction((v) => document.getElementById('hist-view').textContent.includes(`v${v}`), version, { timeout: 30000 });
  await page.screenshot({ path: join(artifacts, 'planner-published.png') });
  assert.deepEqual(outside(seen.requests, env.base), []);
  assert.deepEqual(seen.failures, []);

  // the main map shows the new grids, not the old one
  const main = await env.browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await main.goto(`${env.base}/`);
  await idle(main);
  await main.evaluate(([a, b, c, d]) => window.wanggeMap.fitBounds([[a, b], [c, d]], { padding: 200, animate: false }), [w, s, e, n]);
  await idle(main);
  const drawn = await main.evaluate(() => [...new Set(window.wanggeMap.queryRenderedFeatures({ layers: ['units-fill'] }).map((f) => f.properties.id))]);
  for (const id of created) assert.ok(drawn.includes(id), `new grid ${id} on the main map`);
  assert.ok(!drawn.includes(target.id), 'the old grid is gone from the main map');
  await main.screenshot({ path: join(artifacts, 'planner-main-map.png') });
  await main.close();
  await page.close();
});
