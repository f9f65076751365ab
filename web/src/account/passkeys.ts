import { browserSupportsWebAuthn, type PublicKeyCredentialCreationOptionsJSON, startRegistration } from '@simplewebauthn/browser';
import { AuthError } from '../../../client/src/index';
import type { components } from '../../../client/src/schema';
import { client, element, errorOf, messageOf, ok, text } from '../common/page';
import { act, button, row, time } from '../common/ui';
import { part, showList, submit } from './ui';

type Passkey = components['schemas']['Passkey'];
type Credential = components['schemas']['PasskeyRegistrationCredential'];

/** Passkeys: the list (rename, remove: refused when it is the last way to sign in), and adding one with the password. */
export function passkeysPart(): { load: () => Promise<void> } {
  const where = part('passkeys');
  const list = element('#passkeys');
  const form = element<HTMLFormElement>('#passkey-form');

  async function load(): Promise<void> {
    const { passkeys } = await ok(await client.api.GET('/api/auth/passkeys'));
    list.replaceChildren(...passkeys.map(passkeyRow));
    showList(list, element('#passkeys-empty'), passkeys.length);
  }

  function passkeyRow(passkey: Passkey): HTMLTableRowElement {
    const rename = button('Rename', 'secondary', `Rename ${passkey.name}`);
    const remove = button('Remove', 'danger', `Remove ${passkey.name}`);
    const tr = row([passkey.name, time(passkey.createdAt), time(passkey.lastUsedAt), rename]);
    tr.lastElementChild?.append(remove);
    rename.addEventListener('click', () => {
      where.error.textContent = '';
      if (where.status) where.status.textContent = '';
      tr.firstElementChild?.replaceChildren(renameForm(passkey));
      tr.querySelector('input')?.focus();
    });
    act(remove, where, async () => {
      const { message } = await ok(await client.api.DELETE('/api/auth/passkeys/{id}', { params: { path: { id: passkey.id } } }));
      await load();
      if (where.status) where.status.textContent = message;
    });
    return tr;
  }

  function renameForm(passkey: Passkey): HTMLFormElement {
    const rename = document.createElement('form');
    const id = `rename-${passkey.id}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = 'New name';
    const input = document.createElement('input');
    input.id = id;
    input.name = 'name';
    input.required = true;
    input.maxLength = 64;
    input.value = passkey.name;
    const save = document.createElement('button');
    save.type = 'submit';
    save.textContent = 'Save';
    const cancel = button('Cancel');
    cancel.addEventListener('click', () => {
      void load().then(() => where.heading.focus());
    });
    rename.append(label, input, save, cancel);
    errorOf(rename);
    submit(rename, async (data) => {
      await ok(await client.api.PATCH('/api/auth/passkeys/{id}', { params: { path: { id: passkey.id } }, body: { name: text(data, 'name') } }));
      await load();
      if (where.status) where.status.textContent = 'The passkey was renamed.';
      where.heading.focus();
    });
    return rename;
  }

  if (!browserSupportsWebAuthn()) {
    form.hidden = true;
    element('#passkeys-unsupported').hidden = false;
  }
  submit(form, async (data) => {
    if (where.status) where.status.textContent = '';
    const options = await ok(await client.api.POST('/api/auth/passkeys/register/options', { body: { password: text(data, 'password') } }));
    let response: Credential;
    try {
      // The schema lists the options' main fields with looser types (transports as strings): the JSON is the same.
      response = (await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON })) as Credential;
    } catch (failure) {
      throw new AuthError(0, authenticatorMessage(failure));
    }
    const name = text(data, 'name').trim();
    const made = await ok(await client.api.POST('/api/auth/passkeys/register/verify', { body: name ? { response, name } : { response } }));
    form.reset();
    await load();
    if (where.status) where.status.textContent = `The passkey "${made.name}" was added.`;
  });

  return { load };
}

/** What to tell the person when the browser's passkey step failed. */
function authenticatorMessage(failure: unknown): string {
  if (!(failure instanceof Error)) return messageOf(failure);
  if (failure.name === 'NotAllowedError') return 'No passkey was made: the request was cancelled or timed out.';
  if (failure.name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  return failure.message;
}
