// Browser test of the command-center screen (/screen) at 1920×1080 on a locked store, logged in as a wall
// screen (role `screen`): it loads with no request leaving 127.0.0.1 (every request URL recorded); an incident
// POSTed over HTTP appears in the ticker and the counts within 1 s; a sensor reading past its threshold makes
// a flashing alarm appear where the sensor is (the map's feature state and the alarm list); after the server
// process is killed and started again on the same port and store, the screen reconnects by itself and shows a
// new incident; ?unit=ID shows a street's sub-center; the English switch; and one look at 3840×2160.
// Screenshots in web/test-results/screen-*.png (looked at).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, idle, watch, outside, artifacts, root } from './harness.mjs';

const admin = JSON.parse(readFileSync(join(root, 'data', 'shinan', 'admin.geojson'), 'utf8'));
const street = admin.features.map((f) => f.properties).find((p) => p.level === 'street' && p.name === '八大关街道');
const USERS = [
  { name: 'admin', role: 'admin', password: 'screen-admin-pass' },
  { name: 'wall', role: 'screen', password: 'screen-wall-pass' },
];
const env = useServerAndBrowser({ users: USERS });

let cookie = '';
async function adminCookie() {
  if (cookie) return cookie;
  const r = await fetch(`${env.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password: USERS[0].password }) });
  assert.equal(r.status, 200);
  cookie = r.headers.get('set-cookie').split(';')[0];
  return cookie;
}

async function post(path, body) {
  const r = await fetch(`${env.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: await adminCookie() },
    body: JSON.stringify(body) });
  const v = await r.json();
  return { status: r.status, v };
}

/** A place inside unit `unitId`: a loaded incident's position whose leaf unit lies in the unit's subtree. */
async function placeIn(unitId) {
  const get = async (path) => (await fetch(`${env.base}${path}`, { headers: { cookie: await adminCookie() } })).json();
  const { units } = await get('/api/units');
  const children = new Map();
  for (const u of units) children.set(u.parent_id, [...(children.get(u.parent_id) || []), u.id]);
  const inside = new Set([unitId]);
  const todo = [unitId];
  while (todo.length) for (const c of children.get(todo.pop()) || []) if (!inside.has(c)) { inside.add(c); todo.push(c); }
  const fc = await get('/api/features/incidents?limit=100000');
  const f = fc.features.find((x) => inside.has(x.properties.unit));
  assert.ok(f, `a loaded incident inside ${unitId}`);
  const [lon, lat] = f.geometry.coordinates;
  return { lon, lat };
}

/** A page logged in as the wall screen at `path`. */
async function screenPage(path = '/screen', viewport = { width: 1920, height: 1080 }) {
  const context = await env.browser.newContext({ viewport });
  const page = await context.newPage();
  const seen = watch(page, { cancels: true });
  await page.goto(`${env.base}${path}`);
  await page.waitForSelector('#login:not([hidden]) #login-form', { timeout: 30000 });
  await page.fill('#login-name', 'wall');
  await page.fill('#login-password', USERS[1].password);
  await page.click('#login-submit');
  // the 401 of /api/me before the login is how the page learns it must ask: not a failure
  seen.failures.splice(0, seen.failures.length, ...seen.failures.filter((f) => !/status of 401/.test(f)));
  await page.waitForFunction(() => window.wanggeScreen !== undefined, null, { timeout: 60000 });
  await idle(page);
  await page.waitForFunction(() => window.wanggeScreen.stream.state() === 'open', null, { timeout: 20000 });
  return { context, page, ...seen };
}

/** Records in the page when a ticker row appears (by incident id) and when the open count last changed. */
const watchShown = (page) => page.evaluate(() => {
  window.shownAt = {};
  new MutationObserver((ms) => {
    for (const m of ms) for (const n of m.addedNodes) if (n.dataset?.id && !window.shownAt[n.dataset.id]) window.shownAt[n.dataset.id] = Date.now();
  }).observe(document.querySelector('#s-ticker'), { childList: true });
  new MutationObserver((ms) => {
    for (const m of ms) for (const n of m.addedNodes) if (n.dataset?.sensor) window.shownAt[`alarm:${n.dataset.sensor}`] = Date.now();
  }).observe(document.querySelector('#s-alarms'), { childList: true });
  const today = document.querySelector('#k-today .v');
  const before = today.dataset.value;
  new MutationObserver(() => { if (today.dataset.value !== before && !window.shownAt.counts) window.shownAt.counts = Date.now(); })
    .observe(document.querySelector('#k-today .v'), { attributes: true, childList: true, characterData: true, subtree: true });
});

const value = (page, id) => page.evaluate((i) => Number(document.querySelector(`#${i} .v`).dataset.value), id);

