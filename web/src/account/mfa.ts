import { generate } from 'lean-qr';
import type { Profile } from '../../../client/src/index';
import { client, element, ok, text } from '../common/page';
import { submit } from './ui';

/**
 * Two-step verification. Off: set up an authenticator app (the password, then its QR code and key, then
 * a code from it), which answers the ten recovery codes, shown once. On: how many recovery codes are
 * left, a new set, or turning it off (each with the password).
 */
export function mfaPart(profile: Profile, changed: () => void): void {
  const heading = element('#mfa-title');
  const state = element('#mfa-state');
  const status = element('#mfa-status');
  const setupForm = element<HTMLFormElement>('#totp-setup-form');
  const setup = element('#totp-setup');
  const secret = element('#totp-secret');
  const canvas = element<HTMLCanvasElement>('#totp-qr');
  const recoveryBox = element('#recovery-box');
  const on = element('#mfa-on');
  const remaining = element('#recovery-remaining');

  function render(): void {
    state.textContent = profile.mfaEnabled
      ? 'On: signing in asks for a code from your authenticator app (or a recovery code) after the password.'
      : 'Off: your password alone signs you in.';
    setupForm.hidden = profile.mfaEnabled || !setup.hidden;
    on.hidden = !profile.mfaEnabled;
    if (profile.mfaEnabled) void countLeft();
  }

  async function countLeft(): Promise<void> {
    remaining.textContent = '';
    const left = await ok(await client.api.GET('/api/auth/mfa/recovery-codes')).catch(() => undefined);
    if (left) remaining.textContent = `Recovery codes left: ${left.remaining} of 10.`;
  }

  function showCodes(codes: string[]): void {
    const list = element('#recovery-codes');
    list.replaceChildren(
      ...codes.map((code) => {
        const item = document.createElement('li');
        const shown = document.createElement('code');
        shown.textContent = code;
        item.append(shown);
        return item;
      }),
    );
    recoveryBox.hidden = false;
    element('#recovery-title').focus();
  }

  function endSetup(): void {
    setup.hidden = true;
    secret.textContent = '';
    canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  }

  submit(setupForm, async (data) => {
    status.textContent = '';
    const answer = await ok(await client.api.POST('/api/auth/mfa/totp/setup', { body: { password: text(data, 'password') } }));
    setupForm.reset();
    generate(answer.otpauthUrl).toCanvas(canvas);
    // In groups of four, to type in: authenticator apps ignore the spaces.
    secret.textContent = answer.secret.replace(/(.{4})(?=.)/g, '$1 ');
    setupForm.hidden = true;
    setup.hidden = false;
    element('#totp-scan-title').focus();
  });

  const confirmForm = element<HTMLFormElement>('#totp-confirm-form');
  submit(confirmForm, async (data) => {
    const { recoveryCodes } = await ok(await client.api.POST('/api/auth/mfa/totp/confirm', { body: { code: text(data, 'code').replace(/\s/g, '') } }));
    confirmForm.reset();
    endSetup();
    profile.mfaEnabled = true;
    changed();
    render();
    status.textContent = 'Two-step verification is on. Your other sessions have ended.';
    showCodes(recoveryCodes);
  });

  element('#totp-cancel').addEventListener('click', () => {
    confirmForm.reset();
    endSetup();
    render();
    heading.focus();
  });

  element('#recovery-done').addEventListener('click', () => {
    element('#recovery-codes').replaceChildren();
    recoveryBox.hidden = true;
    heading.focus();
  });

  const recoveryForm = element<HTMLFormElement>('#recovery-form');
  submit(recoveryForm, async (data) => {
    status.textContent = '';
    const { recoveryCodes } = await ok(await client.api.POST('/api/auth/mfa/recovery-codes', { body: { password: text(data, 'password') } }));
    recoveryForm.reset();
    remaining.textContent = `Recovery codes left: ${recoveryCodes.length} of 10.`;
    showCodes(recoveryCodes);
  });

  const disableForm = element<HTMLFormElement>('#totp-disable-form');
  submit(disableForm, async (data) => {
    status.textContent = '';
    const { message } = await ok(await client.api.DELETE('/api/auth/mfa/totp', { body: { password: text(data, 'password') } }));
    disableForm.reset();
    element('#recovery-codes').replaceChildren();
    recoveryBox.hidden = true;
    profile.mfaEnabled = false;
    changed();
    render();
    status.textContent = `${message} Your other sessions have ended.`;
    heading.focus();
  });

  render();
}
