import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Config } from '../shared/config';
import type { EmailMessage } from './templates';

/** Sends one email; throws when SES (or the local emulator) refuses or cannot be reached. */
export type SendEmail = (message: EmailMessage, signal?: AbortSignal) => Promise<void>;

/**
 * Amazon SES v2 `SendEmail`; locally the same call to the aws-ses-v2-local emulator (only the endpoint
 * differs). Created once per cold start, only in the mailer function.
 */
export function createSesSender(settings: Pick<Config, 'region' | 'sesEndpoint' | 'sesFrom'>): SendEmail {
  const client = new SESv2Client({
    region: settings.region,
    maxAttempts: 3,
    ...(settings.sesEndpoint ? { endpoint: settings.sesEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return async (message, signal) => {
    await client.send(
      new SendEmailCommand({
        FromEmailAddress: settings.sesFrom,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
          },
        },
      }),
      signal ? { abortSignal: signal } : {},
    );
  };
}
