import { banded, cognito, costRow, HEAVY_USER, type OperationCost } from '../../bench/cost';
import prices from '../../bench/prices.json';

// The bench's bill (bench/cost.ts) on made-up operations: the arithmetic docs/performance.md's cost section rests on.
const op = (name: OperationCost['name'], cost: Partial<OperationCost>): OperationCost => ({
  name,
  readUnits: 0,
  writeUnits: 0,
  lambdaInvocations: 0,
  lambdaMs: 0,
  apiRequests: 0,
  emails: 0,
  logBytes: 0,
  ...cost,
});

describe('the cost model', () => {
  it("prices API Gateway requests in AWS's bands, not at the first band's price", () => {
    const rest = prices.apiGateway.rest.perMillionRequests;
    expect(banded(rest, 400e6, 1e6)).toBeCloseTo(333 * 3.5 + 67 * 2.8, 6);
    expect(banded(rest, 21e9, 1e6)).toBeCloseTo(333 * 3.5 + 667 * 2.8 + 19_000 * 2.38 + 1_000 * 1.51, 3);
    expect(banded(prices.apiGateway.http.perMillionRequests, 500e6, 1e6)).toBeCloseTo(300 + 200 * 0.9, 6);
  });

  it("charges Cognito's MAU above the free ones in every band, above 10M too", () => {
    expect(cognito(prices.cognito.lite, 10_000)).toBe(0);
    expect(cognito(prices.cognito.lite, 100_000)).toBeCloseTo(90_000 * 0.0055, 6);
    expect(cognito(prices.cognito.lite, 20_000_000)).toBeCloseTo(90_000 * 0.0055 + 900_000 * 0.0046 + 9_000_000 * 0.00325 + 10_000_000 * 0.0025, 3);
    expect(cognito(prices.cognito.plus, 1_000)).toBeCloseTo(20, 6);
  });

  it("counts the application's own requests on both sides, never in this service's part", () => {
    const app = op('application request', { apiRequests: 1, lambdaInvocations: 1, lambdaMs: 1, logBytes: 10 });
    const authorizer = op('authorizer, cache hit', { lambdaInvocations: 1, lambdaMs: 1 });
    const appOnly = costRow([app], HEAVY_USER, 100_000, 'rest');
    expect(appOnly.authOnly.total).toBeCloseTo(0, 9);
    expect(appOnly.withApplication.total).toBeCloseTo(appOnly.application.total, 9);
    expect(appOnly.application.apiGateway).toBeCloseTo(3000 * 100_000 * 3.5e-6, 6);
    // The authorizer is this service's: it is the whole difference.
    const both = costRow([app, authorizer], HEAVY_USER, 100_000, 'rest');
    const hits = 3000 * 100_000 * HEAVY_USER.cacheHitRate;
    expect(both.authOnly.lambda).toBeCloseTo(hits * (0.2e-6 + 0.001 * 0.5 * prices.lambda.perGbSecondArm64), 6);
    expect(both.authOnly.apiGateway).toBeCloseTo(0, 9);
  });

  it('prices an auth route at the marginal band, above the application requests', () => {
    const app = op('application request', { apiRequests: 1 });
    const signIn = op('sign-in', { apiRequests: 1 });
    // 10M MAU: 30G application requests already fill every REST band above 20G: a sign-in costs $1.51 per million.
    const row = costRow([app, signIn], HEAVY_USER, 10_000_000, 'rest');
    expect(row.authOnly.apiGateway).toBeCloseTo(30 * 10_000_000 * 1.51e-6, 3);
  });
});
