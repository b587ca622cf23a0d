// The enrolment QR code: `{"server": "https://…", "code": "…"}`.

export type EnrollParse =
  | { ok: true; server: string; code: string }
  | { ok: false; error: 'empty' | 'not_json' | 'no_server' | 'bad_server' | 'no_code' };

export function normaliseServer(s: string): string | null {
  const t = s.trim();
  if (!t) return null;
  try {
    const u = new URL(t);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return t.replace(/\/+$/, '');
  } catch {
    return null;
  }
}

export function parseEnrollPayload(text: string): EnrollParse {
  const t = text.trim();
  if (!t) return { ok: false, error: 'empty' };
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return { ok: false, error: 'not_json' };
  }
  if (!v || typeof v !== 'object') return { ok: false, error: 'not_json' };
  const o = v as Record<string, unknown>;
  if (typeof o.server !== 'string' || !o.server.trim()) return { ok: false, error: 'no_server' };
  const server = normaliseServer(o.server);
  if (!server) return { ok: false, error: 'bad_server' };
  if (typeof o.code !== 'string' && typeof o.code !== 'number') return { ok: false, error: 'no_code' };
  const code = String(o.code).trim();
  if (!code) return { ok: false, error: 'no_code' };
  return { ok: true, server, code };
}
