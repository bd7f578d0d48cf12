// Browser test of the analyst workbench (/analyst) at 1920×1080: a polygon
// drawn with the mouse gives the figures of POST /api/query/area for the same
// polygon and of a plain recount here (every building, camera and incident
// checked one by one); a picked unit gives the figures of /api/units/{id};
// a table downloads as CSV with its rows; the SQL console runs a query and
// shows the server's refusal; the English switch relabels the page. No request
// leaves 127.0.0.1 and the console stays free of errors. Screenshots in
// web/test-results/analyst-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, startServer, idle, watch, outside, artifacts } from './harness.mjs';

const env = useServerAndBrowser();

const get = async (path) => {
  const r = await fetch(`${env.base}${path}`);
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
};
const post = async (path, body) => {
  const r = await fetch(`${env.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${r.status} ${text}`);
  return JSON.parse(text);
};

/** The workbench at idle, with its requests and failures recorded. */
async function open(path = '/analyst') {
  const page = await env.browser.newPage({ viewport: { width: 1920, height: 1080 }, acceptDownloads: true });
  const seen = watch(page, { cancels: true });
  await page.goto(`${env.base}${path}`);
  await idle(page);
  await page.waitForFunction(() => window.wanggeDraw !== undefined);
  return { page, ...seen };
}

/** The figures the page shows: `data-fig` → raw value. */
const shown = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#area-out [data-fig]')]
  .map((e) => [e.dataset.fig, Number(e.dataset.value)])));

/** Waits for the n-th answer drawn in the result panel. */
const answered = (page, n) => page.waitForFunction((k) => Number(document.getElementById('area-out').dataset.seq || 0) >= k
  && !document.getElementById('area-out').hasAttribute('aria-busy'), n, { timeout: 60000 });

// ---- the plain recount: local metric plane, ring areas, convex clipping, ray casting ----

/** Lon/lat → metres in an equirectangular plane at latitude lat0 (areas in ratios only). */
const plane = (lat0) => ([x, y]) => [x * 111320 * Math.cos((lat0 * Math.PI) / 180), y * 110540];

const ringArea = (r) => {
  let s = 0;
  for (let i = 0; i + 1 < r.length; i++) s += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return s / 2;
};

/** Sutherland–Hodgman: the part of ring `subject` inside the convex ring `clip` (counter-clockwise, closed). */
function clipRing(subject, clip) {
  let out = subject.slice(0, -1);
  for (let i = 0; i + 1 < clip.length && out.length; i++) {
    const [a, b] = [clip[i], clip[i + 1]];
    const inside = (p) => (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0;
    const cut = (p, q) => {
      const [dx, dy] = [q[0] - p[0], q[1] - p[1]];
      const t = ((a[0] - p[0]) * (b[1] - a[1]) - (a[1] - p[1]) * (b[0] - a[0])) / (dx * (b[1] - a[1]) - dy * (b[0] - a[0]));
      return [p[0] + t * dx, p[1] + t * dy];
    };
    const input = out;
    out = [];
    for (let k = 0; k < input.length; k++) {
      const p = input[k];
      const q = input[(k + 1) % input.length];
      if (inside(q)) {
        if (!inside(p)) out.push(cut(p, q));
        out.push(q);
      } else if (inside(p)) out.push(cut(p, q));
    }
  }
  return out.length ? [...out, out[0]] : [];
}

/** Crossing-number point in ring. */
function inRing([x, y], ring) {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/**
 * Everything in a convex polygon, counted plainly: a building when more than
 * half of its footprint lies inside (the rule the server documents for a
 * drawn area), cameras and incidents by their point.
 */
async function recount(polygon) {
  const ring = polygon.coordinates[0];
  const lat0 = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  const m = plane(lat0);
  let clip = ring.map(m);
  if (ringArea(clip) < 0) clip = clip.reverse();
  const buildings = (await get('/api/features/buildings?limit=100000')).features;
  const cameras = (await get('/api/features/cameras?limit=100000')).features;
  const incidents = (await get('/api/features/incidents?limit=100000')).features;
  const live = (await get('/api/incidents')).incidents;
  assert.ok(buildings.length < 100000 && incidents.length < 100000, 'the recount sees every feature');
  const n = { buildings: 0, households: 0, population: 0, cameras: 0, incidents: 0 };
  for (const f of buildings) {
    const polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates];
    let whole = 0;
    let inside = 0;
    for (const rings of polys) {
      rings.forEach((r, k) => {
        const mr = r.map(m);
        const sign = k === 0 ? 1 : -1;
        whole += sign * Math.abs(ringArea(mr));
        inside += sign * Math.abs(ringArea(clipRing(mr, clip)));
      });
    }
    if (whole > 0 && inside > whole / 2) {
      n.buildings += 1;
      n.households += f.properties.households ?? 0;
      n.population += f.properties.population ?? 0;
    }
  }
  n.cameras = cameras.filter((f) => inRing(f.geometry.coordinates, ring)).length;
  n.incidents = incidents.filter((f) => inRing(f.geometry.coordinates, ring)).length
    + live.filter((i) => inRing([i.lon, i.lat], ring)).length;
  return n;
}

/** [w, s, e, n] of a GeoJSON geometry's coordinates. */
const bboxOf = (g) => {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => { if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); } else c.forEach(walk); };
  walk(g.coordinates);
  return b;
};

