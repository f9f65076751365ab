// One small client that behaves like each of the tutorial's front-ends, chosen by <html data-mode>:
//   header  - React (plain): sign-in body in localStorage "user", `x-access-token` header
//   bearer  - Vue 3: the same, `Authorization: Bearer`
//   refresh - React with refresh tokens: on a 401 (not from sign-in), POST /api/auth/refreshtoken with
//             the refresh token of the *sign-in* answer, store only the new accessToken, retry once
//   cookie  - Angular 16 HttpOnly cookie: credentials on every request, no token header, sign-in body in
//             sessionStorage; LogOut is an <a href> whose click POSTs signout {} while the page reloads;
//             its interceptor answers a 401 by signing out ({}) and forgetting the user
// Tests call window.app.* as the pages' buttons would; every answer is also shown in #out.
(() => {
  const mode = document.documentElement.dataset.mode;
  const storage = mode === 'cookie' ? sessionStorage : localStorage;
  const user = () => JSON.parse(storage.getItem('user') || 'null');
  const show = (result) => {
    document.getElementById('out').textContent = `${result.status} ${result.text}`;
    return result;
  };

  async function send(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const current = user();
    if (current && (mode === 'header' || mode === 'refresh')) headers['x-access-token'] = current.accessToken;
    if (current && mode === 'bearer') headers.Authorization = `Bearer ${current.accessToken}`;
    const response = await fetch(window.API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: mode === 'cookie' ? 'include' : 'same-origin',
    });
    return { status: response.status, text: await response.text() };
  }

  async function call(method, path, body) {
    let result = await send(method, path, body);
    const current = user();
    if (mode === 'refresh' && result.status === 401 && path !== '/api/auth/signin' && current) {
      const refreshed = await send('POST', '/api/auth/refreshtoken', { refreshToken: current.refreshToken });
      if (refreshed.status === 200) {
        storage.setItem('user', JSON.stringify({ ...current, accessToken: JSON.parse(refreshed.text).accessToken }));
        result = await send(method, path, body);
      } else {
        storage.removeItem('user');
        result = refreshed;
      }
    }
    if (mode === 'cookie' && result.status === 401 && !path.startsWith('/api/auth/sign') && current) {
      await send('POST', '/api/auth/signout', {});
      storage.removeItem('user');
    }
    return show(result);
  }

  window.app = {
    signUp: (username, email, password) => call('POST', '/api/auth/signup', { username, email, password }),
    async signIn(username, password) {
      const result = await call('POST', '/api/auth/signin', { username, password });
      if (result.status === 200) storage.setItem('user', result.text);
      document.getElementById('who').textContent = user()?.username ?? '';
      return result;
    },
    profile: () => call('GET', '/api/auth/me'),
    content: (page) => call('GET', `/api/test/${page}`),
    async signOut() {
      const current = user();
      const result = await call('POST', '/api/auth/signout', mode === 'cookie' ? {} : { refreshToken: current?.refreshToken });
      storage.removeItem('user');
      return result;
    },
    storedUser: user,
  };

  // The Angular client's LogOut: the request goes out, and the empty href reloads the page at once.
  document.getElementById('logout').addEventListener('click', () => {
    void window.app.signOut();
  });
  document.getElementById('who').textContent = user()?.username ?? '';
})();
