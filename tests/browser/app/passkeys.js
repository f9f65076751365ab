// The cookie client's passkeys, as a front-end writes them with @simplewebauthn/browser (global-setup.ts
// bundles this file with the library by esbuild for the page): register one (the password, then the
// authenticator), sign in with one usernameless, list them. Cookie mode: credentials on every request,
// no token header; the sign-in body goes to sessionStorage "user" like the password sign-in's.
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';

async function send(method, path, body) {
  const response = await fetch(window.API + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'include',
  });
  const result = { status: response.status, text: await response.text() };
  document.getElementById('out').textContent = `${result.status} ${result.text}`;
  return result;
}

window.app.passkeys = {
  /** Options (needs the password), the authenticator makes the credential, the service verifies and keeps it. */
  async register(password, name) {
    const options = await send('POST', '/api/auth/passkeys/register/options', { password });
    if (options.status !== 200) return options;
    const response = await startRegistration({ optionsJSON: JSON.parse(options.text) });
    return send('POST', '/api/auth/passkeys/register/verify', { response, name });
  },
  /** Usernameless: no name typed, the authenticator offers the passkey it holds for this site. */
  async signIn() {
    const options = await send('POST', '/api/auth/passkeys/signin/options');
    if (options.status !== 200) return options;
    const { challengeId, ...optionsJSON } = JSON.parse(options.text);
    const response = await startAuthentication({ optionsJSON });
    const result = await send('POST', '/api/auth/passkeys/signin/verify', { challengeId, response });
    if (result.status === 200) sessionStorage.setItem('user', result.text);
    document.getElementById('who').textContent = JSON.parse(sessionStorage.getItem('user') || 'null')?.username ?? '';
    return result;
  },
  list: () => send('GET', '/api/auth/passkeys'),
};
