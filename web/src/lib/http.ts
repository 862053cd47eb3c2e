/** The HTTP layer: the typed openapi-fetch client, CSRF, typed errors and uploads with progress. */

import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from '../api/schema';

/** Schemas of the API, by name (generated from openapi.json). */
export type Schemas = components['schemas'];

/** One located problem of a 422 (`details.errors[]`). */
export interface FieldError {
  path: string;
  message: string;
  line?: number;
}

/** An error answer of the API, `{code, message, details}`, with its HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The located problems of a validation error (empty when there are none). */
  get errors(): FieldError[] {
    const list = this.details['errors'];
    if (!Array.isArray(list)) return [];
    return list.filter(isFieldError);
  }

  /** The field the error names (`details.field`), if any. */
  get field(): string | null {
    const f = this.details['field'];
    return typeof f === 'string' ? f : null;
  }
}

function isFieldError(v: unknown): v is FieldError {
  return typeof v === 'object' && v !== null && typeof (v as FieldError).message === 'string';
}

/** Turn any error body into an ApiError (falls back to the status text for non-JSON bodies). */
export function toApiError(status: number, body: unknown, statusText = ''): ApiError {
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (typeof b['message'] === 'string') {
      const code = typeof b['code'] === 'string' ? b['code'] : 'error';
      const details =
        typeof b['details'] === 'object' && b['details'] !== null
          ? (b['details'] as Record<string, unknown>)
          : {};
      return new ApiError(status, code, b['message'], details);
    }
  }
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 300) : '';
  return new ApiError(status, status === 0 ? 'network' : 'error', text || statusText || `HTTP ${status}`);
}

/** The human message of anything thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_COOKIE = 'accord_csrf';

/** The value of cookie `name` in a `document.cookie` string. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** Per-app HTTP state: the CSRF token and what to do when the session is gone. */
export class HttpContext {
  csrfToken: string | null = null;
  onUnauthorized: (() => void) | null = null;
  constructor(private readonly cookies: () => string = () => (typeof document === 'undefined' ? '' : document.cookie)) {}

  /** The token to send: the one the login returned, else the `accord_csrf` cookie. */
  csrf(): string | null {
    return this.csrfToken ?? readCookie(this.cookies(), CSRF_COOKIE);
  }

  /** Headers a request of `method` needs. */
  headersFor(method: string): Record<string, string> {
    const token = UNSAFE.has(method.toUpperCase()) ? this.csrf() : null;
    return token ? { [CSRF_HEADER]: token } : {};
  }

  /** Report a 401 (except on the login call itself, whose 401 is a wrong password). */
  unauthorized(url: string): void {
    if (!url.includes('/auth/login')) this.onUnauthorized?.();
  }
}

/** The typed client for `paths`, with CSRF and 401 handling from `ctx`. */
export function createApi(ctx: HttpContext, options: { baseUrl?: string; fetch?: typeof fetch } = {}): Client<paths> {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? '',
    credentials: 'same-origin',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const mw: Middleware = {
    onRequest({ request }) {
      for (const [k, v] of Object.entries(ctx.headersFor(request.method))) request.headers.set(k, v);
      return request;
    },
    onResponse({ request, response }) {
      if (response.status === 401) ctx.unauthorized(request.url);
      return response;
    },
  };
  client.use(mw);
  return client;
}

/** What every openapi-fetch call resolves to. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Unwrap an openapi-fetch result: the data, or a thrown ApiError. */
export async function call<T>(pending: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await pending;
  } catch (e) {
    throw new ApiError(0, 'network', `network error: ${errorMessage(e)}`);
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error, result.response.statusText);
  return result.data as T;
}

/** Query values to a query string (undefined, null and '' are left out). */
export function queryString(query: Record<string, string | number | boolean | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Upload progress: bytes sent so far of `total`. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** An upload in flight: its result and a way to abort it. */
export interface Upload<T> {
  done: Promise<T>;
  abort(): void;
}

/** POST a form with XMLHttpRequest to report upload progress (fetch cannot). */
export function uploadForm<T>(
  ctx: HttpContext,
  url: string,
  form: FormData,
  onProgress: (p: UploadProgress) => void,
  makeXhr: () => XMLHttpRequest = () => new XMLHttpRequest(),
): Upload<T> {
  const xhr = makeXhr();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', url);
    xhr.withCredentials = true;
    for (const [k, v] of Object.entries(ctx.headersFor('POST'))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: keep the text */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else {
        if (xhr.status === 401) ctx.unauthorized(url);
        reject(toApiError(xhr.status, body, xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error during upload'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'upload cancelled'));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
