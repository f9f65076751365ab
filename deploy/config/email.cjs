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
/** serverless-offline's address on the local stage (`npm start`; scripts/local-stack.ts sets its own port). */
const LOCAL_SERVICE_URL = 'http://localhost:8080';

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

/** An absolute http(s) URL from the environment, or undefined; `name` for the error. */
function absoluteUrl(name) {
  const configured = (process.env[name] || '').trim();
  if (!configured) return undefined;
  let url;
  try {
    url = new URL(configured);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new Error(`${name} must be an absolute http(s) URL, got "${configured}"`);
  }
  return configured.replace(/\/+$/, '');
}

/**
 * SERVICE_URL, this API's public base URL (with the stage path, e.g.
 * https://abc123.execute-api.us-east-1.amazonaws.com/prod, or a custom domain): the hosted pages' address
 * in emailed links, and the OpenID providers' callback. A deployed stage that mails links to the hosted
 * pages (no APP_URL) must set it: the local default would mail every user a link to their own localhost.
 */
async function serviceUrl({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const configured = absoluteUrl('SERVICE_URL');
  if (stage !== 'local' && !configured && !absoluteUrl('APP_URL')) {
    throw new Error(
      `SERVICE_URL must be set to deploy stage "${stage}": this API's public base URL, which the emailed reset and ` +
        'verification links open (its hosted pages, /auth/…), e.g. SERVICE_URL=https://auth.example.com. Or set APP_URL to ' +
        `your own front-end's. The ${LOCAL_SERVICE_URL} default is for the local stage only. See docs/email.md, "Email".`,
    );
  }
  return configured || LOCAL_SERVICE_URL;
}

/**
 * APP_URL, the front-end the emailed links open (`${APP_URL}/reset-password#token=…`): your own, or
 * empty for the hosted pages (lib/shared/config.ts makes it `${SERVICE_URL}/auth`).
 */
async function appUrl() {
  return absoluteUrl('APP_URL') ?? '';
}

module.exports = {
  sender,
  appUrl,
  serviceUrl,
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
