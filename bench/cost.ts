/**
 * The cost model of `npm run bench`: what each operation consumes (DynamoDB request units as recorded by
 * bench/load-model.ts from the real calls: reported by DynamoDB Local, transactions by AWS's rule;
 * Lambda invocations and duration, API Gateway requests),
 * turned into a monthly bill for a stated usage model at the list prices in bench/prices.json, beside
 * Amazon Cognito user pools' MAU prices for the same users.
 */
import prices from './prices.json';

export interface Units {
  read: number;
  write: number;
}

/** One operation as the bill sees it: per occurrence. */
export interface OperationCost {
  name: string;
  readUnits: number;
  writeUnits: number;
  lambdaInvocations: number;
  /** Billed Lambda milliseconds (each invocation rounded up to 1 ms), from this machine's medians. */
  lambdaMs: number;
  apiRequests: number;
  /** Mails sent through SES. */
  emails: number;
}

/** The usage model, per monthly active user per month. */
export const USAGE_PER_MAU = {
  'sign-up': 0.1,
  'forgot-password': 0.05,
  'sign-in': 30,
  refresh: 300,
  'authorized request, authorizer cache hit': 2700,
  'authorized request, authorizer cache miss': 300,
} as const;

const MEMORY_GB = 0.5; // serverless.yml provider.memorySize

function monthlyAws(operations: OperationCost[], mau: number) {
  let reads = 0;
  let writes = 0;
  let invocations = 0;
  let gbSeconds = 0;
  let apiRequests = 0;
  let emails = 0;
  for (const op of operations) {
    const count = (USAGE_PER_MAU[op.name as keyof typeof USAGE_PER_MAU] ?? 0) * mau;
    reads += op.readUnits * count;
    writes += op.writeUnits * count;
    invocations += op.lambdaInvocations * count;
    gbSeconds += (op.lambdaMs / 1000) * MEMORY_GB * count;
    apiRequests += op.apiRequests * count;
    emails += op.emails * count;
  }
  const dynamodb = (reads / 1e6) * prices.dynamodbOnDemand.perMillionReadUnits + (writes / 1e6) * prices.dynamodbOnDemand.perMillionWriteUnits;
  const lambda = gbSeconds * prices.lambda.perGbSecondArm64 + (invocations / 1e6) * prices.lambda.perMillionRequests;
  const apiGateway = (apiRequests / 1e6) * prices.apiGatewayRest.perMillionRequests;
  const ses = (emails / 1000) * prices.ses.perThousandEmails;
  return { dynamodb, lambda, apiGateway, ses, total: dynamodb + lambda + apiGateway + ses };
}

/** Cognito's bill for `mau`: the free MAU, then each tier's price for the MAU inside it. */
function cognito(tier: { freeMau: number; tiers: number[][] }, mau: number): number {
  let cost = 0;
  let from = tier.freeMau;
  for (const [upTo, price] of tier.tiers as [number, number][]) {
    if (mau > from) cost += (Math.min(mau, upTo) - from) * price;
    from = Math.max(from, upTo);
  }
  return cost;
}

export function costTable(operations: OperationCost[]) {
  return [10_000, 100_000, 1_000_000].map((mau) => ({
    mau,
    thisService: monthlyAws(operations, mau),
    cognitoLite: cognito(prices.cognito.lite, mau),
    cognitoEssentials: cognito(prices.cognito.essentials, mau),
    cognitoPlus: cognito(prices.cognito.plus, mau),
  }));
}

export function printCostTable(operations: OperationCost[]): string {
  const money = (value: number) => `$${value.toFixed(2)}`;
  const lines = [
    `cost model, ${prices.region} list prices as of ${prices.asOf}; per MAU per month: ${Object.entries(USAGE_PER_MAU)
      .map(([name, count]) => `${count} ${name}`)
      .join(', ')}`,
    '',
    'operation                                   RRU    WRU  Lambda calls  billed ms  API requests  emails',
    ...operations.map(
      (op) =>
        `${op.name.padEnd(42)} ${op.readUnits.toFixed(1).padStart(5)} ${op.writeUnits.toFixed(1).padStart(6)} ${String(op.lambdaInvocations).padStart(13)} ${op.lambdaMs.toFixed(0).padStart(10)} ${String(op.apiRequests).padStart(13)} ${String(op.emails).padStart(7)}`,
    ),
    '',
    'MAU        this service (DynamoDB + Lambda + API Gateway + SES)        Cognito Lite  Essentials        Plus',
    ...costTable(operations).map((row) => {
      const service = row.thisService;
      const parts = `(${money(service.dynamodb)} + ${money(service.lambda)} + ${money(service.apiGateway)} + ${money(service.ses)})`;
      const ours = `${String(row.mau).padEnd(10)} ${money(service.total).padStart(10)} ${parts}`.padEnd(70);
      return `${ours}${money(row.cognitoLite).padStart(13)} ${money(row.cognitoEssentials).padStart(11)} ${money(row.cognitoPlus).padStart(11)}`;
    }),
  ];
  return lines.join('\n');
}
