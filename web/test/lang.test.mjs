// Browser test of the page's language: zh-CN by default, English by the
// switch in the header (kept across reloads), visible texts and a number
// formatted in the chosen locale, and no request leaving 127.0.0.1 in
// either language. Screenshots of both are kept in test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useServerAndBrowser, idle, watch, outside, artifacts } from './harness.mjs';

const env = useServerAndBrowser();

const text = (page, sel) => page.locator(sel).first().textContent();

test('the main page in Chinese, then in English by the switch, numbers in the locale', { timeout: 300000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const { requests, failures } = watch(page, { cancels: true });
  await page.goto(`${env.base}/`);
  await idle(page);

  // the default: Chinese
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await text(page, '#layers h2'), '图层');
  assert.equal(await text(page, 'header .lang-switch'), 'English');
  assert.match(await text(page, '#check-summary'), /^缺口 /);
  assert.match(await text(page, '#layer-list'), /楼栋 \(/);
  await page.screenshot({ path: join(artifacts, 'lang-zh.png') });

  // the switch reloads the page in English
  await Promise.all([page.waitForNavigation(), page.locator('header .lang-switch').click()]);
  await idle(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en-GB');
  assert.equal(await page.title(), 'wangge · spatial analysis for grid governance');
  assert.equal(await text(page, 'header .lang-switch'), '中文');
  assert.equal(await text(page, '#layers h2'), 'Layers');
  for (const t of ['Levels', 'Alliances · AB posts', 'Camera coverage', 'Incident analysis', 'Integrity check']) {
    assert.ok((await page.locator('#layers h2').allTextContents()).includes(t), t);
  }
  assert.equal(await text(page, '#h-heat'), 'Heatmap');
  assert.equal(await page.locator('#unit-search').getAttribute('placeholder'), 'Search units by name or id');
  assert.match(await text(page, '#check-summary'), /^Gaps: /);
  assert.match(await text(page, '#layer-list'), /Buildings \(/);
  await page.waitForFunction(() => /^Data version /.test(document.getElementById('status').textContent || ''), null, { timeout: 20000 });
  assert.match(await text(page, '#legend'), /Legend/);

  // a number in the English locale: a street's households in the unit panel, as Intl formats them for en-GB
  const streets = (await (await fetch(`${env.base}/api/units?level=street`)).json()).units;
  const s = streets.reduce((a, b) => (b.households > a.households ? b : a));
  assert.ok(s.households >= 1000, `${s.households} households: a number with a thousands separator`);
  await page.evaluate((id) => window.wanggeOpenUnit(id), s.id);
  await page.waitForFunction((u) => document.getElementById('panel').dataset.unit === u, s.id, { timeout: 20000 });
  const row = page.locator('#unit-figures tr', { hasText: 'Households' }).first();
  const shown = await row.locator('td').nth(1).textContent();
  assert.equal(shown, new Intl.NumberFormat('en-GB').format(s.households));
  assert.match(shown ?? '', /^\d{1,3}(,\d{3})+$/);
  assert.match(await text(page, '#unit-meta'), / · id /);
  await page.screenshot({ path: join(artifacts, 'lang-en.png') });

  // the choice is kept: a reload stays English; the switch goes back to Chinese
  await page.reload();
  await idle(page);
  assert.equal(await text(page, '#layers h2'), 'Layers');
  await Promise.all([page.waitForNavigation(), page.locator('header .lang-switch').click()]);
  await idle(page);
  assert.equal(await text(page, '#layers h2'), '图层');

  assert.deepEqual(outside(requests, env.base), [], 'requests outside 127.0.0.1');
  assert.deepEqual(failures, []);
  await page.close();
});
