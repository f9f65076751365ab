import { client, element, ok, onSubmit, takeFragment } from '../common/page';
import '../common/styles.css';

// Spent by a click, not on load: a mail scanner that opens links must not use up the person's link.
const token = takeFragment().get('token') ?? '';
const form = element<HTMLFormElement>('#verify-form');
onSubmit(form, async () => {
  const { message } = await ok(await client.api.POST('/api/auth/email/verify', { body: { token } }));
  form.hidden = true;
  element('#done').textContent = message;
});
