/**
 * The logging interface every layer takes. The server passes a pino logger; an embedder may
 * pass its own (anything with these four methods) or none, in which case errors and warnings
 * go to a quiet pino instance on stderr (level from TRIBUTARY_LOG_LEVEL, default 'warn').
 */
import { pino } from 'pino';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

let fallback: Logger | undefined;

/** A logger for library use when the embedder passed none. */
export function defaultLogger(): Logger {
  fallback ??= pino({ name: 'tributary', level: process.env.TRIBUTARY_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  return fallback;
}

/** A child logger when the logger supports it, else the logger itself. */
export function childLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  return log.child ? log.child(bindings) : log;
}
