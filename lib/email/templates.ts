/**
 * Every email the service sends, in one place: short, plain text with an HTML twin, the product name
 * from config, no images, no tracking pixels, no link rewriting. Links carry their token in the URL
 * fragment, which browsers never send to a server and mail scanners that "click" links cannot spend
 * (only the front-end's POST does).
 */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * `username` is for addresses their owner has proved (verified) only: a name is chosen by whoever signs
 * up, so a mail to an address nobody has proved must carry no text of the requester's (else sign-up
 * would mail a stranger "Hello www.claim-prize.example,"). The verification mail never has one.
 */
export type EmailTemplate =
  | { kind: 'verify-email'; link: string; validForHours: number }
  | { kind: 'reset-password'; username: string | undefined; link: string; validForMinutes: number }
  | { kind: 'password-changed'; username: string | undefined }
  /** To the new address of an email change: nobody has proved it yet, so no username. */
  | { kind: 'confirm-email-change'; link: string; validForHours: number }
  /** To the old address: it shows the new one masked (maskEmail). */
  | { kind: 'email-change-notice'; username: string | undefined; newEmail: string }
  | { kind: 'account-deleted'; username: string | undefined };

/** The username, for a greeting, only once the address is verified: until then it is a stranger's text. */
export const provenName = (user: { username: string; emailVerified: boolean }) => (user.emailVerified ? user.username : undefined);

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);

/** Paragraphs of text, with at most one link, rendered as text and as HTML alike. */
function compose(to: string, subject: string, paragraphs: string[], product: string, link?: string): EmailMessage {
  const text = [...paragraphs, ...(link ? [link] : []), `— ${product}`].join('\n\n');
  const html = [
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`] : []),
    `<p>— ${escapeHtml(product)}</p>`,
  ].join('\n');
  return { to, subject, text, html: `<!doctype html>\n<html><body>\n${html}\n</body></html>` };
}

/**
 * An address as a notice to another address shows it: its first character and its domain
 * (`n***@example.com`), enough for the owner to recognise a change of their own, not to learn the address.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, Math.min(1, Math.max(at, 0)))}***${email.slice(Math.max(at, 0))}`;
}

const hello = (username?: string) => (username === undefined ? 'Hello,' : `Hello ${username},`);

export function renderEmail(to: string, template: EmailTemplate, product: string): EmailMessage {
  switch (template.kind) {
    case 'verify-email':
      return compose(
        to,
        `Confirm your email address for ${product}`,
        [
          hello(),
          `please confirm that this is your email address by opening the link below. It is valid for ${template.validForHours} hours.`,
          'If you did not create an account, you can ignore this email.',
        ],
        product,
        template.link,
      );
    case 'reset-password':
      return compose(
        to,
        `Reset your ${product} password`,
        [
          hello(template.username),
          `someone asked to reset the password of your account. To choose a new one, open the link below within ${template.validForMinutes} minutes.`,
          'If it was not you, ignore this email: your password stays as it is.',
        ],
        product,
        template.link,
      );
    case 'password-changed':
      return compose(
        to,
        `Your ${product} password was changed`,
        [
          hello(template.username),
          'the password of your account was just changed, and every session of your account was signed out.',
          'If this was not you, reset your password at once with "Forgot password", and tell your administrator.',
        ],
        product,
      );
    case 'confirm-email-change':
      return compose(
        to,
        `Confirm your new email address for ${product}`,
        [
          hello(),
          `someone asked to use this address for their ${product} account. To confirm, open the link below within ${template.validForHours} hours; until then nothing changes.`,
          'If it was not you, ignore this email.',
        ],
        product,
        template.link,
      );
    case 'email-change-notice':
      return compose(
        to,
        `Your ${product} email address is being changed`,
        [
          hello(template.username),
          `someone signed in to your account asked to change its email address to ${maskEmail(template.newEmail)}. It changes only when the link sent there is opened.`,
          'If this was not you, change your password at once (the change then cannot complete), and tell your administrator.',
        ],
        product,
      );
    case 'account-deleted':
      return compose(
        to,
        `Your ${product} account was deleted`,
        [
          hello(template.username),
          'your account was just deleted at your request: your profile, sessions and security history are gone, and you were signed out everywhere.',
          'If this was not you, someone knew your password: tell your administrator, and change that password wherever else you use it.',
        ],
        product,
      );
  }
}
