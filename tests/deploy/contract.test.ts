import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// docs/contract.md's endpoint table is the routes serverless.yml deploys: every route a row and every row
// a route, each with the guard the contract's auth column names (the authorizer, and the role the handler
// requires), so the contract a clone reads can never drift from what the service serves.

const ROOT = join(__dirname, '../..');

/** What the auth column promises: no authorizer, or the authorizer with what the handler then requires. */
type Guard = 'public' | 'signed-in' | 'moderator' | 'admin';

interface Route {
  route: string;
  guard: Guard;
}

const byRoute = (a: Route, b: Route) => a.route.localeCompare(b.route);

function deployedRoutes(): Route[] {
  const service = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    functions: Record<string, { handler: string; events?: { http?: { path: string; method: string; authorizer?: unknown } }[] }>;
  };
  return Object.values(service.functions)
    .flatMap((fn) =>
      (fn.events ?? []).flatMap((event) => {
        if (!event.http) return [];
        const source = readFileSync(join(ROOT, `${fn.handler.replace(/\.handler$/, '')}.ts`), 'utf8');
        const requires = /httpHandler\(\s*\{\s*requires:\s*'([\w-]+)'/.exec(source)?.[1] as Guard | undefined;
        // A route without the authorizer must not require a caller (its handler would refuse everyone),
        // and one with it must say what it requires; either way the pair below shows the mismatch.
        const guard: Guard = event.http.authorizer
          ? (requires ?? ('signed-in, yet no requires' as Guard))
          : requires
            ? ('public, yet requires' as Guard)
            : 'public';
        return [{ route: `${event.http.method.toUpperCase()} ${event.http.path}`, guard }];
      }),
    )
    .sort(byRoute);
}

function contractRoutes(): Route[] {
  const contract = readFileSync(join(ROOT, 'docs/contract.md'), 'utf8');
  const section = contract.slice(contract.indexOf('\n## Endpoints\n'));
  const table = section.slice(section.indexOf('\n| method, path |'));
  const rows = table.split('\n').slice(3);
  const end = rows.findIndex((row) => !row.startsWith('|'));
  return rows
    .slice(0, end)
    .flatMap((row) => {
      const [path, auth] = row.split(' | ');
      const routes = [...path!.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)(\?[^`]*)?`/g)].map((match) => `${match[1]} ${match[2]}`);
      if (routes.length === 0) throw new Error(`docs/contract.md: an endpoint row without a \`METHOD /path\`: ${row}`);
      const role = /^role `?(admin|moderator)`?/.exec(auth!)?.[1] as Guard | undefined;
      const guard: Guard = role ?? (auth!.startsWith('access token') ? 'signed-in' : 'public');
      return routes.map((route) => ({ route, guard }));
    })
    .sort(byRoute);
}

describe('docs/contract.md', () => {
  it('has an endpoint table', () => {
    expect(contractRoutes().length).toBeGreaterThan(20);
  });

  it('lists exactly the routes in serverless.yml, each with its authorizer and role', () => {
    expect(contractRoutes()).toEqual(deployedRoutes());
  });
});
