// What grew between two V8 heap snapshots (.heapsnapshot, as benches/screen_soak.mjs --snapshots writes them):
// objects summed by (type, constructor or name), the biggest changes in self size and count first.
// Usage: node benches/heap_diff.mjs OLD.heapsnapshot NEW.heapsnapshot [rows]
import { readFileSync } from 'node:fs';

const sum = (file) => {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [it, iname, isize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const out = new Map();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += f.length) {
    const type = types[s.nodes[i + it]];
    let name = s.strings[s.nodes[i + iname]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    if (type === 'number') name = '(number)';
    const key = `${type}\t${name.slice(0, 80)}`;
    const e = out.get(key) ?? { n: 0, size: 0 };
    e.n += 1;
    e.size += s.nodes[i + isize];
    total += s.nodes[i + isize];
    out.set(key, e);
  }
  return { out, total };
};
const [a, b, rows = '25'] = process.argv.slice(2);
const A = sum(a);
const B = sum(b);
const keys = new Set([...A.out.keys(), ...B.out.keys()]);
const d = [...keys].map((k) => {
  const x = A.out.get(k) ?? { n: 0, size: 0 };
  const y = B.out.get(k) ?? { n: 0, size: 0 };
  return { k, dn: y.n - x.n, ds: y.size - x.size, n: y.n, size: y.size };
});
console.log(`total self size ${A.total} → ${B.total} (${B.total - A.total >= 0 ? '+' : ''}${B.total - A.total} bytes)`);
for (const r of d.sort((p, q) => Math.abs(q.ds) - Math.abs(p.ds)).slice(0, Number(rows))) {
  console.log(`${String(r.ds).padStart(10)} B ${String(r.dn).padStart(7)} objs  now ${String(r.size).padStart(9)} B ${String(r.n).padStart(7)}  ${r.k}`);
}
