import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, filenameFrom } from './api';

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('Api', () => {
  it('signs in, keeps the token and sends it as Bearer', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    const f = vi.fn(async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      if (url === '/v1/office/session') return json(200, { token: 'tok1', expires_at: 'x', user: { name: '王', city: '武汉市' } });
      return json(200, { city: '武汉市', districts: [], items: [], years: [], tiles: null });
    });
    const api = new Api(f);
    const s = await api.signIn('王', 'pw');
    expect(s.user.city).toBe('武汉市');
    expect(JSON.parse(String(calls[0][1]?.body))).toEqual({ name: '王', password: 'pw' });
    await api.config();
    expect((calls[1][1]?.headers as Record<string, string>).Authorization).toBe('Bearer tok1');
  });

  it('turns the JSON error shape into ApiError with code and field', async () => {
    const api = new Api(async () => json(400, { error: { code: 'unknown_field', message: 'unknown field "x"', field: 'fields' } }));
    const e = await api.communities({}).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.field, e.message]).toEqual([400, 'unknown_field', 'fields', 'unknown field "x"']);
  });

  it('gives a code for a non-JSON error page and for a network failure', async () => {
    const html = new Api(async () => new Response('<html>Bad gateway</html>', { status: 502 }));
    expect((await html.config().catch((x) => x)).code).toBe('http_502');
    const down = new Api(async () => { throw new TypeError('Failed to fetch'); });
    const e = await down.config().catch((x) => x);
    expect([e.status, e.code]).toEqual([0, 'network']);
  });

  it('calls onUnauthorized on 401 except for the sign-in itself', async () => {
    const api = new Api(async () => json(401, { error: { code: 'session_expired', message: 'expired' } }));
    const seen: string[] = [];
    api.onUnauthorized = (e) => seen.push(e.code);
    await api.summary().catch(() => {});
    await api.signIn('a', 'b').catch(() => {});
    expect(seen).toEqual(['session_expired']);
  });

  it('encodes project ids with slashes as one path segment', async () => {
    let url = '';
    const api = new Api(async (u) => { url = u; return json(200, {}); });
    await api.editProject('0190/4/lease', { revision: 2, target_year: 2027 });
    expect(url).toBe('/v1/office/projects/0190%2F4%2Flease');
    await api.moveProject('0190/4/lease', 3, 'funded', '2026-11-20');
    expect(url).toBe('/v1/office/projects/0190%2F4%2Flease/status');
  });

  it('downloads with the token and the server-given Chinese file name', async () => {
    const api = new Api(async () => new Response('a,b\n', { status: 200, headers: { 'Content-Disposition': "attachment; filename*=UTF-8''%E7%A4%BE%E5%8C%BA.csv" } }));
    api.token = 't';
    const d = await api.exportFile({ entity: 'communities', format: 'csv' });
    expect(d.filename).toBe('社区.csv');
    expect(await d.blob.text()).toBe('a,b\n');
  });

  it('says when a 200 is not JSON', async () => {
    const api = new Api(async () => new Response('<html>', { status: 200 }));
    expect((await api.config().catch((x) => x)).code).toBe('bad_response');
  });
});

describe('filenameFrom', () => {
  it('prefers filename*, falls back to filename, then to the default', () => {
    expect(filenameFrom('attachment; filename="r.xlsx"', 'x')).toBe('r.xlsx');
    expect(filenameFrom(null, 'x')).toBe('x');
    expect(filenameFrom("attachment; filename=\"a.csv\"; filename*=UTF-8''%E6%8A%A5.csv", 'x')).toBe('报.csv');
  });
});
