import type { LinkedIdentity, Profile, SocialProvider } from '../../../client/src/index';
import { client, element, pageUrl, text } from '../common/page';
import { act, button, row, time } from '../common/ui';
import { part, showList, submit } from './ui';

/**
 * Accounts at OpenID providers: the linked ones (unlink: refused when it is the last way to sign in), and
 * linking another. A link is a round trip through the provider; the return page (auth/oauth-callback,
 * `#linked=…`) comes back here.
 */
export function identitiesPart(profile: Profile): { load: () => Promise<void> } {
  const where = part('identities');
  const list = element('#identities');
  const form = element<HTMLFormElement>('#link-form');
  const select = element<HTMLSelectElement>('#link-provider');
  let providers: SocialProvider[] = [];

  async function load(): Promise<void> {
    const [offered, linked] = await Promise.all([client.providers(), client.identities()]);
    providers = offered;
    list.replaceChildren(...linked.map(identityRow));
    showList(list, element('#identities-empty'), linked.length);
    const linkable = offered.filter((provider) => !linked.some((identity) => identity.provider === provider.id));
    select.replaceChildren(
      ...linkable.map((provider) => {
        const option = document.createElement('option');
        option.value = provider.id;
        option.textContent = provider.name;
        return option;
      }),
    );
    form.hidden = linkable.length === 0;
  }

  function identityRow(identity: LinkedIdentity): HTMLTableRowElement {
    const name = providers.find((provider) => provider.id === identity.provider)?.name ?? identity.provider;
    const unlink = button('Unlink', 'danger', `Unlink ${name}`);
    act(unlink, where, async () => {
      const { message } = await client.unlinkIdentity(identity.provider);
      await load();
      if (where.status) where.status.textContent = message;
    });
    return row([name, identity.email ?? '—', time(identity.linkedAt), unlink]);
  }

  submit(form, async (data) => {
    const password = text(data, 'password');
    const redirectUri = pageUrl('auth/oauth-callback');
    const { url } = await client.linkIdentity(text(data, 'provider'), password ? { password, redirectUri } : { redirectUri });
    // The account's email as the provider's login hint: its account chooser starts there (any other can be picked).
    const start = new URL(url);
    start.searchParams.set('login_hint', profile.email);
    location.assign(start.href);
  });

  return { load };
}
