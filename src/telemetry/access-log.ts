// The access log: one line per request when its response ends or is abandoned (a
// subscriber to the request observer's `end`). JSON fields are stable (dashboards parse
// them); the text format is one plain line for people (no JSON envelope). Both go
// through the logger's secret scrubbing.
import type { RequestContext, RequestObserver } from '../core/index.js';
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
  /** The authenticated caller: "apiKey:<key name>" or "jwt:<subject>"; absent when anonymous. */
  identity?: string;
  /** LLM calls only; see LlmCall (core/context.ts). */
  llm?: AccessLlm;
}

/**
 * The LLM call: the model the client asked for, the target that served it, its provider,
 * upstream attempts, tokens and cost when known (null: unknown, never a made-up 0), and
 * `estimated` only when the tokens are the gateway's estimate.
 */
export interface AccessLlm {
  model: string;
  target: string;
  provider: string;
  attempts: number;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  costUsd: number | null;
  estimated?: true;
}

/** The access log as an observer subscriber; `format` is read per request (a reload changes it). */
export function accessLogObserver(out: LogOutput, format: () => LogFormat): RequestObserver {
  return {
    end(ctx) {
      const f = format();
      if (f !== 'off') writeAccessLog(out, f, accessRecord(ctx, ctx.finalStatus(), ctx.durationMs()));
    },
  };
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
  if (ctx.identity !== null) r.identity = `${ctx.identity.kind}:${ctx.identity.name}`;
  const llm = ctx.llm;
  if (llm !== null) {
    r.llm = {
      model: llm.model, target: llm.target, provider: llm.provider, attempts: llm.attempts,
      inputTokens: llm.inputTokens, outputTokens: llm.outputTokens,
      cacheReadTokens: llm.cacheReadTokens, cacheWriteTokens: llm.cacheWriteTokens, costUsd: llm.costUsd,
    };
    if (llm.estimated) r.llm.estimated = true;
  }
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
  out.writeLine(`${r.time} ${r.method} ${r.path} ${r.status} ${r.durationMs}ms route=${r.route ?? '-'} backend=${r.backend ?? '-'} in=${r.bytesIn} out=${r.bytesOut} client=${r.client}${r.identity ? ` identity=${r.identity}` : ''} id=${r.requestId}${r.llm ? llmText(r.llm) : ''}${r.error ? ` error=${r.error}` : ''}${r.aborted ? ' aborted' : ''}`);
}

/** ` model=fast target=gpt-4o tokens=11/7 cost=$0.000006`; `~` marks estimated tokens. */
function llmText(l: AccessLlm): string {
  const target = l.target !== l.model ? ` target=${l.target}` : '';
  const tokens = `${l.estimated ? '~' : ''}${l.inputTokens ?? '-'}/${l.outputTokens ?? '-'}`;
  return ` model=${l.model}${target} tokens=${tokens} cost=${formatUsd(l.costUsd)}`;
}

/** Dollars with 6 decimals (a millionth of a dollar is the smallest cost worth reading); tinier costs in exponent form. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unknown';
  if (usd !== 0 && usd < 0.0000005) return `$${usd.toExponential(2)}`;
  return `$${usd.toFixed(6)}`;
}
