// Logging. One pino logger for the process (JSON by default); the access log is a child
// with its own line shape. Known secret paths are redacted by pino, and every configured
// secret value is scrubbed from any line by a final pass (logs are never a leak path).
import { pino, type Logger, type DestinationStream } from 'pino';
import { scrubSecrets } from '../config/index.js';

export type LogFormat = 'json' | 'text' | 'off';

export interface LoggerOptions {
  destination?: DestinationStream | NodeJS.WritableStream;
  level?: string;
  /** Current secret values; read on each line so a reload takes effect. */
  secrets: () => readonly string[];
}

const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["api-key"]', 'req.headers.cookie',
  'headers.authorization', 'headers["x-api-key"]', 'headers["api-key"]', 'headers.cookie', '*.token', '*.apiKey', '*.password',
];

/** A destination that scrubs secret values before writing. */
function scrubbing(dest: DestinationStream | NodeJS.WritableStream, secrets: () => readonly string[]): DestinationStream {
  return {
    write(line: string) {
      const s = secrets();
      (dest).write(s.length === 0 ? line : scrubSecrets(line, s));
    },
  };
}

export function createLogger(o: LoggerOptions): Logger {
  const dest = o.destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return pino({
    level: o.level ?? process.env.AGENTEDGE_LOG_LEVEL ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  }, scrubbing(dest, o.secrets));
}

export type { Logger };