test('the screen: loads offline, shows a new case within 1 s, flashes an alarm, recovers after a restart', { timeout: 600000 }, async () => {
  const { context, page, requests, failures } = await screenPage();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await page.textContent('#s-head h1'), '网格化治理指挥中心');
  assert.equal(await page.isVisible('#s-generated'), true, 'generated data is labelled');
  assert.match(await page.textContent('#s-generated'), /生成数据/);
  // the type scales with the viewport: 1 rem = 16 px at 1920×1080
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), '16px');
  // charts drawn by ECharts (canvas), coverage figures from the server
  for (const id of ['c-open', 'c-intake', 'c-shares']) assert.ok(await page.$(`#${id} canvas`), `${id} has a chart`);
  assert.ok(Number((await page.textContent('#s-cover [data-key=cameras]')).replace(/\D/g, '')) > 0, 'cameras counted');
  await page.screenshot({ path: join(artifacts, 'screen-1920.png') });

  // an incident POSTed over HTTP: the ticker and the counts within 1 s of the answer (times taken in the page by a
  // MutationObserver, so the test's own polling does not count)
  const place = await placeIn(street.id);
  await watchShown(page);
  const [open0, today0] = [await value(page, 'k-open'), await value(page, 'k-today')];
  const id = `SCREEN-${Date.now()}`;
  const r = await post('/api/incidents', { id, lon: place.lon, lat: place.lat, category: '市容秩序', item: '占道经营' });
  assert.equal(r.status, 201);
  const answered = Date.now();
  await page.waitForSelector(`#s-ticker li[data-id="${id}"]`, { timeout: 10000 });
  await page.waitForFunction(([o, t]) => Number(document.querySelector('#k-open .v').dataset.value) > o
    && Number(document.querySelector('#k-today .v').dataset.value) > t, [open0, today0], { timeout: 10000 });
  const shown = await page.evaluate((i) => window.shownAt[i], id);
  const counted = await page.evaluate(() => window.shownAt.counts);
  assert.ok(shown - answered <= 1000, `ticker ${shown - answered} ms after the answer`);
  assert.ok(counted - answered <= 1000, `counts ${counted - answered} ms after the answer`);
  assert.match(await page.textContent(`#s-ticker li[data-id="${id}"]`), /市容秩序/);

  // a sensor reading past its threshold: a flashing alarm where the sensor is
  const sensor = `GAS-SCREEN-${Date.now()}`;
  assert.equal((await post('/api/sensors', { id: sensor, kind: 'gas', lon: place.lon, lat: place.lat, name: '燃气 1' })).status, 201);
  await page.waitForFunction((s) => window.wanggeScreen.alarmState(s) === false && !document.querySelector(`.s-alarm[data-sensor="${s}"]`), sensor);
  const reading = await post(`/api/sensors/${sensor}/readings`, { value: 55 });
  assert.equal(reading.status, 200);
  assert.equal(reading.v.sensor.alarm, true);
  const read = Date.now();
  await page.waitForFunction((s) => window.wanggeScreen.alarmState(s) === true && document.querySelector(`.s-alarm[data-sensor="${s}"]`),
    sensor, { timeout: 10000 });
  const alarmed = await page.evaluate((s) => window.shownAt[`alarm:${s}`], sensor);
  assert.ok(alarmed - read <= 1000, `alarm shown ${alarmed - read} ms after the reading's answer`);
  assert.equal(await page.$eval(`.s-alarm[data-sensor="${sensor}"]`, (e) => getComputedStyle(e).animationName), 's-blink');
  // it flashes: the halo's opacity changes over time
  const halo = () => page.evaluate(() => JSON.stringify(window.wanggeMap.getPaintProperty('screen-sensor-pulse', 'circle-opacity')));
  const h1 = await halo();
  await page.waitForFunction((h) => JSON.stringify(window.wanggeMap.getPaintProperty('screen-sensor-pulse', 'circle-opacity')) !== h, h1, { timeout: 2000 });
  // shown on the map where it is: the rendered sensor feature is at the sensor's position
  await page.evaluate(([lon, lat]) => window.wanggeMap.jumpTo({ center: [lon, lat], zoom: 15 }), [place.lon, place.lat]);
  await idle(page);
  const drawn = await page.evaluate((s) => window.wanggeMap.queryRenderedFeatures({ layers: ['screen-sensors'] })
    .filter((f) => f.properties.id === s).map((f) => ({ state: f.state, at: f.geometry.coordinates })), sensor);
  assert.ok(drawn.length >= 1, 'the sensor is drawn');
  assert.equal(drawn[0].state.alarm, true);
  assert.ok(Math.abs(drawn[0].at[0] - place.lon) < 1e-5 && Math.abs(drawn[0].at[1] - place.lat) < 1e-5);
  await page.screenshot({ path: join(artifacts, 'screen-alarm.png') });
  // back to normal: the alarm goes
  assert.equal((await post(`/api/sensors/${sensor}/readings`, { value: 3 })).status, 200);
  await page.waitForFunction((s) => window.wanggeScreen.alarmState(s) === false && !document.querySelector(`.s-alarm[data-sensor="${s}"]`), sensor, { timeout: 3000 });

  // the server is killed and started again on the same port and store: the screen recovers by itself
  const args = env.server.spawnargs.slice(1);
  const port = new URL(env.base).port;
  env.server.kill('SIGKILL');
  await new Promise((res) => env.server.once('exit', res));
  await page.waitForFunction(() => window.wanggeScreen.stream.state() !== 'open', null, { timeout: 10000 });
  const addr = args.indexOf('--addr');
  args[addr + 1] = `127.0.0.1:${port}`;
  const bin = env.server.spawnfile;
  env.server = spawn(bin, args, { cwd: root });
  await new Promise((res, rej) => {
    let err = '';
    env.server.stderr.on('data', (d) => { err += d; if (/serving the map at/.test(err)) res(); });
    env.server.on('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
  });
  await page.waitForFunction(() => window.wanggeScreen.stream.state() === 'open', null, { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('#s-conn').dataset.state === 'live', null, { timeout: 5000 });
  const id2 = `SCREEN-AFTER-${Date.now()}`;
  assert.equal((await post('/api/incidents', { id: id2, lon: place.lon, lat: place.lat, category: '环境卫生' })).status, 201);
  await page.waitForSelector(`#s-ticker li[data-id="${id2}"]`, { timeout: 10000 });
  // the error the dead server caused is gone from the footer once the connection is back
  assert.equal(await page.$eval('#s-note', (n) => n.dataset.error ?? ''), '');
  assert.doesNotMatch(await page.$eval('#s-note', (n) => n.textContent ?? ''), /错误|Error/);
  await page.screenshot({ path: join(artifacts, 'screen-restarted.png') });

  // the event stream was cut on purpose (the kill): its failures and the reconnection attempts while the server was down
  const real = failures.filter((f) => !/\/api\/stream |ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING/.test(f)
    && !/console: Failed to load resource: net::ERR_CONNECTION_REFUSED/.test(f));
  assert.deepEqual(real, []);
  assert.deepEqual(outside(requests, env.base), [], 'no request leaves 127.0.0.1');
  assert.ok(requests.some((u) => u.includes('/api/screen/summary')) && requests.some((u) => u.includes('/vendor/echarts/')));
  await context.close();
});

