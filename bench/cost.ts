/**
 * The cost model of `npm run bench` (issue 22): what each operation consumes (DynamoDB request units as
 * recorded by bench/load-model.ts from the real calls; Lambda invocations and this machine's durations;
 * API Gateway requests; the bytes each function logs, measured), turned into a monthly bill at the
 * published, tiered list prices of bench/prices.json, for both gateway flavours, beside Amazon Cognito.
 *
 * Two comparisons. *Auth only*: what this service adds to an application's bill (its own routes, and on
 * each application request the authorizer's invocation and session reads), beside Cognito's MAU price.
 * *With the application's traffic*: the whole bill on both sides, the application's gateway requests
 * and content functions counted for Cognito too (an application behind Cognito pays them as well; its
 * gateway checks Cognito's tokens without a Lambda authorizer).
 */
import prices from './prices.json';

export interface Units {
  read: number;
  write: number;
}

/** One operation as the bill sees it: per occurrence. */
export interface OperationCost {
  name: OperationName;
  readUnits: number;
  writeUnits: number;
  lambdaInvocations: number;
  /** Billed Lambda milliseconds (each invocation rounded up to 1 ms), from this machine's medians. */
  lambdaMs: number;
  apiRequests: number;
  /** Mails sent through SES. */
  emails: number;
  /** Bytes written to CloudWatch Logs (measured; sampled DEBUG lines at the sample rate). */
  logBytes: number;
}

export const AUTH_OPERATIONS = ['sign-up', 'forgot-password', 'sign-in', 'MFA verify', 'refresh', 'sign-out'] as const;
export const AUTHORIZER_OPERATIONS = ['authorizer, cache hit', 'authorizer, cache miss'] as const;
/** The application's own request: its gateway request and its content function (both sides pay it). */
export const APPLICATION_REQUEST = 'application request';
export type OperationName = (typeof AUTH_OPERATIONS)[number] | (typeof AUTHORIZER_OPERATIONS)[number] | typeof APPLICATION_REQUEST;

export type Flavour = 'rest' | 'http';
export const FLAVOURS: { flavour: Flavour; name: string; behind: string }[] = [
  { flavour: 'rest', name: 'REST API', behind: 'behind a REST API' },
  { flavour: 'http', name: 'HTTP API', behind: 'behind an HTTP API' },
];

/** Who uses the service, per monthly active user and month. */
export interface UsageModel {
  name: string;
  perMau: Record<(typeof AUTH_OPERATIONS)[number], number> & { [APPLICATION_REQUEST]: number };
  /** The share of application requests the authorizer answers from its decision cache. */
  cacheHitRate: number;
}

/**
 * The heavy user: signs in once a day, with MFA one time in ten, signs out one time in ten, refreshes
 * every 15 minutes of a few active hours (ACCESS_TOKEN_TTL 900 s), and makes 100 application requests
 * a day; a tenth of the users are new each month and one in twenty asks for a password reset.
 */
export const HEAVY_USER: UsageModel = {
  name: 'heavy user, 90% authorizer cache hits',
  perMau: {
    'sign-up': 0.1,
    'forgot-password': 0.05,
    'sign-in': 30,
    'MFA verify': 3,
    refresh: 300,
    'sign-out': 3,
    [APPLICATION_REQUEST]: 3000,
  },
  cacheHitRate: 0.9,
};

/** The sensitivities: no cache hits; a light user (a tenth of the requests; as many sign-ups and resets). */
export const USAGE_MODELS: UsageModel[] = [
  HEAVY_USER,
  { ...HEAVY_USER, name: 'heavy user, 0% authorizer cache hits', cacheHitRate: 0 },
  {
    name: 'light user (a tenth of the requests), 90% hits',
    perMau: Object.fromEntries(
      Object.entries(HEAVY_USER.perMau).map(([name, count]) => [name, name === 'sign-up' || name === 'forgot-password' ? count : count / 10]),
    ) as UsageModel['perMau'],
    cacheHitRate: 0.9,
  },
];

export const MAU_LEVELS = [10_000, 100_000, 1_000_000, 10_000_000];

const MEMORY_GB = 0.5; // serverless.yml provider.memorySize

