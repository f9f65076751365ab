'use strict';
/**
 * WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS for serverless.yml: the site passkeys are bound to and the page
 * origins a passkey ceremony may come from (lib/shared/config.ts checks that each origin is under the id).
 *
 * The local stage has defaults: `localhost`, and the CORS origins on localhost (the front-ends a developer
 * runs). A deployed stage has none: a passkey made for one id never works for another, so the id
 * is a decision to take once, before the first user registers one. Packaging or deploying any stage but
 * `local` without both fails. WEBAUTHN_RP_NAME (the name authenticators show) defaults to PRODUCT_NAME.
 */
const LOCAL_RP_ID = 'localhost';

function required(name, stage, example) {
  const value = (process.env[name] || '').trim();
  if (stage !== 'local' && !value) {
    throw new Error(
      `${name} must be set to deploy stage "${stage}" (e.g. ${name}=${example}): passkeys are bound to it, and one made for ` +
        'another value never works. See the README, "Passkeys".',
    );
  }
  return value;
}

module.exports = {
  rpId: async ({ resolveVariable }) => required('WEBAUTHN_RP_ID', await resolveVariable('sls:stage'), 'example.com') || LOCAL_RP_ID,
  // Empty locally when unset: the functions then take the CORS origins under the id (lib/shared/config.ts).
  origins: async ({ resolveVariable }) => required('WEBAUTHN_ORIGINS', await resolveVariable('sls:stage'), 'https://app.example.com'),
};