test('a street sub-center, the English switch and a 4K wall', { timeout: 300000 }, async () => {
  const { context, page, requests } = await screenPage(`/screen?unit=${street.id}`);
  assert.equal(await page.textContent('#s-unit'), street.name);
  assert.equal(await page.evaluate(() => window.wanggeScreen.unit), street.id);
  // an incident elsewhere in the district is not on this screen; one inside is
  const place = await placeIn(street.id);
  const out = admin.features.find((f) => f.properties.level === 'street' && f.properties.id !== street.id);
  const elsewhere = await placeIn(out.properties.id);
  const outId = `OUT-${Date.now()}`;
  assert.equal((await post('/api/incidents', { id: outId, lon: elsewhere.lon, lat: elsewhere.lat, category: '环境卫生' })).status, 201);
  await watchShown(page);
  const inside = `IN-${Date.now()}`;
  assert.equal((await post('/api/incidents', { id: inside, lon: place.lon, lat: place.lat, category: '环境卫生' })).status, 201);
  const answered = Date.now();
  await page.waitForSelector(`#s-ticker li[data-id="${inside}"]`, { timeout: 10000 });
  const shown = await page.evaluate((i) => window.shownAt[i], inside);
  assert.ok(shown - answered <= 1000, `ticker ${shown - answered} ms after the answer`);
  assert.equal(await page.$(`#s-ticker li[data-id="${outId}"]`), null, 'a case of another street is not on the sub-center');
  await page.screenshot({ path: join(artifacts, 'screen-street.png') });

  // English: the switch reloads the page in English, numbers in the English locale
  await page.click('.lang-switch');
  await page.waitForFunction(() => document.documentElement.lang === 'en-GB', null, { timeout: 30000 });
  await page.waitForFunction(() => window.wanggeScreen !== undefined, null, { timeout: 60000 });
  await idle(page);
  assert.equal(await page.textContent('#s-head h1'), 'Grid Governance Command Center');
  assert.match(await page.textContent('#k-open'), /Open cases/);
  assert.match(await page.textContent('#s-generated'), /Generated data/);
  assert.match(await page.textContent('#s-conn'), /Live|Connecting/);
  await page.screenshot({ path: join(artifacts, 'screen-en.png') });
  assert.deepEqual(outside(requests, env.base), []);
  await context.close();

  // 3840×2160: the same layout, twice the type
  const big = await screenPage('/screen?lang=zh', { width: 3840, height: 2160 });
  assert.equal(await big.page.evaluate(() => getComputedStyle(document.documentElement).fontSize), '32px');
  const box = await big.page.$eval('#map', (e) => e.getBoundingClientRect().width);
  assert.ok(box > 2000, `the map fills the middle (${box} px)`);
  await big.page.screenshot({ path: join(artifacts, 'screen-3840.png') });
  assert.deepEqual(outside(big.requests, env.base), []);
  await big.context.close();
});
