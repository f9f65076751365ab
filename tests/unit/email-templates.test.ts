import { provenName, renderEmail } from '../../lib/email/templates';

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
