// Prometheus metrics, one registry per gateway instance (tests run several in one
// process). Label children are cached so the hot path does one Map lookup per update.
// Gauges that mirror state the gateway already keeps (requests in flight) are read at
// scrape time instead of being updated on every request. So are the per-request counters
// (requests, LLM tokens and cost): each series is a plain number (Tally) added to per
// request and handed to prom-client when scraped, since a prom-client inc re-hashes and
// re-validates its labels every time. They are counted only through observeRequest and
// observeLlm (their collect() replaces whatever else was put in them).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LlmCall, RequestObserver } from '../core/index.js';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = talliedCounter({ name: 'agentedge_requests_total', help: 'Downstream requests by listener, route and status.', labelNames: ['listener', 'route', 'status'] as const, registers: [this.registry] });
  readonly duration = new Histogram({ name: 'agentedge_request_duration_seconds', help: 'Time from accept to the end of the response.', labelNames: ['listener', 'route'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [this.registry] });
  readonly inFlight: Gauge<'listener'>;
  readonly upstreamErrors = new Counter({ name: 'agentedge_upstream_errors_total', help: 'Upstream failures by backend and error code.', labelNames: ['backend', 'code'] as const, registers: [this.registry] });
  readonly upstreamOverloaded = new Counter({ name: 'agentedge_upstream_overloaded_total', help: 'Requests refused with 503 by a concurrency cap (connections) without reaching the upstream, by backend, target (the backend, or an llm model) and reason (queue_full, queue_timeout).', labelNames: ['backend', 'target', 'reason'] as const, registers: [this.registry] });
  readonly upstreamQueued = new Gauge({ name: 'agentedge_upstream_queue_waiting', help: 'Requests waiting now in the queue of a concurrency cap (connections), by backend and target (the backend, or an llm model).', labelNames: ['backend', 'target'] as const, registers: [this.registry] });
  readonly upstreamRetries = new Counter({ name: 'agentedge_upstream_retries_total', help: 'Requests retried because they provably never reached the upstream.', labelNames: ['backend'] as const, registers: [this.registry] });
  readonly downstreamRejected = new Counter({ name: 'agentedge_downstream_rejected_total', help: 'Connections or requests refused by a listener limit (headers, timeouts, parse errors).', labelNames: ['listener', 'reason'] as const, registers: [this.registry] });
  readonly clientAborts = new Counter({ name: 'agentedge_client_aborts_total', help: 'Requests whose client left before the response finished.', labelNames: ['listener', 'route'] as const, registers: [this.registry] });
  readonly reloads = new Counter({ name: 'agentedge_config_reloads_total', help: 'Config reloads by result.', labelNames: ['result'] as const, registers: [this.registry] });
  readonly configInfo = new Gauge({ name: 'agentedge_config_last_reload_success', help: '1 when the last reload attempt succeeded, 0 when it failed.', registers: [this.registry] });

  readonly llmTokens = talliedCounter({ name: 'agentedge_llm_tokens_total', help: 'LLM tokens by backend, model (as the client named it), provider and kind (input includes cache_read and cache_write).', labelNames: ['backend', 'model', 'provider', 'kind'] as const, registers: [this.registry] });
  readonly llmCost = talliedCounter({ name: 'agentedge_llm_cost_usd_total', help: 'Cost of LLM calls in USD, for calls whose model has a known price.', labelNames: ['backend', 'model', 'provider'] as const, registers: [this.registry] });
  readonly llmUnpriced = talliedCounter({ name: 'agentedge_llm_unpriced_calls_total', help: 'LLM calls with usage but no known price (their cost is missing from agentedge_llm_cost_usd_total).', labelNames: ['backend', 'model', 'provider'] as const, registers: [this.registry] });

  readonly #children = new Map<string, { requests: Map<number, Tally>; duration: Histogram.Internal<'listener' | 'route'> }>();
  readonly #llmChildren = new Map<string, LlmChildren>();

  /** `inFlight` lists requests being handled per listener name; it is read on each scrape. */
  constructor(defaults = false, inFlight: () => Iterable<readonly [string, number]> = () => []) {
    this.inFlight = new Gauge({
      name: 'agentedge_requests_in_flight',
      help: 'Requests being handled now, including those draining on a listener a reload removed.',
      labelNames: ['listener'] as const,
      registers: [this.registry],
      collect() {
        // Reset first so a listener that is gone stops being reported.
        this.reset();
        for (const [listener, n] of inFlight()) this.inc({ listener }, n);
      },
    });
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'agentedge_process_' });
    this.configInfo.set(1);
    // Both results exist from the start, so rate() and alerts work before the first reload.
    this.reloads.inc({ result: 'ok' }, 0);
    this.reloads.inc({ result: 'failed' }, 0);
  }

  observeRequest(listener: string, route: string, status: number, seconds: number): void {
    const key = `${listener}\u0000${route}`;
    let c = this.#children.get(key);
    if (!c) {
      c = { requests: new Map(), duration: this.duration.labels(listener, route) };
      this.#children.set(key, c);
    }
    let r = c.requests.get(status);
    if (!r) {
      r = this.requests.tally({ listener, route, status: String(status) });
      c.requests.set(status, r);
    }
    r.inc();
    c.duration.observe(seconds);
  }

  /** Counts the tokens and cost of a finished LLM call (nothing when no usage was reported). */
  observeLlm(backend: string, llm: LlmCall): void {
    if (llm.inputTokens === null && llm.outputTokens === null) return;
    // Model names are config-bounded (unknown names are refused before ctx.llm exists).
    const key = `${backend}\u0000${llm.model}\u0000${llm.provider}`;
    let c = this.#llmChildren.get(key);
    if (c === undefined) {
      const labels = { backend, model: llm.model, provider: llm.provider };
      const tokens = (kind: string): Tally => this.llmTokens.tally({ ...labels, kind });
      c = {
        input: tokens('input'), output: tokens('output'), cacheRead: tokens('cache_read'), cacheWrite: tokens('cache_write'),
        cost: this.llmCost.tally(labels), unpriced: this.llmUnpriced.tally(labels),
      };
      this.#llmChildren.set(key, c);
    }
    if (llm.inputTokens) c.input.inc(llm.inputTokens);
    if (llm.outputTokens) c.output.inc(llm.outputTokens);
    if (llm.cacheReadTokens) c.cacheRead.inc(llm.cacheReadTokens);
    if (llm.cacheWriteTokens) c.cacheWrite.inc(llm.cacheWriteTokens);
    if (llm.costUsd === null) c.unpriced.inc();
    else if (llm.costUsd > 0) c.cost.inc(llm.costUsd);
  }
}