/** Occurrences a month per operation, at `mau`. */
export function occurrences(usage: UsageModel, mau: number): Record<OperationName, number> {
  const app = usage.perMau[APPLICATION_REQUEST] * mau;
  return {
    ...(Object.fromEntries(AUTH_OPERATIONS.map((name) => [name, usage.perMau[name] * mau])) as Record<(typeof AUTH_OPERATIONS)[number], number>),
    'authorizer, cache hit': app * usage.cacheHitRate,
    'authorizer, cache miss': app * (1 - usage.cacheHitRate),
    [APPLICATION_REQUEST]: app,
  };
}

/** A price with bands ([up to, price per unit]; null = no upper bound) for `units`, from the first unit. */
export function banded(bands: (number | null)[][], units: number, unitSize = 1): number {
  let cost = 0;
  let from = 0;
  for (const [upTo, price] of bands as [number | null, number][]) {
    const top = upTo ?? Number.POSITIVE_INFINITY;
    if (units > from) cost += ((Math.min(units, top) - from) / unitSize) * price;
    from = top;
  }
  return cost;
}

export interface Bill {
  dynamodb: number;
  lambda: number;
  apiGateway: number;
  logs: number;
  ses: number;
  total: number;
}

const LINES = ['dynamodb', 'lambda', 'apiGateway', 'logs', 'ses'] as const;

/** Each line of the bill for `counts` of the operations, the gateway requests priced in `flavour`'s bands. */
function bill(operations: OperationCost[], counts: Partial<Record<OperationName, number>>, flavour: Flavour): Bill & { requests: number } {
  let reads = 0;
  let writes = 0;
  let invocations = 0;
  let gbSeconds = 0;
  let requests = 0;
  let emails = 0;
  let bytes = 0;
  for (const op of operations) {
    const count = counts[op.name] ?? 0;
    reads += op.readUnits * count;
    writes += op.writeUnits * count;
    invocations += op.lambdaInvocations * count;
    gbSeconds += (op.lambdaMs / 1000) * MEMORY_GB * count;
    requests += op.apiRequests * count;
    emails += op.emails * count;
    bytes += op.logBytes * count;
  }
  const dynamodb = (reads / 1e6) * prices.dynamodbOnDemand.perMillionReadUnits + (writes / 1e6) * prices.dynamodbOnDemand.perMillionWriteUnits;
  const lambda = gbSeconds * prices.lambda.perGbSecondArm64 + (invocations / 1e6) * prices.lambda.perMillionRequests;
  const apiGateway = banded(prices.apiGateway[flavour].perMillionRequests, requests, 1e6);
  const logs = (bytes / 1e9) * prices.cloudwatchLogs.perGbIngested;
  const ses = (emails / 1000) * prices.ses.perThousandEmails;
  return { dynamodb, lambda, apiGateway, logs, ses, total: dynamodb + lambda + apiGateway + logs + ses, requests };
}

const minus = (a: Bill, b: Bill): Bill =>
  Object.fromEntries([...LINES, 'total'].map((line) => [line, a[line as keyof Bill] - b[line as keyof Bill]])) as unknown as Bill;

/** Cognito's bill for `mau`: the free MAU, then each band's price for the MAU inside it. */
export function cognito(plan: { freeMau: number; perMau: (number | null)[][] }, mau: number): number {
  return banded(plan.perMau, mau) - banded(plan.perMau, Math.min(mau, plan.freeMau));
}

export interface CostRow {
  mau: number;
  flavour: Flavour;
  /** This service's part of the bill: the whole bill less what the application alone would pay (API Gateway's bands included). */
  authOnly: Bill;
  /** The application alone: its gateway requests and content functions (what it pays behind Cognito too). */
  application: Bill;
  /** Everything: this service and the application, on one gateway. */
  withApplication: Bill;
  cognito: { lite: number; essentials: number; plus: number };
}

