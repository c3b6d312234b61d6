// The access log: one line per request when its response ends or is abandoned. JSON
// fields are stable (dashboards parse them); the text format is one plain line for people
// (no JSON envelope). Both go through the logger's secret scrubbing.
import type { RequestContext } from '../core/index.js';
import type { LogFormat, LogOutput } from './logger.js';

export interface AccessRecord {
  time: string;
  requestId: string;
  listener: string;
  method: string;
  path: string;
  route: string | null;
  backend: string | null;
  status: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  client: string;
  error?: string;
  aborted?: boolean;
  /** LLM calls only: the model the client asked for, its provider, and tokens when known. */
  llm?: { model: string; provider: string; inputTokens: number | null; outputTokens: number | null };
}

export function accessRecord(ctx: RequestContext, status: number, durationMs: number): AccessRecord {
  const r: AccessRecord = {
    time: new Date().toISOString(),
    requestId: ctx.id,
    listener: ctx.listener,
    method: ctx.method,
    path: ctx.path,
    route: ctx.route,
    backend: ctx.backend,
    status,
    durationMs: Math.round(durationMs * 1000) / 1000,
    bytesIn: ctx.bytesIn,
    bytesOut: ctx.bytesOut,
    client: ctx.clientAddress,
  };
  if (ctx.errorCode) r.error = ctx.errorCode;
  if (ctx.clientAborted) r.aborted = true;
  const llm = ctx.llm;
  if (llm !== null) r.llm = { model: llm.model, provider: llm.provider, inputTokens: llm.inputTokens, outputTokens: llm.outputTokens };
  return r;
}

export function writeAccessLog(out: LogOutput, format: LogFormat, r: AccessRecord): void {
  if (format === 'off') return;
  if (format === 'json') {
    // The same line shape pino writes, built directly: an access record holds no header
    // values, so pino's redaction pass (a few µs per line) has nothing to do here. The
    // secret scrub in writeLine still runs.
    out.writeLine(`{"level":"info","time":"${r.time}","access":${JSON.stringify(r)},"msg":"request"}`);
    return;
  }
  out.writeLine(`${r.time} ${r.method} ${r.path} ${r.status} ${r.durationMs}ms route=${r.route ?? '-'} backend=${r.backend ?? '-'} in=${r.bytesIn} out=${r.bytesOut} client=${r.client} id=${r.requestId}${r.llm ? ` model=${r.llm.model} tokens=${r.llm.inputTokens ?? '-'}/${r.llm.outputTokens ?? '-'}` : ''}${r.error ? ` error=${r.error}` : ''}${r.aborted ? ' aborted' : ''}`);
}
