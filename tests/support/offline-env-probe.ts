/** The probe handler of tests/support/offline-env.ts: the environment the function runs with. */
export const handler = async (): Promise<Record<string, string | undefined>> => ({ ...process.env });
