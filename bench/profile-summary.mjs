#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `BENCH_PROFILE=1 npm run bench`, or any
// `node --cpu-prof`): self time by function and by file, and inclusive time of the
// functions whose names are given with --focus. With --requests N (a run's results file
// lists, under "served", how many requests each proxy served), times are also given in µs
// per request. Usage:
//   node bench/profile-summary.mjs FILE.cpuprofile [--top 40] [--focus name,name] [--requests N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, focus: { type: 'string', default: '' }, requests: { type: 'string', default: '' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--focus fn,fn] [--requests N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self].filter(([id]) => ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id).callFrame.functionName));

const short = (url) => url.replace(/^file:\/\/.*?\/(node_modules|dist|bench)\//, '$1/').replace(/^node:/, 'node:');
const where = (cf) => `${short(cf.url) || '(native)'}:${cf.lineNumber + 1}`;
const requests = Number(values.requests) || 0;
const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}% ${(us / 1000).toFixed(0).padStart(6)} ms${requests ? ` ${(us / requests).toFixed(2).padStart(7)} µs/req` : ''}`;

function tally(key) {
  const m = new Map();
  for (const [id, us] of self) {
    const k = key(byId.get(id).callFrame);
    m.set(k, (m.get(k) ?? 0) + us);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
}

console.log(`${positionals[0]}: ${(total / 1000).toFixed(0)} ms sampled`);
if (requests) {
  const idleUs = idle.filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  console.log(`  busy (not idle)        ${pct(total - idleUs)} over ${requests} requests`);
}
for (const [id, us] of idle) console.log(`  ${byId.get(id).callFrame.functionName.padEnd(22)} ${pct(us)}`);

console.log(`\nself time by function (top ${top})`);
for (const [k, us] of tally((cf) => `${cf.functionName || '(anonymous)'}  ${where(cf)}`).slice(0, top)) console.log(`${pct(us)}  ${k}`);

console.log('\nself time by file');
const fileOf = (cf) => {
  const u = short(cf.url);
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  return m ? `node_modules/${m[1]}` : u;
};
for (const [k, us] of tally(fileOf).slice(0, top)) console.log(`${pct(us)}  ${k}`);

if (values.focus) {
  // Inclusive time: samples whose stack contains a frame with this name (counted once).
  console.log('\ninclusive time');
  for (const name of values.focus.split(',')) {
    let us = 0;
    for (const [id, t] of self) {
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        if (byId.get(cur).callFrame.functionName === name) { us += t; break; }
      }
    }
    console.log(`${pct(us)}  ${name}`);
  }
}
