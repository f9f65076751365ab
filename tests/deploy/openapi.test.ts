import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse } from 'yaml';

// docs/openapi.yaml is a valid OpenAPI 3.1 document, and it lists exactly the routes serverless.yml deploys.
const ROOT = join(__dirname, '../..');
const openapiPath = join(ROOT, 'docs/openapi.yaml');

function deployedRoutes(): string[] {
  // CloudFormation tags (!GetAtt, !Sub, ...) do not matter here; only the http events are read.
  const service = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    functions: Record<string, { events?: { http?: { path: string; method: string } }[] }>;
  };
  return Object.values(service.functions)
    .flatMap((fn) => fn.events ?? [])
    .filter((event) => event.http)
    .map((event) => `${event.http!.method.toUpperCase()} ${event.http!.path}`)
    .sort();
}

describe('docs/openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const api = (await SwaggerParser.validate(openapiPath)) as { openapi: string };
    expect(api.openapi).toBe('3.1.0');
  });

  it('documents exactly the routes in serverless.yml', () => {
    const document = parse(readFileSync(openapiPath, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(deployedRoutes());
  });
});
