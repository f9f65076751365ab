import type { Profile } from '../../../client/src/index';
import { client, element, ok, text } from '../common/page';
import { act } from '../common/ui';
import { submit } from './ui';

/** The profile (with the verification email's resend and the email change) and the password change. */
export function showProfile(profile: Profile): void {
  element('#profile-username').textContent = profile.username;
  element('#profile-email').textContent = profile.email;
  element('#profile-verified').textContent = profile.emailVerified ? 'Yes' : 'No';
  element('#profile-roles').textContent = profile.roles.map((role) => role.replace(/^ROLE_/, '').toLowerCase()).join(', ');
  element('#profile-mfa').textContent = profile.mfaEnabled ? 'On' : 'Off';
  element('#verify-box').hidden = profile.emailVerified;
}

export function profileForms(profile: Profile, signedOutEverywhere: (message: string) => void): void {
  const status = element('#resend-status');
  act(element<HTMLButtonElement>('#resend'), { heading: element('#profile-title'), status, error: element('#resend-error') }, async () => {
    const { message } = await ok(await client.api.POST('/api/auth/email/resend', { body: { email: profile.email } }));
    status.textContent = message;
  });

  const emailForm = element<HTMLFormElement>('#email-form');
  const emailStatus = element('#email-status');
  submit(emailForm, async (data) => {
    emailStatus.textContent = '';
    const { message } = await ok(
      await client.api.POST('/api/auth/email/change', { body: { newEmail: text(data, 'newEmail'), password: text(data, 'password') } }),
    );
    emailForm.reset();
    emailStatus.textContent = message;
  });

  // Every session of the user ends, this one included: nothing more to do on this page.
  submit(element<HTMLFormElement>('#password-form'), async (data) => {
    const { message } = await ok(
      await client.api.POST('/api/auth/password', { body: { currentPassword: text(data, 'currentPassword'), newPassword: text(data, 'newPassword') } }),
    );
    signedOutEverywhere(message);
  });
}
