/** A small HTTP client for the service under test (serverless-offline started by global-setup). */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function api(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.token) headers['x-access-token'] = options.token;
  const response = await fetch(`${process.env.E2E_URL}${path}`, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // plain-text content routes
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const signUp = (body: unknown, headers?: Record<string, string>) => api('POST', '/api/auth/signup', { body, ...(headers ? { headers } : {}) });
export const signIn = (username: string, password: string) => api('POST', '/api/auth/signin', { body: { username, password } });

export function admin(): { username: string; email: string; password: string } {
  return JSON.parse(process.env.E2E_ADMIN!) as { username: string; email: string; password: string };
}