export function costRow(operations: OperationCost[], usage: UsageModel, mau: number, flavour: Flavour): CostRow {
  const counts = occurrences(usage, mau);
  const withApplication = bill(operations, counts, flavour);
  const application = bill(operations, { [APPLICATION_REQUEST]: counts[APPLICATION_REQUEST] }, flavour);
  return {
    mau,
    flavour,
    authOnly: minus(withApplication, application),
    application,
    withApplication,
    cognito: {
      lite: cognito(prices.cognito.lite, mau),
      essentials: cognito(prices.cognito.essentials, mau),
      plus: cognito(prices.cognito.plus, mau),
    },
  };
}

export function costTable(operations: OperationCost[], usage: UsageModel = HEAVY_USER): CostRow[] {
  return FLAVOURS.flatMap(({ flavour }) => MAU_LEVELS.map((mau) => costRow(operations, usage, mau, flavour)));
}

/** Each operation's part of the auth-only bill, line by line (API Gateway at the marginal band price). */
export function billItems(operations: OperationCost[], usage: UsageModel, mau: number, flavour: Flavour): { item: string; cost: number }[] {
  const counts = occurrences(usage, mau);
  const row = costRow(operations, usage, mau, flavour);
  const requests = operations.reduce((sum, op) => sum + (op.name === APPLICATION_REQUEST ? 0 : op.apiRequests * counts[op.name]), 0);
  const perRequest = requests > 0 ? row.authOnly.apiGateway / requests : 0;
  const items: { item: string; cost: number }[] = [];
  for (const op of operations) {
    if (op.name === APPLICATION_REQUEST) continue;
    const count = counts[op.name];
    const alone = bill([op], { [op.name]: count }, flavour);
    items.push({ item: `${op.name}: DynamoDB (${op.readUnits.toFixed(1)} RRU + ${op.writeUnits.toFixed(1)} WRU each)`, cost: alone.dynamodb });
    items.push({ item: `${op.name}: Lambda (${op.lambdaInvocations} calls, ${op.lambdaMs} ms each)`, cost: alone.lambda });
    items.push({ item: `${op.name}: API Gateway`, cost: op.apiRequests * count * perRequest });
    items.push({ item: `${op.name}: CloudWatch Logs (${op.logBytes.toFixed(0)} B each)`, cost: alone.logs });
    items.push({ item: `${op.name}: SES`, cost: alone.ses });
  }
  return items.filter(({ cost }) => cost > 0).sort((a, b) => b.cost - a.cost);
}

/**
 * Cognito's request rates for a usage level, per quota category: the month's average and a peak of
 * `peak` times it, against the default quota, and what provisioned capacity for the peak would cost.
 */
export function cognitoQuotaRows(usage: UsageModel, mau: number, peak = 10) {
  const counts = occurrences(usage, mau);
  const seconds = 30 * 86_400;
  return Object.entries(prices.cognitoQuotas.categories).map(([category, { defaultRps, operations }]) => {
    const average = operations.reduce((sum, name) => sum + (counts[name as OperationName] ?? 0), 0) / seconds;
    const over = Math.max(0, Math.ceil(average * peak - defaultRps));
    return { category, defaultRps, average, peakRps: average * peak, increaseRps: over, increaseCost: over * prices.cognitoQuotas.perRpsMonth };
  });
}

/** The issue's targets, at 100k MAU with the heavy user. */
export const TARGETS = { mau: 100_000, restAuthOnlyOfLite: 0.7, httpAuthOnlyOfLite: 0.4 };

export interface TargetOutcome {
  text: string;
  value: number;
  met: boolean;
  stoppedBy?: string;
}

