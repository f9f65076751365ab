'use strict';
/**
 * SES_FROM for serverless.yml: the sender of every email, and the SES identities the mailer may send
 * as (least privilege: `ses:SendEmail` on those identities only, never `*`).
 *
 * The local stage sends to the aws-ses-v2-local emulator, which accepts any sender, so it has a default.
 * A deployed stage has none: its sender must be an identity verified in SES, so packaging or deploying
 * any stage but `local` without SES_FROM fails.
 */
const LOCAL_DEFAULT = 'no-reply@localhost';
/** The local front-end of the tutorial's clients: the emailed links of the local stage open there. */
const LOCAL_APP_URL = 'http://localhost:8081';

async function sender({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const configured = (process.env.SES_FROM || '').trim();
  if (stage !== 'local' && !configured) {
    throw new Error(
      `SES_FROM must be set to deploy stage "${stage}": the sender address of the service's emails, an identity ` +
        'verified in Amazon SES (e.g. SES_FROM=no-reply@example.com). See docs/email.md, "Email".',
    );
  }
  if (configured && !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(configured)) {
    throw new Error(`SES_FROM must be a plain email address (no display name), got "${configured}"`);
  }
  return configured || LOCAL_DEFAULT;
}

/**
 * APP_URL, the front-end the emailed links open (`${APP_URL}/reset-password#token=…`). Required on a
 * deployed stage like the sender: the local default would mail every user a link to their own
 * localhost. An absolute http(s) URL, so a typo fails the packaging, not the first reset mail.
 */
async function appUrl({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const configured = (process.env.APP_URL || '').trim();
  if (stage !== 'local' && !configured) {
    throw new Error(
      `APP_URL must be set to deploy stage "${stage}": the front-end the emailed reset and verification links open ` +
        `(e.g. APP_URL=https://app.example.com). The ${LOCAL_APP_URL} default is for the local stage only. See docs/email.md, "Email".`,
    );
  }
  if (configured) {
    let url;
    try {
      url = new URL(configured);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new Error(`APP_URL must be an absolute http(s) URL, got "${configured}"`);
    }
  }
  return configured || LOCAL_APP_URL;
}

module.exports = {
  sender,
  appUrl,
  /**
   * The identities SES checks `ses:SendEmail` against for this sender: the address itself, or its
   * domain when the domain is what was verified. CloudFormation ARNs (Fn::Sub).
   */
  identityArns: async (context) => {
    const address = await sender(context);
    return [address, address.slice(address.indexOf('@') + 1)].map((identity) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:identity/${identity}`,
    }));
  },
};
