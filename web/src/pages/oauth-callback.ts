import { mfaStep } from '../common/mfa-step';
import { afterSignIn, client, element, errorOf, messageOf, pageUrl, RETURN_TO_KEY } from '../common/page';
import '../common/styles.css';

/**
 * A social sign-in's return page (`#code=…`, `#error=…&message=…`, or `#linked=…` after linking from the
 * account page): trades the one-time code for the session cookie, asks the second factor if the account
 * has one, and goes on where the sign-in page was asked to return to.
 */
const status = element('#status');
const returnTo = sessionStorage.getItem(RETURN_TO_KEY) || null;
sessionStorage.removeItem(RETURN_TO_KEY);
const goOn = () => location.assign(afterSignIn(returnTo));
const askSecondFactor = mfaStep(element<HTMLFormElement>('#mfa-form'), goOn);

const fragment = location.hash;
history.replaceState(null, '', location.pathname);
client.completeSocialSignIn(fragment).then(
  (result) => {
    if (result.status === 'linked') return location.assign(pageUrl('auth/account'));
    if (result.status === 'signedIn') return goOn();
    status.textContent = 'One more step.';
    askSecondFactor(result.challenge);
  },
  (failure: unknown) => {
    status.textContent = 'The sign-in did not complete.';
    errorOf(element('#status-box')).textContent = messageOf(failure);
  },
);
