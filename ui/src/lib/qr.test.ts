import { describe, it, expect } from 'vitest';
import { parseEnrollPayload, normaliseServer } from './qr';

describe('enrolment QR payload', () => {
  it('reads server and code', () => {
    expect(parseEnrollPayload('{"server":"https://buqi.wuhan.gov.cn/","code":"K7Q-22XM"}')).toEqual({
      ok: true, server: 'https://buqi.wuhan.gov.cn', code: 'K7Q-22XM',
    });
    expect(parseEnrollPayload('  {"server": "http://127.0.0.1:8787", "code": 123456}\n')).toEqual({
      ok: true, server: 'http://127.0.0.1:8787', code: '123456',
    });
  });

  it('names what is wrong', () => {
    expect(parseEnrollPayload('')).toEqual({ ok: false, error: 'empty' });
    expect(parseEnrollPayload('K7Q-22XM')).toEqual({ ok: false, error: 'not_json' });
    expect(parseEnrollPayload('"just a string"')).toEqual({ ok: false, error: 'not_json' });
    expect(parseEnrollPayload('{"code":"x"}')).toEqual({ ok: false, error: 'no_server' });
    expect(parseEnrollPayload('{"server":"ftp://x","code":"x"}')).toEqual({ ok: false, error: 'bad_server' });
    expect(parseEnrollPayload('{"server":"https://x"}')).toEqual({ ok: false, error: 'no_code' });
    expect(parseEnrollPayload('{"server":"https://x","code":"  "}')).toEqual({ ok: false, error: 'no_code' });
  });

  it('normalises typed server addresses', () => {
    expect(normaliseServer(' https://a.example/ ')).toBe('https://a.example');
    expect(normaliseServer('a.example')).toBeNull();
    expect(normaliseServer('')).toBeNull();
  });
});
