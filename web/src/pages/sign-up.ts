import { client, element, onSubmit, text } from '../common/page';
import '../common/styles.css';

const form = element<HTMLFormElement>('#sign-up-form');
onSubmit(form, async (data) => {
  const { message } = await client.signUp({ username: text(data, 'username'), email: text(data, 'email'), password: text(data, 'password') });
  form.hidden = true;
  element('#done').textContent = `${message} We sent a link to ${text(data, 'email')} to verify your email. You can sign in now.`;
});