export function costTargets(operations: OperationCost[]): TargetOutcome[] {
  const row = (flavour: Flavour) => costRow(operations, HEAVY_USER, TARGETS.mau, flavour);
  const rest = row('rest');
  const http = row('http');
  const stopper = (flavour: Flavour, allowed: number, actual: number) => {
    const [top, second] = billItems(operations, HEAVY_USER, TARGETS.mau, flavour);
    const share = (cost: number) => `${((cost / actual) * 100).toFixed(0)}%`;
    return `${top?.item}, ${money(top?.cost ?? 0)} of the ${money(actual)} bill (${share(top?.cost ?? 0)}; the target allows ${money(allowed)}); next ${second?.item}, ${money(second?.cost ?? 0)} (${share(second?.cost ?? 0)})`;
  };
  const outcome = (text: string, value: number, limit: number, flavour: Flavour, allowed: number, actual: number): TargetOutcome => {
    const met = value <= limit;
    return { text, value, met, ...(met ? {} : { stoppedBy: stopper(flavour, allowed, actual) }) };
  };
  const lite = rest.cognito.lite;
  return [
    outcome(
      `REST, auth only ≤ ${TARGETS.restAuthOnlyOfLite}× Cognito Lite`,
      rest.authOnly.total / lite,
      TARGETS.restAuthOnlyOfLite,
      'rest',
      TARGETS.restAuthOnlyOfLite * lite,
      rest.authOnly.total,
    ),
    outcome(
      `HTTP, auth only ≤ ${TARGETS.httpAuthOnlyOfLite}× Cognito Lite`,
      http.authOnly.total / lite,
      TARGETS.httpAuthOnlyOfLite,
      'http',
      TARGETS.httpAuthOnlyOfLite * lite,
      http.authOnly.total,
    ),
    {
      text: 'HTTP, with the application: below Cognito Lite + the same HTTP API and content functions',
      value: http.withApplication.total / (lite + http.application.total),
      met: http.withApplication.total < lite + http.application.total,
    },
  ];
}

function money(value: number): string {
  return `$${value >= 100 ? value.toFixed(0) : value.toFixed(2)}`;
}

const pad = (text: string, width: number) => text.padStart(width);

