// One log stream: pino for cvmflow's own logs and, through the Temporal Runtime logger, for the SDK's.
import pino, { type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

/** Field names whose values are never written, wherever they appear in a log record (two levels deep). */
export const REDACTED_KEYS = [
  'authorization', 'Authorization', 'x-api-key', 'X-API-Key', 'apiKey', 'api_key', 'token', 'password', 'secret',
  'privateKey', 'private_key', 'env', 'envs', 'env_vars', 'envVars', 'encrypted_env', 'headers.authorization', 'headers.x-api-key',
];

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Defaults to stdout; tests pass a stream to capture records. */
  destination?: NodeJS.WritableStream;
  name?: string;
}

export function createLogger(opts: LoggerOptions): PinoLogger {
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && !opts.destination && process.stdout.isTTY === true);
  const paths = REDACTED_KEYS.flatMap((k) => (k.includes('.') ? [k] : [k, `*.${k}`]));
  const base = { level: opts.level, name: opts.name ?? 'cvmflow', redact: { paths, censor: '[redacted]' } };
  if (pretty) {
    const transport = pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } });
    return pino(base, transport);
  }
  return opts.destination ? pino(base, opts.destination) : pino(base);
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/** The Temporal SDK's Logger interface over pino, so SDK, workflow and activity logs join one stream. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pinoLogger: PinoLogger) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.pinoLogger[LEVELS[level] ?? 'info'](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata): void { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata): void { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata): void { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata): void { this.log('ERROR', message, meta); }
}
