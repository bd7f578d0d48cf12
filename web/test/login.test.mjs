// Browser test of who sees what: on a locked store (users exist) the page
// shows a login form and asks for no map data; a wrong password and too many
// attempts are refused in the form; a street's staff sees only that street
// (every unit the map draws lies in the street's subtree) with their name,
// role and unit in the header;
// a lost session brings the form back; logout too; a role without `analyse`
// finds the analysis controls disabled; an open store shows no login at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServerAndBrowser, startServer, idle, watch, outside, drawnShare, artifacts, root } from './harness.mjs';

const admin = JSON.parse(readFileSync(join(root, 'data', 'shinan', 'admin.geojson'), 'utf8'));
const street = admin.features.map((f) => f.properties).find((p) => p.level === 'street' && p.name === '八大关街道');
const USERS = [
  { name: 'admin', role: 'admin', password: 'demo-admin-pass' },
  { name: 'zhangsan', role: 'dispatcher', unit: street.id, password: 'demo-street-pass' },
  { name: 'screen', role: 'screen', unit: street.id, password: 'demo-screen-pass' },
];
const env = useServerAndBrowser({ users: USERS });

/** Logs in over HTTP (not the page) and answers the session cookie. */
async function session(name, password) {
  const r = await fetch(`${env.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }) });
  assert.equal(r.status, 200, `login as ${name}`);
  return r.headers.get('set-cookie').split(';')[0];
}

/** The street's subtree (its id and every descendant's), from the admin's view of all units. */
async function subtree(rootId) {
  const cookie = await session('admin', USERS[0].password);
  const { units } = await (await fetch(`${env.base}/api/units`, { headers: { cookie } })).json();
  const children = new Map();
  for (const u of units) {
    if (!children.has(u.parent_id)) children.set(u.parent_id, []);
    children.get(u.parent_id).push(u.id);
  }
  const out = new Set([rootId]);
  const todo = [rootId];
  while (todo.length) for (const c of children.get(todo.pop()) || []) if (!out.has(c)) { out.add(c); todo.push(c); }
  return { inside: out, all: units.length };
}

/** A fresh page (own cookies) at `/`, with its requests and failures recorded. */
async function fresh(base = env.base) {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const seen = watch(page, { cancels: true });
  await page.goto(`${base}/`);
  return { context, page, ...seen };
}

const loginShown = (page) => page.waitForSelector('#login:not([hidden]) #login-form', { timeout: 20000 });

async function fillLogin(page, name, password) {
  await page.fill('#login-name', name);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

/** Failures the page expects: 401 from /api/me before login and after logout, 401 and 429 from refused logins. */
const expectedRefusals = (failures) => failures.filter((f) => !/status of (401|429)/.test(f));

test('a locked store shows the login form and no map data; a wrong password and too many attempts are refused in the form', { timeout: 120000 }, async () => {
  const { context, page, requests, failures } = await fresh();
  await loginShown(page);
  assert.equal(await page.textContent('#login-form h2'), '登录');
  assert.match(await page.textContent('#login-form'), /用户名[\s\S]*密码/);
  // nothing but the page, /api/me and the map library was asked for: no layers, tiles, style or units
  assert.deepEqual(requests.filter((u) => /\/(api\/(?!me$)|tiles\/|style\.json)/.test(new URL(u).pathname)), []);
  assert.equal(await page.evaluate(() => window.wanggeMap === undefined), true);
  await page.screenshot({ path: join(artifacts, 'login-form.png') });

  await fillLogin(page, 'zhangsan', 'not-the-password');
  await page.waitForFunction(() => document.getElementById('login-error').textContent !== '', null, { timeout: 10000 });
  assert.equal(await page.textContent('#login-error'), '用户名或密码错误');
  assert.equal(await page.isVisible('#login-form'), true);
  await page.screenshot({ path: join(artifacts, 'login-wrong-password.png') });

  // too many failures for one name: the form says to wait (429)
  const statuses = await page.evaluate(async () => {
    const out = [];
    for (let i = 0; i < 10; i++) {
      const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'nobody', password: 'wrong-password' }) });
      out.push(r.status);
    }
    return out;
  });
  assert.ok(statuses.every((x) => x === 401 || x === 429), statuses.join(','));
  await fillLogin(page, 'nobody', 'wrong-password');
  await page.waitForFunction(() => document.getElementById('login-error').textContent === '尝试次数过多，请稍后再试', null, { timeout: 10000 });
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(expectedRefusals(failures), []);
  await context.close();
});

test("a street's staff sees only that street; a lost session and logout bring the login back", { timeout: 300000 }, async () => {
  const { inside, all } = await subtree(street.id);
  assert.ok(inside.size > 10 && inside.size < all, `the street has ${inside.size} of ${all} units`);

  const { context, page, requests, failures } = await fresh();
  await loginShown(page);
  await fillLogin(page, 'zhangsan', USERS[1].password);
  await idle(page);
  assert.equal(await page.isHidden('#login'), true);
  assert.equal(await page.textContent('#user .who'), `zhangsan · 受理派遣员 · ${street.name}`);
  // a dispatcher may run analyses: those controls stay usable
  // (alliances, camera siting, high points, service siting)
  assert.deepEqual(await page.locator('fieldset[data-action="analyse"]').evaluateAll((els) => els.map((e) => e.disabled)), [false, false, false, false]);

  // the map opened on the street: its centre lies in the street's bounds (from /api/me)
  const me = await page.evaluate(() => window.wanggeMe);
  assert.equal(me.unit, street.id);
  const c = await page.evaluate(() => window.wanggeMap.getCenter());
  const [w, s, e, n] = me.bounds;
  assert.ok(c.lng > w && c.lng < e && c.lat > s && c.lat < n, `centre ${c.lng},${c.lat} in ${me.bounds}`);

  // every unit the map draws belongs to the street's subtree
  const drawn = await page.evaluate(() => window.wanggeMap.queryRenderedFeatures({ layers: ['units-fill', 'units-line'] })
    .map((f) => f.properties.id));
  assert.ok(drawn.length > 0, 'units drawn');
  const foreign = [...new Set(drawn.filter((id) => !inside.has(id)))];
  assert.deepEqual(foreign, [], `units outside ${street.name} drawn: ${foreign.slice(0, 10).join(', ')}`);
  // and the unit list the page gets is the street's too
  const listed = await page.evaluate(async () => (await (await fetch('/api/units')).json()).units.map((u) => u.id));
  assert.deepEqual(listed.filter((id) => !inside.has(id)), []);
  const png = await page.screenshot({ path: join(artifacts, 'street-view.png') });
  assert.ok(await drawnShare(page, png) > 0.05, 'the street view draws something');

  // the session is lost (expired or revoked): the next request answers 401 and the form comes back
  await context.clearCookies();
  await page.click('#h-heat');
  await loginShown(page);
  // logging in again reloads the page as that user
  await Promise.all([page.waitForEvent('load'), fillLogin(page, 'zhangsan', USERS[1].password)]);
  await idle(page);
  assert.equal(await page.textContent('#user .who'), `zhangsan · 受理派遣员 · ${street.name}`);

  // logout ends the session: the form again, and the old cookie no longer works
  const cookie = (await context.cookies()).find((k) => k.name === 'wangge_session');
  assert.ok(cookie, 'session cookie set');
  assert.equal(cookie.httpOnly, true);
  await page.click('#logout');
  await loginShown(page);
  const r = await fetch(`${env.base}/api/me`, { headers: { cookie: `wangge_session=${cookie.value}` } });
  assert.equal(r.status, 401);
  assert.deepEqual(outside(requests, env.base), []);
  assert.deepEqual(expectedRefusals(failures), []);
  await context.close();
});

test('a role without `analyse` finds the analysis controls disabled, and the server refuses them with the reason', { timeout: 300000 }, async () => {
  const { context, page } = await fresh();
  await loginShown(page);
  await fillLogin(page, 'screen', USERS[2].password);
  await page.waitForSelector('#user .who', { timeout: 20000 });
  assert.match(await page.textContent('#user .who'), /^screen · .+ · 八大关街道$/);
  const gated = page.locator('fieldset[data-action="analyse"]');
  assert.equal(await gated.count(), 4);
  assert.deepEqual(await gated.evaluateAll((els) => els.map((e) => e.disabled)), [true, true, true, true]);
  assert.equal(await page.isDisabled('#g-propose'), true);
  assert.equal(await page.isDisabled('#s-run'), true);
  // reading stays open to them
  assert.equal(await page.isDisabled('#h-heat'), false);
  const refused = await page.evaluate(async () => {
    const r = await fetch('/api/alliances/propose', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"level":"grid"}' });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(refused.status, 403);
  assert.ok(refused.body.message, 'a 403 says why');
  await context.close();
});

test('an open store (no users) shows no login and says it is in open local mode', { timeout: 300000 }, async () => {
  const open = await startServer();
  try {
    const { context, page, requests, failures } = await fresh(open.base);
    await idle(page);
    assert.equal(await page.isHidden('#login'), true);
    assert.equal(await page.textContent('#user .open-badge'), '本机开放模式（未设用户）');
    assert.equal(await page.locator('#logout').count(), 0);
    assert.equal(await page.locator('fieldset[data-action]:disabled').count(), 0);
    await page.screenshot({ path: join(artifacts, 'open-mode.png') });
    assert.deepEqual(outside(requests, open.base), []);
    assert.deepEqual(failures, []);
    await context.close();
  } finally {
    open.server.kill();
  }
});