/**
 * The metrics as an observer subscriber: each request counted when it ends, and the
 * process-level events (upstream errors, retries, caps, listener refusals).
 */
export function metricsObserver(m: GatewayMetrics): RequestObserver {
  return {
    end(ctx) {
      const route = ctx.route ?? '-';
      m.observeRequest(ctx.listener, route, ctx.finalStatus(), ctx.durationMs() / 1000);
      if (ctx.clientAborted) m.clientAborts.labels(ctx.listener, route).inc();
      if (ctx.llm !== null && ctx.backend !== null) m.observeLlm(ctx.backend, ctx.llm);
    },
    upstreamError: (backend, code) => m.upstreamErrors.labels(backend, code).inc(),
    upstreamRetry: (backend) => m.upstreamRetries.labels(backend).inc(),
    upstreamOverloaded: (backend, target, reason) => m.upstreamOverloaded.labels(backend, target, reason).inc(),
    upstreamQueue: (backend, target, delta) => m.upstreamQueued.labels(backend, target).inc(delta),
    downstreamRejected: (listener, reason) => m.downstreamRejected.labels(listener, reason).inc(),
  };
}

interface LlmChildren {
  input: Tally;
  output: Tally;
  cacheRead: Tally;
  cacheWrite: Tally;
  cost: Tally;
  unpriced: Tally;
}

type Labels<T extends string> = Partial<Record<T, string | number>>;

/** A prom-client counter whose series are Tallies, published when it is scraped. */
type TalliedCounter<T extends string> = Counter<T> & { tally(labels: Labels<T>): Tally };

/**
 * One counter series, counted in a number. A series is published (in the order series
 * were first counted, as prom-client orders them) once it was counted at all; what
 * prom-client refuses (a negative or infinite amount) is refused the same way.
 */
class Tally {
  readonly #counter: Counter;
  readonly #published: Tally[];
  readonly labels: Labels<string>;
  value = 0;
  #counted = false;

  constructor(counter: Counter, published: Tally[], labels: Labels<string>) {
    this.#counter = counter;
    this.#published = published;
    this.labels = labels;
  }

  inc(amount = 1): void {
    // prom-client's own check, and its own error (NaN passes it, as it does there).
    if (amount < 0 || amount === Infinity) this.#counter.inc(this.labels, amount);
    if (!this.#counted) {
      this.#counted = true;
      this.#published.push(this);
    }
    this.value += amount;
  }
}

function talliedCounter<T extends string>(config: { name: string; help: string; labelNames: readonly T[]; registers: Registry[] }): TalliedCounter<T> {
  const published: Tally[] = [];
  const counter = new Counter<T>({
    ...config,
    collect() {
      this.reset();
      for (const t of published) this.inc(t.labels as Labels<T>, t.value);
    },
  });
  return Object.assign(counter, {
    tally: (labels: Labels<T>): Tally => new Tally(counter as unknown as Counter, published, labels),
  });
}
