// @ts-check
/**
 * The map page (/): the shared map core plus one module per tool panel,
 * wired around one state object. Everything comes from our own server.
 */
import { api, setErrorSink, showError } from './api.js';
import { createMap, defaultThemes } from './core/map.js';
import { Legend, themeLegend } from './core/legend.js';
import { ExportControl, fullscreenControl } from './core/controls.js';
import { parseHash } from './core/hash.js';
import { createState } from './state.js';
import { applyHash, syncHash } from './hash-sync.js';
import { byId, levelName } from './util.js';
import { translatePage, tr } from './core/i18n.js';
import { setupLayerList, setupLevelList } from './panels/layers.js';
import { setupUnitPanel, openUnit } from './panels/unit.js';
import { setupResults } from './panels/results.js';
import { showIntegrity } from './panels/integrity.js';
import { setupGraphs } from './panels/graphs.js';
import { setupCoverage } from './panels/coverage.js';
import { setupService } from './panels/service.js';
import { setupIncidentAnalysis } from './panels/incidents.js';
import { setupLive } from './panels/live.js';
import { setupSearch } from './panels/search.js';
import { applyActions, askLogin, pageHeader, showUser, watchSession, whoAmI } from './session.js';

async function main() {
  // the language first: the static page in it, the switch in the header
  translatePage();
  document.title = tr('网格 · 网格化治理空间分析', 'wangge · spatial analysis for grid governance');
  pageHeader();
  const status = byId('status');
  let errorAt = 0;
  setErrorSink((message) => { status.textContent = message; errorAt = Date.now(); });
  // who is looking: a locked store wants a login before any map data is asked for
  let me = await whoAmI();
  if (!me) {
    status.textContent = tr('请登录', 'Please log in');
    me = await askLogin();
  }
  showUser(me);
  applyActions(me);
  Object.assign(window, { wanggeMe: me });
  const info = await api.layers();
  const fromHash = parseHash(location.hash);
  const themes = fromHash.layers ? new Set(fromHash.layers) : defaultThemes(info);
  const state = createState(info, themes);
  const view = fromHash.center && fromHash.zoom !== undefined ? { center: fromHash.center, zoom: fromHash.zoom } : null;
  const map = createMap({ container: 'map', info, themes, view, bounds: me.open ? null : me.bounds });
  watchSession(map);
  const legend = new Legend(themeLegend(info.levels, levelName));
  const page = { map, state, legend };
  // for the browser test and the console: the map and the unit panel
  Object.assign(window, { wanggeMap: map, wanggeOpenUnit: (/** @type {string} */ id) => openUnit(page, id) });
  map.addControl(fullscreenControl(), 'top-right');
  map.addControl(new ExportControl(showError), 'top-right');
  map.addControl(legend, 'bottom-right');
  setupLayerList(page);
  setupLevelList(page);
  setupResults();
  setupUnitPanel(page);
  setupSearch(page);
  map.on('load', () => {
    setupGraphs(page);
    setupCoverage(page);
    setupService(page).catch(showError);
    setupIncidentAnalysis(page);
    setupLive(page);
    if (fromHash.unit) applyHash(page, { unit: fromHash.unit });
    syncHash(page);
  });
  await showIntegrity();
  // an error stays on the status line for a while before the data version comes back
  map.on('idle', () => { if (Date.now() - errorAt > 8000) status.textContent = tr(`数据版本 ${info.data_version}`, `Data version ${info.data_version}`); });
}

main().catch(showError);
