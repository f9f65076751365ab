// Handlers read their configuration at import (cold start); give the unit tier a minimal one.
process.env.TABLE_NAME ??= 'unit-test';
process.env.SIGNING_KEYS ??= '{"keys":[]}';
process.env.CORS_ORIGIN ??= 'http://localhost:8081';
// Keep the unit tier's output to jest's own (tests that look at logs spy on the logger).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
