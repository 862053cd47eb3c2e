import { describe, expect, it } from 'vitest';
import { ApiError, HttpContext, call, createApi, queryString, readCookie, toApiError, uploadForm } from './http';

function fakeFetch(status: number, body: unknown, seen: Request[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    seen.push(req);
    const text = body === undefined ? null : JSON.stringify(body);
    return new Response(text, { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

describe('errors', () => {
  it('turns {code, message, details} into an ApiError', () => {
    const e = toApiError(422, {
      code: 'invalid',
      message: 'tools[0].type: unknown',
      details: { errors: [{ path: 'tools[0].type', message: 'unknown', line: 4 }], field: 'x' },
    });
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message]).toEqual([422, 'invalid', 'tools[0].type: unknown']);
    expect(e.errors).toEqual([{ path: 'tools[0].type', message: 'unknown', line: 4 }]);
    expect(e.field).toBe('x');
  });

  it('falls back to text or the status for other bodies', () => {
    expect(toApiError(502, '<html>Bad gateway</html>').message).toBe('<html>Bad gateway</html>');
    expect(toApiError(500, null, 'Internal Server Error').message).toBe('Internal Server Error');
    expect(toApiError(404, undefined).message).toBe('HTTP 404');
    expect(toApiError(404, undefined).errors).toEqual([]);
  });
});

describe('csrf', () => {
  it('reads the cookie when no login token is known', () => {
    expect(readCookie('a=1; accord_csrf=tok%3D; b=2', 'accord_csrf')).toBe('tok=');
    expect(readCookie('a=1', 'accord_csrf')).toBeNull();
    const ctx = new HttpContext(() => 'accord_csrf=fromcookie');
    expect(ctx.headersFor('POST')).toEqual({ 'X-CSRF-Token': 'fromcookie' });
    ctx.csrfToken = 'fromlogin';
    expect(ctx.headersFor('delete')).toEqual({ 'X-CSRF-Token': 'fromlogin' });
    expect(ctx.headersFor('GET')).toEqual({});
  });

  it('sends the header on writes only, through the typed client', async () => {
    const ctx = new HttpContext(() => '');
    ctx.csrfToken = 't1';
    const seen: Request[] = [];
    const api = createApi(ctx, { baseUrl: 'http://x', fetch: fakeFetch(200, { affected: 2 }, seen) });
    const out = await call(
      api.POST('/api/v1/projects/{project_id}/tasks/bulk', {
        params: { path: { project_id: 3 } },
        body: { task_ids: [1, 2], delete: true },
      }),
    );
    expect(out).toEqual({ affected: 2 });
    await call(api.GET('/api/v1/projects/{project_id}', { params: { path: { project_id: 3 } } }));
    expect(seen[0]?.url).toBe('http://x/api/v1/projects/3/tasks/bulk');
    expect(seen[0]?.headers.get('X-CSRF-Token')).toBe('t1');
    expect(seen[1]?.headers.get('X-CSRF-Token')).toBeNull();
    expect(seen[0]?.credentials).toBe('same-origin');
  });

  it('throws ApiError and reports a lost session', async () => {
    const ctx = new HttpContext(() => '');
    let lost = 0;
    ctx.onUnauthorized = () => lost++;
    const seen: Request[] = [];
    const api = createApi(ctx, {
      baseUrl: 'http://x',
      fetch: fakeFetch(401, { code: 'unauthorized', message: 'not logged in', details: {} }, seen),
    });
    await expect(call(api.GET('/api/v1/auth/me'))).rejects.toMatchObject({ status: 401, message: 'not logged in' });
    expect(lost).toBe(1);
    // a 401 from the login call is a wrong password, not a lost session
    await expect(
      call(api.POST('/api/v1/auth/login', { body: { email: 'a@b.c', password: 'x' } })),
    ).rejects.toBeInstanceOf(ApiError);
    expect(lost).toBe(1);
  });
});

describe('queryString', () => {
  it('leaves out empty values', () => {
    expect(queryString({ a: 1, b: '', c: null, d: undefined, e: 'x y', f: false })).toBe('?a=1&e=x+y&f=false');
    expect(queryString({})).toBe('');
  });
});

class FakeXhr {
  headers: Record<string, string> = {};
  method = '';
  url = '';
  withCredentials = false;
  status = 0;
  statusText = '';
  responseText = '';
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  sent: unknown = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: unknown) {
    this.sent = body;
  }
  abort() {
    this.onabort?.();
  }
}

describe('uploadForm', () => {
  it('reports progress, sends CSRF and resolves with the JSON body', async () => {
    const ctx = new HttpContext(() => 'accord_csrf=c');
    const xhr = new FakeXhr();
    const progress: number[] = [];
    const up = uploadForm<{ id: number }>(ctx, '/u', new FormData(), (p) => progress.push(p.loaded / p.total), () => xhr as unknown as XMLHttpRequest);
    expect(xhr.headers).toEqual({ 'X-CSRF-Token': 'c' });
    expect(xhr.withCredentials).toBe(true);
    xhr.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true });
    xhr.status = 202;
    xhr.responseText = '{"id": 4}';
    xhr.onload?.();
    await expect(up.done).resolves.toEqual({ id: 4 });
    expect(progress).toEqual([0.5]);
  });

  it('rejects with the API error, and on abort', async () => {
    const ctx = new HttpContext(() => '');
    const xhr = new FakeXhr();
    const up = uploadForm(ctx, '/u', new FormData(), () => {}, () => xhr as unknown as XMLHttpRequest);
    xhr.status = 413;
    xhr.responseText = '{"code":"too_large","message":"files[0]: too large","details":{}}';
    xhr.onload?.();
    await expect(up.done).rejects.toMatchObject({ status: 413, code: 'too_large' });
    const xhr2 = new FakeXhr();
    const up2 = uploadForm(ctx, '/u', new FormData(), () => {}, () => xhr2 as unknown as XMLHttpRequest);
    up2.abort();
    await expect(up2.done).rejects.toMatchObject({ code: 'aborted' });
  });
});
