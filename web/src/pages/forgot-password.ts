import { client, element, ok, onSubmit, text } from '../common/page';
import '../common/styles.css';

const form = element<HTMLFormElement>('#forgot-form');
onSubmit(form, async (data) => {
  // The same answer whatever the address: whether it has an account is not told here.
  const { message } = await ok(await client.api.POST('/api/auth/password/forgot', { body: { email: text(data, 'email') } }));
  form.hidden = true;
  element('#done').textContent = message;
});
