// Browser test of the planner (/planner) at 1920×1080 on the demo district: a
// planner creates a scenario, splits a grid with a line drawn by the mouse,
// sees the validation list and the households moved (equal to the server's
// diff and to a recount of its moves table), publishes with confirmation, and
// the main map then shows the two new grids instead of the old one. The
// versions tab then lists the new version. A second planner reassigns a
// building to the next grid and publishes: the main map's building tiles and
// the unit panel then put the building (and its households) in that grid.
// After each edit the page fetches only the units the op changed. No request
// leaves 127.0.0.1 and the console stays free of errors. Screenshots in
// web/test-results/planner-*.png.
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

/** Opens /planner at 1920×1080 and creates scenario `name` from the published layer; answers the page, what it
 * requested and the new scenario. */
async function newScenario(name) {
  const page = await env.browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const seen = watch(page, { cancels: true });
  await page.goto(`${env.base}/planner`);
  await idle(page);
  await page.waitForFunction(() => window.wanggePlanner !== undefined && document.getElementById('status').textContent !== '');
  await page.fill('#sc-name', name);
  await page.click('#sc-create');
  await page.waitForFunction((n) => window.wanggePlanner.scenario?.name === n && document.getElementById('val-view').dataset.revision !== '',
    name, { timeout: 60000 });
  const before = await page.evaluate(() => window.wanggePlanner.scenario);
  return { page, seen, before };
}

test('a planner splits a grid, sees validation and households moved, publishes, and the main map shows the new grids', async () => {
  // a new scenario from the published layer
  const { page, seen, before } = await newScenario('切分测试');
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
  // after the split the page fetched only what the op named: the two pieces and the old grid's children, now under them
  const [fetched, named] = await page.evaluate(() => [window.wanggePlanner.fetched, window.wanggePlanner.named]);
  const parentAfter = new Map(after.draft.features.map((f) => [f.properties.id, f.properties.parent_id]));
  const children = before.draft.features.filter((f) => f.properties.parent_id === target.id).map((f) => f.properties.id);
  assert.equal(fetched, named.length, 'the page fetched what the op named');
  assert.deepEqual([...named].sort(), [...created, ...children].sort(), 'the op named the pieces and the old grid\'s children');
  assert.ok(children.every((c) => created.includes(parentAfter.get(c))), 'the children now lie under the pieces');
  assert.ok(fetched < after.draft.features.length / 10, `not the whole draft: ${fetched} of ${after.draft.features.length}`);

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
  // the result line names the version and who published it, with nothing left empty
  const result = await page.locator('#pub-result').textContent();
  assert.match(result ?? '', new RegExp(`版本 ${version}（发布人 \\S+）`), `publish result: ${result}`);
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

/** Whether a point lies inside a Polygon or MultiPolygon (even–odd over every ring). */
function inside(geometry, [x, y]) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let c = false;
  for (const ring of polys.flat()) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < xi + (y - yi) * (xj - xi) / (yj - yi)) c = !c;
    }
  }
  return c;
}

/** A point well inside a unit: the first of a 9×9 sample of its box that is inside with its four neighbours at ¼ cell. */
function pointIn(geometry) {
  const [w, s, e, n] = bbox(geometry);
  const dx = (e - w) / 10;
  const dy = (n - s) / 10;
  const order = [];
  for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) order.push([w + i * dx, s + j * dy]);
  order.sort((a, b) => Math.hypot(a[0] - (w + e) / 2, a[1] - (s + n) / 2) - Math.hypot(b[0] - (w + e) / 2, b[1] - (s + n) / 2));
  return order.find(([x, y]) => [[0, 0], [dx / 4, 0], [-dx / 4, 0], [0, dy / 4], [0, -dy / 4]].every(([ax, ay]) => inside(geometry, [x + ax, y + ay])));
}

