// Preloaded into a gateway by mcp-serial.mjs (SPANS=1; `node --import`): where the gateway's
// own time goes per call, whatever the build, from Node's and undici's diagnostics channels.
//   pre    the request event → the upstream request's headers written (HTTP parse excluded:
//          body, JSON, session, federation, undici's dispatch and its idle-socket check)
//   post   the upstream answer's headers → the reply's res.end called (the answer read and
//          parsed, the promise chain back, the reply built)
//   write  res.end itself (mostly the kernel's write of the reply to the client's socket)
// One call at a time only (a single pair of clocks). p25/p50/p75 in µs, the first 2000 calls
// left out, written as JSON to $SPANS_OUT when the gateway gets SIGTERM.
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const spans = { pre: [], post: [], write: [] };
let requested = 0;
let answered = 0;
dc.subscribe('http.server.request.start', () => { requested = performance.now(); });
dc.subscribe('undici:client:sendHeaders', () => { if (requested !== 0) spans.pre.push(performance.now() - requested); });
dc.subscribe('undici:request:headers', () => { answered = performance.now(); });
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function endWithSpans(...args) {
  const t0 = performance.now();
  if (answered !== 0) spans.post.push(t0 - answered);
  const r = end.apply(this, args);
  spans.write.push(performance.now() - t0);
  requested = 0;
  answered = 0;
  return r;
};
process.on('SIGTERM', () => {
  const out = {};
  for (const [k, all] of Object.entries(spans)) {
    const s = all.slice(2000).sort((x, y) => x - y);
    const q = (p) => Math.round(s[Math.floor(s.length * p)] * 10000) / 10;
    out[k] = { n: s.length, p25: q(0.25), p50: q(0.5), p75: q(0.75) };
  }
  writeFileSync(process.env.SPANS_OUT, JSON.stringify(out));
});
