import { readFileSync } from 'node:fs';
import { clientTypes, SCHEMA_PATH } from '../../../scripts/client-types';

// client/src/schema.d.ts is generated from docs/openapi.yaml and committed (front-ends import it without
// running the generator). This regenerates it in memory with openapi-typescript, as `npm run
// client:types` does, so that no one edits the YAML without the types, or the types by hand.
describe('the client types', () => {
  it('are what `npm run client:types` makes of docs/openapi.yaml today', async () => {
    const committed = readFileSync(SCHEMA_PATH, 'utf8');
    const generated = await clientTypes();
    // One message that says what to do, not a 2000-line diff.
    if (committed !== generated) throw new Error('client/src/schema.d.ts differs from docs/openapi.yaml: run `npm run client:types` and commit the result');
    expect(generated).toContain('"/api/auth/refreshtoken": {');
  });
});