test('a planner reassigns a building to the next grid, publishes, and the main map and unit panel put it there', async () => {
  const { page, seen, before } = await newScenario('改划测试');

  // a building with households wholly in leaf unit A (a building grid), and B: another leaf under A's parent
  const parents = new Set(before.draft.features.map((f) => f.properties.parent_id));
  const leaves = before.draft.features.filter((f) => !parents.has(f.properties.id));
  const figures = new Map();
  for (const level of new Set(leaves.map((f) => f.properties.level))) {
    for (const u of (await (await fetch(`${env.base}/api/units?level=${level}`)).json()).units) figures.set(u.id, u);
  }
  let pick = null;
  for (const a of leaves.filter((g) => (figures.get(g.properties.id)?.buildings ?? 0) > 0)) {
    const b = leaves.find((g) => g.properties.id !== a.properties.id && g.properties.parent_id === a.properties.parent_id && pointIn(g.geometry));
    if (!b) continue;
    const [w, s, e, n] = bbox(a.geometry);
    const fc = await (await fetch(`${env.base}/api/features/buildings?bbox=${w},${s},${e},${n}`)).json();
    const building = fc.features.find((f) => f.properties.leaf === a.properties.id && !f.properties.cut && f.properties.households > 0);
    if (building) { pick = { a, b, building }; break; }
  }
  assert.ok(pick, 'a building to reassign');
  const { a, b, building } = pick;
  const [aId, bId, bldId] = [a.properties.id, b.properties.id, building.properties.id];
  const households = building.properties.households;

  // the tool: click the building (zoomed onto it), then a point inside B (the edit level stays 'grid': the tool takes the leaf)
  await page.click('[data-tool=reassign]');
  const bb = bbox(building.geometry);
  await page.evaluate(([w, s, e, n]) => window.wanggeMap.fitBounds([[w, s], [e, n]], { padding: 300, animate: false }), bb);
  await idle(page);
  const box = await page.locator('#map').boundingBox();
  const centre = [(bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2];
  const pb = await page.evaluate((c) => window.wanggeMap.project(c), centre);
  const under = await page.evaluate((p) => window.wanggeMap.queryRenderedFeatures([p.x, p.y], { layers: ['buildings'] }).map((f) => f.properties.id), pb);
  assert.equal(under[0], bldId, 'the building is drawn under its centre');
  await page.mouse.click(box.x + pb.x, box.y + pb.y);
  await page.waitForFunction((id) => window.wanggePlanner.building === id, bldId);
  const [gw, gs, ge, gn] = bbox(b.geometry);
  await page.evaluate(([w, s, e, n]) => window.wanggeMap.fitBounds([[w, s], [e, n]], { padding: 200, animate: false }), [gw, gs, ge, gn]);
  await idle(page);
  const pu = await page.evaluate((c) => window.wanggeMap.project(c), pointIn(b.geometry));
  await page.mouse.click(box.x + pu.x, box.y + pu.y);
  await page.waitForFunction((r) => (window.wanggePlanner.scenario?.revision ?? 0) > r
    && document.getElementById('val-view').dataset.revision === String(window.wanggePlanner.scenario.revision), before.revision, { timeout: 60000 });
  const after = await page.evaluate(() => window.wanggePlanner.scenario);
  assert.equal(after.overrides[bldId], bId, 'the draft reassigns the building to B');
  assert.ok(seen.requests.some((u) => u.includes(`/api/scenarios/${after.id}?units=${encodeURIComponent(bId)}`)), 'only B was fetched again');
  assert.equal(await page.evaluate(() => window.wanggePlanner.fetched), 1);
  assert.equal(after.draft.features.length, before.draft.features.length, 'the draft the page holds is whole');
  await page.click('#tab-diff');
  await page.waitForFunction((r) => document.getElementById('diff-view').dataset.revision === String(r), after.revision);
  const diff = await page.evaluate(() => window.wanggePlanner.diff);
  assert.deepEqual(diff.moves.map((m) => [m.building, m.from, m.to]), [[bldId, aId, bId]]);
  assert.equal(diff.totals.households, households);
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'planner-reassign.png') });

  // the geometry control: select B, upload its own geometry as a GeoJSON file (an op on B alone), then undo it
  await page.click('[data-tool=select]');
  await page.mouse.click(box.x + pu.x, box.y + pu.y);
  await page.waitForSelector('#attrs-box:not([hidden])');
  await page.setInputFiles('#geom-file', { name: 'b.geojson', mimeType: 'application/geo+json',
    buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: [b] })) });
  await page.waitForFunction((r) => window.wanggePlanner.scenario?.revision === r + 1 && !window.wanggePlanner.busy, after.revision, { timeout: 60000 });
  assert.deepEqual(await page.evaluate(() => window.wanggePlanner.scenario.ops.map((o) => o.op)), ['reassign_building', 'set_geometry']);
  await page.click('#undo');
  await page.waitForFunction((r) => window.wanggePlanner.scenario?.revision === r + 2 && !window.wanggePlanner.busy, after.revision, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.wanggePlanner.scenario.cursor), 1, 'the upload is undone, the reassignment kept');

  // publish with confirmation
  await page.fill('#pub-message', '改划楼栋测试');
  await page.click('#publish');
  await page.waitForSelector('dialog#confirm[open]');
  await page.click('#confirm-ok');
  await page.waitForFunction((v) => Number(document.getElementById('pub-result').dataset.version ?? 0) > v, before.base_version, { timeout: 60000 });
  assert.deepEqual(outside(seen.requests, env.base), []);
  assert.deepEqual(seen.failures, []);

  // the main map: the building's tile feature names B, and B's panel counts its households
  const main = await env.browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const seenMain = watch(main, { cancels: true });
  await main.goto(`${env.base}/`);
  await idle(main);
  await main.evaluate(([w, s, e, n]) => window.wanggeMap.fitBounds([[w, s], [e, n]], { padding: 200, animate: false }), [gw, gs, ge, gn]);
  await idle(main);
  await main.evaluate(([w, s, e, n]) => window.wanggeMap.fitBounds([[w, s], [e, n]], { padding: 300, animate: false }), bb);
  await idle(main);
  const drawn = await main.evaluate((id) => window.wanggeMap.queryRenderedFeatures({ layers: ['buildings'] })
    .filter((f) => f.properties.id === id).map((f) => f.properties), bldId);
  assert.ok(drawn.length > 0, 'the building is on the main map');
  assert.ok(drawn.every((p) => p.leaf === bId && p.assigned === true), `the building is under ${bId}: ${JSON.stringify(drawn)}`);
  const unitB = figures.get(bId);
  await main.evaluate((id) => window.wanggeOpenUnit(id), bId);
  await main.waitForFunction((id) => document.getElementById('panel').dataset.unit === id, bId);
  // the first figure is the households (户数)
  const shown = Number((await main.locator('#unit-figures tr').first().locator('td').nth(1).textContent()).replace(/[^\d]/g, ''));
  assert.equal(shown, unitB.households + households, 'B counts the building\'s households');
  const apiA = await (await fetch(`${env.base}/api/units/${aId}`)).json();
  assert.equal(apiA.households, figures.get(aId).households - households, 'A lost them');
  await main.screenshot({ path: join(artifacts, 'planner-reassign-main.png') });
  assert.deepEqual(outside(seenMain.requests, env.base), []);
  assert.deepEqual(seenMain.failures, []);
  await main.close();
  await page.close();
});
