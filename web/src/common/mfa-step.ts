import type { MfaChallenge } from '../../../client/src/index';
import { client, element, onSubmit, text } from './page';

/**
 * The second factor, for a sign-in that answered the MFA step (password, passkey or provider): one field
 * takes the app's 6-digit code or a recovery code. `form` is the page's `#mfa-form`.
 */
export function mfaStep(form: HTMLFormElement, done: () => void): (challenge: MfaChallenge) => void {
  let pending: MfaChallenge | undefined;
  onSubmit(form, async (data) => {
    if (!pending) return;
    const answer = text(data, 'code').trim();
    await client.verifyMfa(pending, /^\d{6}$/.test(answer) ? { code: answer } : { recoveryCode: answer });
    done();
  });
  return (challenge) => {
    pending = challenge;
    form.hidden = false;
    element<HTMLInputElement>('input[name="code"]', form).focus();
  };
}
