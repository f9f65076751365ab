// Handlers read their configuration at import (cold start); give the unit tier a minimal one.
process.env.TABLE_NAME ??= 'unit-test';
process.env.SIGNING_KEYS ??= '{"keys":[]}';
process.env.CORS_ORIGIN ??= 'http://localhost:8081';