/** The middle of the community with the most buildings (inside the data, not in the sea). */
async function middleOfBusiest() {
  const units = (await get('/api/units?level=community')).units;
  const busy = units.reduce((a, b) => (b.buildings > a.buildings ? b : a));
  const f = (await get('/api/features/units?level=community&limit=100000')).features.find((x) => x.properties.id === busy.id);
  const b = bboxOf(f.geometry);
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}

/** Clicks at lon/lat on the map with the mouse. */
async function clickAt(page, lonlat) {
  const p = await page.evaluate(([x, y]) => {
    const m = window.wanggeMap;
    const r = m.getCanvas().getBoundingClientRect();
    const q = m.project([x, y]);
    return { x: r.left + q.x, y: r.top + q.y };
  }, lonlat);
  await page.mouse.move(p.x, p.y, { steps: 4 });
  await page.mouse.click(p.x, p.y);
  await page.waitForTimeout(120);
}

test('a polygon drawn with the mouse: the page shows what /api/query/area answers and what a plain recount finds', { timeout: 600000 }, async () => {
  const { page, requests, failures } = await open();
  assert.equal(await page.locator('#generated-badge').isVisible(), true, 'generated data is labelled');
  // a street-sized view in the middle of the district
  const c = await middleOfBusiest();
  await page.evaluate((center) => window.wanggeMap.jumpTo({ center, zoom: 14.5 }), c);
  await idle(page);
  await page.click('.draw-buttons button[data-mode="polygon"]');
  // a convex pentagon of ~1.6 km across around the centre, corner by corner, closed on the first corner
  const r = 0.008;
  const corners = [0, 1, 2, 3, 4].map((k) => [c[0] + r * 1.2 * Math.cos((2 * Math.PI * k) / 5 + 0.3), c[1] + r * Math.sin((2 * Math.PI * k) / 5 + 0.3)]);
  for (const p of corners) await clickAt(page, p);
  await clickAt(page, corners[0]);
  await answered(page, 1);
  const polygon = await page.evaluate(() => window.wanggeAreaRequest.geometry);
  assert.equal(polygon.type, 'Polygon');
  assert.equal(polygon.coordinates[0].length, 6, 'five corners and the closing one');
  const fig = await shown(page);
  const api = await post('/api/query/area', { geometry: polygon });
  const plain = await recount(polygon);
  console.log('drawn polygon: page', JSON.stringify(fig), 'recount', JSON.stringify(plain));
  assert.ok(plain.buildings > 20 && plain.incidents > 5, `a polygon with something in it: ${JSON.stringify(plain)}`);
  for (const k of ['buildings', 'households', 'population']) {
    assert.equal(fig[k], api[k], `${k}: page vs API`);
    assert.equal(fig[k], plain[k], `${k}: page vs recount`);
  }
  assert.equal(fig['cameras.count'], api.cameras.count);
  assert.equal(fig['cameras.count'], plain.cameras, 'cameras: page vs recount');
  assert.equal(fig['incidents.total'], api.incidents.total);
  assert.equal(fig['incidents.total'], plain.incidents, 'incidents: page vs recount');
  assert.equal(fig['uncovered.buildings'], api.uncovered.buildings);
  assert.equal(fig['uncovered.households'], api.uncovered.households);
  assert.ok(Math.abs(fig['cameras.covered_share'] - api.cameras.covered_share) < 1e-12);
  assert.ok(Math.abs(fig.area_m2 - api.area.area_m2) < 1e-6 * api.area.area_m2);
  // the buildings no camera sees are outlined on the map (a filter on their ids)
  const filter = await page.evaluate(() => window.wanggeMap.getFilter('analyst-uncovered-line'));
  assert.deepEqual(new Set(filter[2][1]), new Set(api.uncovered.ids));
  // the hot spots inside (none in this pentagon of generated incidents; a street's are checked below)
  await sameSpots(page, api);
  // the charts are drawn (echarts canvases with something on them)
  assert.equal(await page.locator('#area-out .chart canvas').count() >= 3, true);
  await page.screenshot({ path: join(artifacts, 'analyst-polygon.png') });

  // a table as CSV: one row per building inside
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.click('#area-out .exports[data-table="buildings"] button[data-format="csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.split(/\r?\n/).filter((l) => l.length > 0);
  assert.equal(lines.length - 1, api.buildings, `CSV rows (${download.suggestedFilename()})`);
  assert.match(download.suggestedFilename(), /\.csv$/);
  // the same table as GeoJSON (a feature per building) and GeoParquet (a Parquet file: PAR1 at both ends)
  const [gj] = await Promise.all([page.waitForEvent('download'),
    page.click('#area-out .exports[data-table="buildings"] button[data-format="geojson"]')]);
  const fc = JSON.parse(readFileSync(await gj.path(), 'utf8'));
  assert.equal(fc.features.length, api.buildings, `GeoJSON features (${gj.suggestedFilename()})`);
  assert.deepEqual(new Set(fc.features.map((f) => f.geometry.type)), new Set(['MultiPolygon']));
  const [pq] = await Promise.all([page.waitForEvent('download'),
    page.click('#area-out .exports[data-table="uncovered"] button[data-format="geoparquet"]')]);
  const bytes = readFileSync(await pq.path());
  assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
  assert.equal(bytes.subarray(bytes.length - 4).toString(), 'PAR1');
  assert.ok(bytes.includes(Buffer.from('"primary_column"')), 'GeoParquet metadata');
  assert.match(pq.suggestedFilename(), /\.parquet$/);

  // the same with a period, classes and a second period: the page sends them and shows the server's figures
  const weeks = api.incidents.weekly.filter((wk) => wk.count > 0);
  assert.ok(weeks.length >= 4, 'incidents over several weeks');
  const mid = weeks[Math.floor(weeks.length / 2)].from;
  const first = weeks[0].from;
  const last = weeks[weeks.length - 1].from;
  await page.fill('#p-from', mid);
  await page.fill('#p-to', last);
  await page.fill('#c-from', first);
  await page.fill('#c-to', mid);
  await page.click('#run-area');
  await answered(page, 2);
  const body = await page.evaluate(() => window.wanggeAreaRequest);
  assert.deepEqual(body.period, { from: mid, to: last });
  assert.deepEqual(body.compare, { from: first, to: mid });
  const api2 = await post('/api/query/area', body);
  const fig2 = await shown(page);
  assert.equal(fig2['incidents.total'], api2.incidents.total);
  assert.equal(fig2['compare.change.total'], api2.compare.change.total);
  assert.ok(api2.incidents.total < api.incidents.total, 'the period filters');
  await page.locator('section[data-section="compare"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'analyst-compare.png') });

  assert.deepEqual(outside(requests, env.base), [], 'every request stays on 127.0.0.1');
  assert.deepEqual(failures, []);
  await page.close();
});

/** The map's hot-spot dots are the API's significant Gi* cells, cell for cell, hot or cold, at the cell centres. */
async function sameSpots(page, api) {
  const spots = api.incidents.hotspots.filter((h) => h.class !== 'none');
  const drawn = await page.evaluate(async () => (await window.wanggeMap.getSource('analyst-hotspots').getData()).features
    .map((f) => ({ cell: f.properties.cell, z: f.properties.z, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] })));
  console.log('hot spots: API', spots.length, 'on the map', drawn.length);
  assert.deepEqual(drawn.map((f) => f.cell).sort(), spots.map((h) => h.cell).sort(), 'the map shows the API\'s hot spots');
  for (const f of drawn) {
    const h = spots.find((x) => x.cell === f.cell);
    assert.equal(Math.sign(f.z), h.class === 'hot' ? 1 : -1, `cell ${f.cell} is ${h.class}`);
    assert.ok(Math.abs(f.lon - h.lon) < 1e-9 && Math.abs(f.lat - h.lat) < 1e-9, `cell ${f.cell} at its centre`);
  }
  return { spots, drawn };
}

test('a street with hot spots: the map draws the API\'s Gi* hot spots, cell for cell', { timeout: 300000 }, async () => {
  const { page, requests, failures } = await open();
  // the first street whose answer has a significant hot spot (the demo's generated incidents cluster in some)
  let street = null;
  let api = null;
  for (const u of (await get('/api/units?level=street')).units) {
    const a = await post('/api/query/area', { unit: u.id });
    if (a.incidents.hotspots.some((h) => h.class !== 'none')) { street = u; api = a; break; }
  }
  assert.ok(street, 'a street with hot spots in the demo');
  await page.fill('#unit-search', street.id);
  await page.waitForSelector(`#search-results li[data-unit="${street.id}"]`);
  await page.press('#unit-search', 'Enter');
  await answered(page, 1);
  const { spots } = await sameSpots(page, api);
  assert.ok(spots.length > 0);
  await page.evaluate((b) => window.wanggeMap.fitBounds(b, { padding: 40, animate: false }),
    [[Math.min(...spots.map((h) => h.lon)) - 0.01, Math.min(...spots.map((h) => h.lat)) - 0.01],
      [Math.max(...spots.map((h) => h.lon)) + 0.01, Math.max(...spots.map((h) => h.lat)) + 0.01]]);
  await idle(page);
  const rendered = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['analyst-hotspots'] }).length);
  assert.ok(rendered > 0, 'the hot-spot dots are drawn');
  await page.screenshot({ path: join(artifacts, 'analyst-hotspots.png') });
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(failures, []);
  await page.close();
});

