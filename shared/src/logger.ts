export { AccessLog, noteRefusal } from './access-log.js';
export { type LoggedError, ownMessage, serializeError } from './error-serializer.js';
export { type FieldSpec, LOG_FIELDS, logField } from './log-fields.js';
// The options live in their own module, so a service without Fastify (the egress proxy) can
// import them without pulling Fastify into its bundle through AccessLog.
export { type LoggerConfig, loggerOptions } from './logger-options.js';