export function printCostTables(operations: OperationCost[], sampleRate: number): string {
  const out: string[] = [];
  out.push(
    `cost model: ${prices.region} list prices as of ${prices.asOf} (bench/prices.json, with their sources); Lambda at ${MEMORY_GB * 1024} MB arm64 with this machine's durations (a lower bound: Lambda's CPU share is smaller)`,
    '',
    'per operation (each occurrence)              RRU    WRU  Lambda calls  billed ms  API requests  emails  log bytes',
  );
  for (const op of operations) {
    out.push(
      `${op.name.padEnd(42)} ${pad(op.readUnits.toFixed(1), 5)} ${pad(op.writeUnits.toFixed(1), 6)} ${pad(String(op.lambdaInvocations), 13)} ${pad(op.lambdaMs.toFixed(0), 10)} ${pad(String(op.apiRequests), 13)} ${pad(String(op.emails), 7)} ${pad(op.logBytes.toFixed(0), 10)}`,
    );
  }
  out.push(
    '',
    `log bytes: measured from the functions' own lines with a Lambda context (the Powertools JSON lines as written on Lambda), served requests' DEBUG lines at the sample rate ${sampleRate}; Lambda's START/END/REPORT lines: none (system log level WARN); the mailer's one line per mail is not measured`,
    `usage model (${HEAVY_USER.name}), per MAU per month: ${Object.entries(HEAVY_USER.perMau)
      .map(([name, count]) => `${count} ${name}`)
      .join(
        ', ',
      )}; each application request runs the authorizer (${HEAVY_USER.cacheHitRate * 100}% from its decision cache, a miss reads the session) and the route's content function (1 ms)`,
  );
  for (const { flavour, name, behind } of FLAVOURS) {
    const rows = costTable(operations).filter((row) => row.flavour === flavour);
    out.push(
      '',
      `auth only, ${behind}: this service's part of the bill (its routes, the authorizer on each application request) beside Cognito's MAU price`,
      'MAU          this service (DynamoDB + Lambda + API Gateway + Logs + SES)        of Lite    Cognito Lite   Essentials         Plus',
    );
    for (const row of rows) {
      const b = row.authOnly;
      const parts = `(${money(b.dynamodb)} + ${money(b.lambda)} + ${money(b.apiGateway)} + ${money(b.logs)} + ${money(b.ses)})`;
      out.push(
        `${String(row.mau).padEnd(12)} ${pad(money(b.total), 9)} ${parts.padEnd(56)} ${pad(row.cognito.lite > 0 ? `${(b.total / row.cognito.lite).toFixed(2)}×` : '—', 8)} ${pad(money(row.cognito.lite), 14)} ${pad(money(row.cognito.essentials), 12)} ${pad(money(row.cognito.plus), 12)}`,
      );
    }
    out.push(
      '',
      `with the application's traffic, ${behind}: the whole bill on both sides (the application: its ${name} requests and content functions, ${money(rows[1]!.application.total)} at 100k MAU)`,
      'MAU          this service + application    Cognito Lite + application   Essentials + app     Plus + app',
    );
    for (const row of rows) {
      const app = row.application.total;
      out.push(
        `${String(row.mau).padEnd(12)} ${pad(money(row.withApplication.total), 26)} ${pad(money(row.cognito.lite + app), 29)} ${pad(money(row.cognito.essentials + app), 18)} ${pad(money(row.cognito.plus + app), 14)}`,
      );
    }
  }
  out.push(
    '',
    'sensitivity: the same totals under other usage models',
    'usage model                                          MAU         REST auth only  of Lite   HTTP auth only  of Lite   HTTP + app  Lite + HTTP + app',
  );
  for (const usage of USAGE_MODELS) {
    for (const mau of [100_000, 1_000_000]) {
      const rest = costRow(operations, usage, mau, 'rest');
      const http = costRow(operations, usage, mau, 'http');
      const lite = rest.cognito.lite;
      out.push(
        `${usage.name.padEnd(52)} ${String(mau).padEnd(10)} ${pad(money(rest.authOnly.total), 15)} ${pad(`${(rest.authOnly.total / lite).toFixed(2)}×`, 8)} ${pad(money(http.authOnly.total), 16)} ${pad(`${(http.authOnly.total / lite).toFixed(2)}×`, 8)} ${pad(money(http.withApplication.total), 12)} ${pad(money(lite + http.application.total), 18)}`,
      );
    }
  }
  out.push(
    '',
    "Cognito's request quotas (per account and Region; this service has none of its own beyond DynamoDB's and Lambda's): the month's average rate, and a peak of 10× it",
    'usage model                                          MAU         category             default   average      peak  paid increase for the peak',
  );
  for (const usage of USAGE_MODELS) {
    for (const mau of MAU_LEVELS) {
      for (const quota of cognitoQuotaRows(usage, mau)) {
        if (quota.peakRps < quota.defaultRps / 10) continue;
        out.push(
          `${usage.name.padEnd(52)} ${String(mau).padEnd(10)} ${quota.category.padEnd(20)} ${pad(String(quota.defaultRps), 8)} ${pad(quota.average.toFixed(1), 9)} ${pad(quota.peakRps.toFixed(0), 9)}  ${quota.increaseRps > 0 ? `+${quota.increaseRps} RPS: ${money(quota.increaseCost)} a month` : 'none'}`,
        );
      }
    }
  }
  out.push('', `targets at ${TARGETS.mau} MAU, heavy user (issue 22)`);
  for (const target of costTargets(operations)) {
    out.push(`${target.met ? 'met' : 'NOT met'}: ${target.text} (${target.value.toFixed(3)}×)${target.stoppedBy ? `; stopped by ${target.stoppedBy}` : ''}`);
  }
  // What issue 22's "refresh in one write" (at most 2 write units and 1 read unit) would make of the
  // targets: printed only while the measured refresh costs more than that.
  const refresh = operations.find((op) => op.name === 'refresh');
  if (refresh && (refresh.readUnits > 1 || refresh.writeUnits > 2)) {
    const oneWrite = operations.map((op) => (op === refresh ? { ...op, readUnits: 1, writeUnits: 2 } : op));
    out.push(
      `if a refresh cost 1 RRU + 2 WRU (issue 22, point 2): ${costTargets(oneWrite)
        .slice(0, 2)
        .map((target) => `${target.text}: ${target.value.toFixed(3)}×, ${target.met ? 'met' : 'NOT met'}`)
        .join('; ')}`,
    );
  }
  out.push('', `auth-only bill at ${TARGETS.mau} MAU, heavy user, HTTP API, by line (largest first):`);
  for (const { item, cost } of billItems(operations, HEAVY_USER, TARGETS.mau, 'http').slice(0, 8)) out.push(`  ${pad(money(cost), 8)}  ${item}`);
  return out.join('\n');
}
