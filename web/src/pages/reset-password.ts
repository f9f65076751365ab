import { client, element, FormError, ok, onSubmit, takeFragment, text } from '../common/page';
import '../common/styles.css';

// The emailed link: `auth/reset-password#token=…` (a fragment never reaches a server or a Referer).
const token = takeFragment().get('token') ?? '';
const form = element<HTMLFormElement>('#reset-form');
onSubmit(form, async (data) => {
  if (text(data, 'newPassword') !== text(data, 'confirm')) throw new FormError('The two passwords differ.');
  const { message } = await ok(await client.api.POST('/api/auth/password/reset', { body: { token, newPassword: text(data, 'newPassword') } }));
  form.hidden = true;
  element('#done').textContent = `${message} Sign in with your new password.`;
});
