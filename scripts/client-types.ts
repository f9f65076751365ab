/**
 * The client's types, generated from the API description: `npm run client:types` writes
 * client/src/schema.d.ts from docs/openapi.yaml. The unit test tests/unit/client/schema.test.ts runs the
 * same generation in memory and fails when the committed file has drifted from the YAML.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const ROOT = join(__dirname, '..');
export const OPENAPI_PATH = join(ROOT, 'docs/openapi.yaml');
export const SCHEMA_PATH = join(ROOT, 'client/src/schema.d.ts');

const NOTE = '// From docs/openapi.yaml by `npm run client:types`; tests/unit/client/schema.test.ts fails when the two differ.\n\n';

/** The text of client/src/schema.d.ts for the docs/openapi.yaml on disk. */
export async function clientTypes(): Promise<string> {
  const ast = await openapiTS(readFileSync(OPENAPI_PATH, 'utf8'), {
    // A `type: object` with no properties (e.g. a credential's `clientExtensionResults`) becomes
    // Record<string, unknown>, not Record<string, never>, which no object with a member would fit.
    emptyObjectsUnknown: true,
    silent: true,
  });
  return `${COMMENT_HEADER}${NOTE}${astToString(ast)}`;
}

if (require.main === module) {
  clientTypes()
    .then((text) => {
      writeFileSync(SCHEMA_PATH, text);
      console.log(`wrote ${relative(process.cwd(), SCHEMA_PATH)} from ${relative(process.cwd(), OPENAPI_PATH)}`);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