test('a unit picked by search gives the figures of /api/units/{id}; the map exports as PNG', { timeout: 300000 }, async () => {
  const { page, requests, failures } = await open();
  const units = (await get('/api/units?level=community')).units;
  const u = units.find((x) => x.buildings > 0) ?? units[0];
  await page.fill('#unit-search', u.id);
  await page.waitForSelector(`#search-results li[data-unit="${u.id}"]`);
  await page.press('#unit-search', 'Enter');
  await answered(page, 1);
  const fig = await shown(page);
  const panel = await get(`/api/units/${encodeURIComponent(u.id)}`);
  for (const k of ['buildings', 'households', 'population']) assert.equal(fig[k], panel[k], `${k} of unit ${u.id}`);
  const cov = await get(`/api/coverage/cameras?unit=${encodeURIComponent(u.id)}`);
  assert.equal(fig['uncovered.buildings'], cov.unit.buildings_unseen, 'buildings no camera sees, as the coverage figures');
  assert.equal(fig['cameras.count'], cov.unit.cameras);
  assert.equal(await page.evaluate(() => window.wanggeMap.getFilter('analyst-unit-line')[2]), u.id, 'the unit is outlined');
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'analyst-unit.png') });
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('.export-png')]);
  assert.match(png.suggestedFilename(), /\.png$/);
  assert.ok(readFileSync(await png.path()).length > 10000, 'a PNG of the map');
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(failures, []);
  await page.close();
});

