import { browserSupportsWebAuthn, startAuthentication } from '@simplewebauthn/browser';
import type { SignInResult } from '../../../client/src/index';
import { mfaStep } from '../common/mfa-step';
import { afterSignIn, client, element, errorOf, messageOf, onSubmit, pageUrl, RETURN_TO_KEY, text } from '../common/page';
import '../common/styles.css';

/** Password, then the second factor if the account has one; a passkey; or a provider. */
const passwordForm = element<HTMLFormElement>('#password-form');
const otherWays = element('#other-ways');
const askSecondFactor = mfaStep(element<HTMLFormElement>('#mfa-form'), () => location.assign(afterSignIn()));

async function finish(result: SignInResult): Promise<void> {
  if (result.status === 'signedIn') return location.assign(afterSignIn());
  passwordForm.hidden = true;
  otherWays.hidden = true;
  askSecondFactor(result.challenge);
}

onSubmit(passwordForm, async (data) => finish(await client.signIn({ username: text(data, 'username'), password: text(data, 'password') })));

const otherError = errorOf(otherWays);
if (browserSupportsWebAuthn()) {
  const button = element<HTMLButtonElement>('#passkey');
  button.hidden = false;
  otherWays.hidden = false;
  button.addEventListener('click', () => {
    otherError.textContent = '';
    client.signInWithPasskey(startAuthentication).then(finish, (failure: unknown) => {
      // The person closed the browser's dialog: nothing to report.
      if (failure instanceof Error && failure.name === 'NotAllowedError') return;
      otherError.textContent = messageOf(failure);
    });
  });
}

client.providers().then(
  (providers) => {
    const list = element('#providers');
    for (const provider of providers) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = `Continue with ${provider.name}`;
      button.addEventListener('click', () => {
        // The return page reads where to go on from here: the provider's round trip loses the query.
        sessionStorage.setItem(RETURN_TO_KEY, new URLSearchParams(location.search).get('return_to') ?? '');
        location.assign(client.socialSignInUrl(provider.id, { redirectUri: pageUrl('auth/oauth-callback') }));
      });
      list.append(button);
    }
    if (providers.length > 0) otherWays.hidden = false;
  },
  () => undefined,
);
