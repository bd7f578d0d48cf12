// The live lifecycle's memory without a page: a served copy of a store, incidents POSTed at a steady rate on the
// wall clock (concurrently) and, unless `noclose`, each resolved on the spot CLOSE seconds later; the server's RSS
// (/proc/PID/status VmRSS) every 20 s, and the server's own memory line (the store's DuckDB memory by tag, its file
// and WAL: store/memory.rs) as it logs it every 20 s. Tells the server's growth per case from the page's
// (benches/screen_soak.mjs), and DuckDB's share of it. Extra env for the server (e.g. MALLOC_ARENA_MAX) passes through.
//
// Usage: node benches/live_memory.mjs BIN STORE [minutes 4] [rate 20] [close 20] [close|noclose]
import { spawn } from 'node:child_process';
import { readFileSync, copyFileSync, rmSync } from 'node:fs';
const [bin, db, minutes = '4', rate = '20', closeAfter = '20', mode = 'close'] = process.argv.slice(2);
const copy = `/tmp/live-memory-${Date.now()}.duckdb`;
copyFileSync(db, copy);
const server = spawn(bin, ['serve', '--db', copy, '--addr', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, WANGGE_MEMORY_LOG_S: process.env.WANGGE_MEMORY_LOG_S ?? '20', RUST_LOG: process.env.RUST_LOG ?? 'warn,wangge::cli::serve=info' } });
const t00 = Date.now();
const base = await new Promise((res) => { let e = ''; server.stderr.on('data', (d) => { e += d; const m = e.match(/serving the map at (http:\/\/127\.0\.0\.1:\d+)\//); if (m) res(m[1]); }); });
let tail = '';
server.stderr.on('data', (d) => {
  tail += d; const lines = tail.split('\n'); tail = lines.pop();
  for (const l of lines) { const m = l.match(/memory: (.*)/); if (m) console.log(((Date.now() - t00) / 1000).toFixed(0), 's server', m[1]); }
});
const rss = () => Number(readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const info = await (await fetch(`${base}/api/layers`)).json();
const [w, s, e, n] = info.bounds;
const post = (p, b) => fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
let k = 0, ok = 0, bad = 0, closed = 0; const q = [];
const t0 = Date.now();
const iv = setInterval(() => {
  const due = Math.floor((Date.now() - t0) / 1000 * Number(rate));
  while (k < due) { k++; const id = `D-${t0}-${k}`;
    post('/api/incidents', { id, lon: (w+e)/2 + (Math.random()-0.5)*0.02, lat: (s+n)/2 + (Math.random()-0.5)*0.02, category: '环境卫生' })
      .then(r => { if (r.status === 201) { ok++; q.push([Date.now() + Number(closeAfter) * 1000, id]); } else bad++; return r.arrayBuffer(); }).catch(() => bad++); }
  if (mode === 'close') while (q.length && q[0][0] <= Date.now()) { const [, id] = q.shift(); post(`/api/incidents/${id}/transitions`, { to: 'resolved', level: 'grid' }).then(r => { if (r.status === 200) closed++; else bad++; return r.arrayBuffer(); }).catch(() => bad++); }
}, 50);
const pr = setInterval(() => console.log(((Date.now()-t0)/1000).toFixed(0), 's rss', rss().toFixed(1), 'MB posted', ok, 'closed', closed, 'bad', bad), 20000);
console.log('start rss', rss().toFixed(1));
await new Promise(r => setTimeout(r, Number(minutes) * 60000));
clearInterval(iv); clearInterval(pr);
console.log('end rss', rss().toFixed(1), 'posted', ok, 'closed', closed, 'bad', bad);
server.kill(); await new Promise((r) => setTimeout(r, 1000)); rmSync(copy, { force: true }); rmSync(`${copy}.wal`, { force: true }); process.exit(0);