test('the SQL console runs a query, pages its rows, shows the server refusal and downloads CSV', { timeout: 300000 }, async () => {
  const { page, requests, failures } = await open();
  await page.click('#tab-sql');
  await page.waitForSelector('#sql-schema details[data-relation="buildings"]');
  const sql = 'SELECT id, households, population FROM buildings ORDER BY id';
  await page.fill('#sql-text', sql);
  await page.press('#sql-text', 'Control+Enter');
  await page.waitForSelector('#sql-result table');
  const direct = await post('/api/sql', { sql, limit: 1000 });
  assert.equal(await page.locator('#sql-result table').getAttribute('data-rows'), String(direct.rows.length));
  assert.ok(direct.rows.length > 100, 'more than a page of rows');
  assert.equal(await page.locator('#sql-result tbody tr').count(), 100, 'one page of 100 rows');
  assert.equal(await page.locator('#sql-result tbody tr').first().locator('td').first().textContent(), String(direct.rows[0][0]));
  await page.click('#sql-pager button:last-child');
  assert.equal(await page.locator('#sql-result tbody tr').first().locator('td').first().textContent(), String(direct.rows[100][0]));
  await page.screenshot({ path: join(artifacts, 'analyst-sql.png') });
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#sql-csv')]);
  const lines = readFileSync(await csv.path(), 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  assert.equal(lines.length - 1, direct.rows.length, 'CSV rows');
  // a statement that writes is refused with the server's own message
  await page.fill('#sql-text', 'DROP TABLE buildings');
  await page.click('#sql-run');
  await page.waitForSelector('#sql-error:not([hidden])');
  const r = await fetch(`${env.base}/api/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'DROP TABLE buildings' }) });
  assert.equal(r.status, 400);
  assert.equal(await page.locator('#sql-error').textContent(), (await r.json()).message);
  await page.screenshot({ path: join(artifacts, 'analyst-sql-refused.png') });
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(failures.filter((f) => !f.includes('400 (Bad Request)')), [], 'only the refused query failed');
  await page.close();
});

test('the English switch relabels the page and formats numbers in English', { timeout: 300000 }, async () => {
  const { page, requests, failures } = await open();
  assert.equal(await page.locator('#tab-sql').textContent(), 'SQL 控制台');
  await Promise.all([page.waitForNavigation(), page.click('.lang-switch')]);
  await idle(page);
  await page.waitForFunction(() => window.wanggeDraw !== undefined);
  assert.equal(await page.locator('header small').textContent(), 'Analyst workbench');
  assert.equal(await page.locator('#tab-sql').textContent(), 'SQL console');
  assert.equal(await page.locator('#run-area').textContent(), 'Analyse');
  assert.equal(await page.locator('#generated-badge').textContent(), 'generated data');
  const units = (await get('/api/units?level=street')).units;
  const u = units.reduce((a, b) => (b.population > a.population ? b : a));
  await page.evaluate((id) => window.wanggePickUnit(id), u.id);
  await answered(page, 1);
  assert.equal(await page.locator('section[data-section="figures"] h3').textContent(), 'Figures');
  assert.equal(await page.locator('[data-fig="population"]').textContent(), u.population.toLocaleString('en-GB'));
  assert.ok(u.population >= 1000, 'a number with a thousands separator');
  await idle(page);
  await page.screenshot({ path: join(artifacts, 'analyst-english.png') });
  // back to Chinese for the other tests' pages (the choice is kept in localStorage)
  await Promise.all([page.waitForNavigation(), page.click('.lang-switch')]);
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(failures, []);
  await page.close();
});

test('a street-scoped analyst logs in; a rectangle over the whole view counts only the street', { timeout: 600000 }, async () => {
  // the same generated district as the other tests (same seed): its street ids are the same
  const streets = (await get('/api/units?level=street')).units;
  const street = streets.reduce((a, b) => (b.buildings > a.buildings ? b : a));
  const locked = await startServer({ users: [{ name: 'ana', role: 'analyst', unit: street.id, password: 'analyst-pass-1' }] });
  try {
    const page = await env.browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const { requests, failures } = watch(page, { cancels: true });
    await page.goto(`${locked.base}/analyst`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#login-name', 'ana');
    await page.fill('#login-password', 'analyst-pass-1');
    await page.click('#login-submit');
    await idle(page);
    await page.waitForFunction(() => window.wanggeDraw !== undefined);
    // the map fits the street; one zoom level out, a rectangle from corner to corner of the map covers all of it and more
    await page.evaluate(() => window.wanggeMap.jumpTo({ zoom: window.wanggeMap.getZoom() - 1 }));
    await idle(page);
    await page.click('.draw-buttons button[data-mode="rectangle"]');
    const box = await page.locator('#map canvas').boundingBox();
    for (const [x, y] of [[box.x + 8, box.y + 8], [box.x + box.width - 60, box.y + box.height - 30]]) {
      await page.mouse.move(x, y, { steps: 4 });
      await page.mouse.click(x, y);
      await page.waitForTimeout(150);
    }
    await answered(page, 1);
    const fig = await shown(page);
    // what the server answers this user, for the same rectangle and for the street
    const asked = await page.evaluate(() => window.wanggeAreaRequest);
    const api = await page.evaluate((b) => fetch('/api/query/area', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b) }).then((r) => r.json()), asked);
    const unit = await page.evaluate((id) => fetch(`/api/units/${encodeURIComponent(id)}`).then((r) => r.json()), street.id);
    console.log('street', street.id, 'page', JSON.stringify(fig), 'unit', unit.buildings, unit.households, unit.population);
    for (const k of ['buildings', 'households', 'population']) {
      assert.equal(fig[k], api[k], `${k}: page vs API`);
      assert.equal(fig[k], unit[k], `${k}: the rectangle holds exactly the street`);
    }
    assert.ok(fig.buildings < (await get('/api/layers')).layers.find((l) => l.name === 'buildings').features, 'not the whole district');
    await page.screenshot({ path: join(artifacts, 'analyst-street-user.png') });
    assert.deepEqual(outside(requests, locked.base), []);
    assert.deepEqual(failures.filter((f) => !/status of 401/.test(f)), [], 'only /api/me before the login answered 401');
    await page.close();
  } finally {
    locked.server.kill();
  }
});
