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
