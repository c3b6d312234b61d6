// The operator's log of what the observer reports and no client is told: internal errors,
// upstream credentials a backend could not obtain, state store failures, budgets that
// could not settle or cannot price a model. A subscriber like the access log; the lines
// and their fields are the ones operators already grep for.
import type { Logger } from 'pino';
import type { RequestObserver } from '../core/index.js';

export function operatorLogObserver(logger: Logger): RequestObserver {
  return {
    internalError: (ctx, err) => logger.error({ requestId: ctx.id, err: describe(err) }, 'internal error'),
    credentialsFailed: (requestId, backend, err) => {
      logger.warn({ requestId, backend, code: err.code, detail: err.message }, 'upstream credentials could not be obtained');
    },
    stateStoreError: (err) => logger.error({ err: describe(err) }, 'state store error'),
    budgetSettleFailed: (policy, err) => {
      logger.warn({ policy, err: err instanceof Error ? err.message : String(err) }, 'budget settle failed; the reservation expires by itself');
    },
    upstreamEvent: (backend, target, level, message) => logger[level]({ backend, upstream: target }, message),
    budgetUnpriced: (policy, model) => {
      logger.warn({ policy, model }, 'a budget applies to a model without a known price: its calls are not charged; set the model\'s price');
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
