// Logging. One pino logger for the process (JSON lines); the text access log writes plain
// lines to the same output. Known secret paths are redacted by pino, and every configured
// secret value (raw, base64, URL- and JSON-encoded) is scrubbed from every line on its way
// out, whatever wrote it: logs are never a leak path. The forms are those of secretForms,
// which include base64 embedded in a longer value (`Basic`/`Bearer` credentials).
import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACTED, secretForms } from '../config/index.js';

export type LogFormat = 'json' | 'text' | 'off';

export interface LoggerOptions {
  destination?: DestinationStream | NodeJS.WritableStream;
  level?: string;
  /** Current secret values; read on each line so a reload takes effect. */
  secrets: () => readonly string[];
}

/** The process log: the pino logger plus a raw line writer sharing its output and scrubbing. */
export interface LogOutput {
  readonly logger: Logger;
  /** Writes one plain line (no JSON envelope), scrubbed like every other line. */
  writeLine(text: string): void;
}

const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["api-key"]', 'req.headers.cookie',
  'headers.authorization', 'headers["x-api-key"]', 'headers["api-key"]', 'headers.cookie', '*.token', '*.apiKey', '*.password',
];

/**
 * Replaces secret values in a line. The forms are computed once per secrets list (a config
 * swaps the list whole), longest first so a form that contains another goes whole.
 */
export function secretScrubber(secrets: () => readonly string[]): (line: string) => string {
  let cachedFor: readonly string[] | null = null;
  let forms: string[] = [];
  return function scrubLine(line: string): string {
    const current = secrets();
    if (current !== cachedFor) {
      cachedFor = current;
      // JSON-escaped forms are among them: a secret with a quote or backslash is written escaped in a JSON line.
      forms = [...new Set(current.flatMap((s) => secretForms(s)))].sort((a, b) => b.length - a.length);
    }
    let out = line;
    for (const f of forms) if (out.includes(f)) out = out.replaceAll(f, REDACTED);
    return out;
  };
}

export function createLogger(o: LoggerOptions): LogOutput {
  // Async writes coalesce while one is pending, so a busy gateway makes few syscalls, and a
  // quiet one still writes each line at once (no minLength buffer holding the startup line).
  const dest = o.destination ?? pino.destination({ dest: 1, sync: false });
  const scrub = secretScrubber(o.secrets);
  const logger = pino({
    level: o.level ?? process.env.AGENTEDGE_LOG_LEVEL ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: scrub },
  }, dest);
  return {
    logger,
    writeLine: (text) => { dest.write(scrub(text) + '\n'); },
  };
}

export type { Logger };
