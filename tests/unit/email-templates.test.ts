import { maskEmail, provenName, renderEmail } from '../../lib/email/templates';

describe('email templates', () => {
  it('renders text and HTML with the same link, the product name, and nothing else to load', () => {
    const link = 'https://app.example.com/reset-password#token=abc_DEF-123';
    const mail = renderEmail('ann@example.com', { kind: 'reset-password', username: 'ann', link, validForMinutes: 15 }, 'Acme ID');
    expect(mail).toMatchObject({ to: 'ann@example.com', subject: 'Reset your Acme ID password' });
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('15 minutes');
    expect(mail.text).toContain('Acme ID');
    expect(mail.html).toContain(`<a href="${link}">${link}</a>`);
    // No images, scripts, styles from elsewhere, or tracking parameters.
    expect(mail.html).not.toMatch(/<img|<script|<link|src=|utm_/i);
  });

  it('escapes what it puts into HTML', () => {
    const mail = renderEmail('x@example.com', { kind: 'password-changed', username: '<b>"x"&' }, 'A & B');
    expect(mail.html).toContain('&lt;b&gt;&quot;x&quot;&amp;');
    expect(mail.html).toContain('A &amp; B');
    expect(mail.html).not.toContain('<b>');
    expect(mail.text).toContain('<b>"x"&');
  });

  it('says how long a verification link is valid', () => {
    const mail = renderEmail('x@example.com', { kind: 'verify-email', link: 'https://a/verify-email#token=t', validForHours: 24 }, 'P');
    expect(mail.subject).toBe('Confirm your email address for P');
    expect(mail.text).toContain('24 hours');
    expect(mail.text).toMatch(/^Hello,\n/);
  });

  it('greets by name only when given one (the mailer gives it for verified addresses only)', () => {
    const link = 'https://a/reset-password#token=t';
    expect(renderEmail('x@example.com', { kind: 'reset-password', username: undefined, link, validForMinutes: 15 }, 'P').text).toMatch(/^Hello,\n/);
    expect(renderEmail('x@example.com', { kind: 'password-changed', username: undefined }, 'P').html).toContain('<p>Hello,</p>');
    expect(renderEmail('x@example.com', { kind: 'reset-password', username: 'ann', link, validForMinutes: 15 }, 'P').text).toMatch(/^Hello ann,\n/);
  });

  it('an email change: the link to the new address carries no requester text; the notice to the old one shows the new address masked', () => {
    const link = 'https://a/verify-email#token=t';
    const confirm = renderEmail('new@example.org', { kind: 'confirm-email-change', link, validForHours: 24 }, 'P');
    expect(confirm.subject).toBe('Confirm your new email address for P');
    expect(confirm.text).toMatch(/^Hello,\n/);
    expect(confirm.text).toContain(link);
    const notice = renderEmail('old@example.com', { kind: 'email-change-notice', username: 'ann', newEmail: 'nora.new@example.org' }, 'P');
    expect(notice.subject).toBe('Your P email address is being changed');
    expect(notice.text).toMatch(/^Hello ann,\n/);
    expect(notice.text).toContain('n***@example.org');
    expect(notice.text).not.toContain('nora.new');
    expect(notice.text).not.toMatch(/#token=/);
  });

  it('masks an address to its first character and its domain', () => {
    expect(maskEmail('nora@example.org')).toBe('n***@example.org');
    expect(maskEmail('n@x.io')).toBe('n***@x.io');
  });

  it('tells of a deleted account, with no link, greeting by the name of a verified address only', () => {
    const mail = renderEmail('x@example.com', { kind: 'account-deleted', username: provenName({ username: 'ann', emailVerified: false }) }, 'P');
    expect(mail.subject).toBe('Your P account was deleted');
    expect(mail.text).toMatch(/^Hello,\n/);
    expect(mail.text).toContain('your account was just deleted');
    expect(mail.html).not.toMatch(/<a |#token=/);
    expect(renderEmail('x@example.com', { kind: 'account-deleted', username: provenName({ username: 'ann', emailVerified: true }) }, 'P').text).toMatch(
      /^Hello ann,\n/,
    );
  });
});
