export {
  createLogger,
  DEFAULT_LOG_LEVEL,
  isLogLevel,
  LOG_LEVELS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  REDACTED,
  REDACTED_KEYS,
  redactPaths,
} from './create-logger.js';
export { DEFAULT_OUTAGE_REMINDER_MS, OutageLog, type OutageLogOptions } from './outage-log.js';
