import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';

// The CI workflow is linted against GitHub's published schema, then held to what this project promises.
const path = join(__dirname, '../../.github/workflows/ci.yml');
const source = readFileSync(path, 'utf8');
type Step = { uses?: string; run?: string; with?: Record<string, string> };
const workflow = parse(source) as { jobs: Record<string, { needs?: string; if?: string; permissions?: Record<string, string>; steps: Step[] }> };

describe('.github/workflows/ci.yml', () => {
  it('is a valid workflow', () => {
    expect(validateWorkflow(source).errors).toEqual([]);
  });

  it('runs the README test command on every push and pull request', () => {
    const runs = workflow.jobs.test!.steps.map((step) => step.run).filter(Boolean);
    expect(runs).toEqual(['npm ci', 'npm test']);
    expect(workflow.jobs.test!.steps.some((step) => step.uses?.startsWith('actions/setup-java'))).toBe(true);
  });

  it('deploys prod from main only, after the tests, with OIDC and no stored AWS keys', () => {
    const deploy = workflow.jobs.deploy!;
    expect(deploy.needs).toBe('test');
    expect(deploy.if).toContain("github.ref == 'refs/heads/main'");
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const credentials = deploy.steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials'));
    // A role from the repository's variables: never a literal ARN, never a secret.
    expect(credentials?.with?.['role-to-assume']).toBe(`\${{ vars.AWS_DEPLOY_ROLE_ARN }}`);
    expect(source).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\.AWS/i);
    expect(deploy.steps.some((step) => /osls deploy --stage prod/.test(step.run ?? ''))).toBe(true);
  });

  it('refuses to deploy with neither APP_URL nor SERVICE_URL (where the emailed links open) before it touches AWS', () => {
    const steps = workflow.jobs.deploy!.steps as (Step & { env?: Record<string, string> })[];
    const check = steps.findIndex((step) => step.env?.APP_URL === `\${{ vars.APP_URL }}` && step.env?.SERVICE_URL === `\${{ vars.SERVICE_URL }}`);
    const credentials = steps.findIndex((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials'));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(check).toBeLessThan(credentials);
    const script = steps[check]!.run!;
    for (const [env, status] of [
      [{ APP_URL: '', SERVICE_URL: '' }, 1],
      [{ APP_URL: ' ', SERVICE_URL: '  ' }, 1],
      [{ APP_URL: 'https://app.example.com', SERVICE_URL: '' }, 0],
      [{ APP_URL: '', SERVICE_URL: 'https://auth.example.com' }, 0],
    ] as const) {
      expect([env, spawnSync('bash', ['-c', script], { env: { PATH: process.env.PATH, ...env } }).status]).toEqual([env, status]);
    }
    const deployStep = steps.find((step) => /osls deploy/.test(step.run ?? ''))!;
    expect(deployStep.env).toMatchObject({ APP_URL: `\${{ vars.APP_URL }}`, SERVICE_URL: `\${{ vars.SERVICE_URL }}` });
  });

  it.each([
    ['CORS_ORIGIN', 'https://app.example.com'],
    ['SES_FROM', 'no-reply@example.com'],
    ['WEBAUTHN_RP_ID', 'example.com'],
    ['WEBAUTHN_ORIGINS', 'https://app.example.com'],
  ])('refuses to deploy without %s before it touches AWS', (variable, realValue) => {
    const steps = workflow.jobs.deploy!.steps as (Step & { env?: Record<string, string> })[];
    const check = steps.findIndex((step) => step.env?.[variable] === `\${{ vars.${variable} }}` && /test -n/.test(step.run ?? ''));
    const credentials = steps.findIndex((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials'));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(check).toBeLessThan(credentials);
    // The check's shell really refuses an empty or blank value, and passes a real one.
    const script = steps[check]!.run!;
    for (const [value, status] of [
      ['', 1],
      ['  ', 1],
      [realValue, 0],
    ] as const) {
      expect(spawnSync('bash', ['-c', script], { env: { PATH: process.env.PATH, [variable]: value } }).status).toBe(status);
    }
    // And the deploy itself gets the variable.
    const deployStep = steps.find((step) => /osls deploy/.test(step.run ?? ''))!;
    expect(deployStep.env?.[variable]).toBe(`\${{ vars.${variable} }}`);
  });
});
