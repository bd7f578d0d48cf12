// The page's pure modules, in node without a browser: the URL hash format,
// unit search ranking and the one place that decides the tile sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, formatHash } from '../src/core/hash.js';
import { matchUnits } from '../src/panels/search.js';
import { sourceFor, buildSources, COMPOSITE, STATIC_LAYERS } from '../src/core/sources.js';

test('the URL hash round-trips the view, the layers and the unit', () => {
  const s = { center: [120.37123456, 36.0679], zoom: 14.256, layers: ['units', 'camera_views'], unit: '370202 第1网格' };
  const h = formatHash(s);
  assert.equal(h, '#map=14.26/36.06790/120.37123&layers=units,camera_views&unit=370202%20%E7%AC%AC1%E7%BD%91%E6%A0%BC');
  assert.deepEqual(parseHash(h), { center: [120.37123, 36.0679], zoom: 14.26, layers: ['units', 'camera_views'], unit: '370202 第1网格' });
  assert.deepEqual(parseHash(formatHash({ ...s, layers: [], unit: null })).layers, []);
  assert.equal(parseHash(formatHash({ ...s, unit: null })).unit, undefined);
  // what is missing or broken is left out, not guessed
  assert.deepEqual(parseHash(''), {});
  assert.deepEqual(parseHash('#map=14/95/120'), {});
  assert.deepEqual(parseHash('#map=a/b/c&unit='), { unit: null });
});

test('unit search: exact id first, then prefixes, then substrings; nothing for a blank query', () => {
  const u = (id, name) => ({ id, name, level: 'grid' });
  const units = [u('3702021', '八大峡第1网格'), u('370202', '八大峡社区'), u('9370202', '云南路网格'), u('1', '网格370202')];
  assert.deepEqual(matchUnits(units, '370202').map((x) => x.id), ['370202', '3702021', '9370202', '1']);
  assert.deepEqual(matchUnits(units, ' 八大峡 ').map((x) => x.id), ['370202', '3702021']);
  assert.deepEqual(matchUnits(units, '  '), []);
  assert.deepEqual(matchUnits(units, '无此单元'), []);
});

test('every static layer takes its source from sourceFor; buildSources makes exactly those sources', () => {
  const info = { layers: [...STATIC_LAYERS, 'heatmap', 'hotspots'].map((name) => ({ name })) };
  const sources = buildSources(info);
  for (const l of STATIC_LAYERS) {
    const s = sourceFor(l);
    assert.equal(s.sourceLayer, l);
    assert.ok(sources[s.source], `${l}: source ${s.source} exists`);
  }
  assert.equal(Object.keys(sources).length, COMPOSITE ? 1 : STATIC_LAYERS.length, 'heatmap and hot spots are not tile sources here');
  assert.match(sources[sourceFor('units').source].attribution, /OpenStreetMap/);
});

test('the pages import the npm packages from the same served URLs (one import map, written in each page)', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const { join, dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const web = join(dirname(fileURLToPath(import.meta.url)), '..');
  const pages = readdirSync(web).filter((f) => f.endsWith('.html'));
  assert.ok(pages.length >= 4, `pages: ${pages}`);
  /** specifier → [url, page] of the first page that maps it */
  const first = new Map();
  for (const p of pages) {
    const html = readFileSync(join(web, p), 'utf8');
    const m = html.match(/<script type="importmap">([\s\S]*?)<\/script>/);
    assert.ok(m, `${p} has an import map`);
    const { imports } = JSON.parse(m[1]);
    assert.ok(imports['maplibre-gl'], `${p} maps maplibre-gl`);
    for (const [spec, url] of Object.entries(imports)) {
      assert.match(url, /^\/vendor\/[\w-]+\/[\w.-]+$/, `${p}: ${spec} is served by us`);
      const seen = first.get(spec);
      if (seen) assert.equal(url, seen[0], `${p} maps ${spec} to ${url}, ${seen[1]} to ${seen[0]}`);
      else first.set(spec, [url, p]);
      // the served file exists in the npm package the server vendors it from
      const [, , pkg, file] = url.split('/');
      const rs = readFileSync(join(web, '..', 'server', 'src', 'http', 'web_files.rs'), 'utf8');
      const row = rs.match(new RegExp(`\\("${pkg}", "([^"]+)"`));
      assert.ok(row, `${pkg} is in VENDOR`);
      assert.ok(readdirSync(join(web, 'node_modules', row[1])).includes(file), `${url} exists in node_modules/${row[1]}`);
    }
  }
});
