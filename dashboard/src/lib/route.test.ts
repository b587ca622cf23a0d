import { describe, expect, it } from 'vitest';
import { hashFor, parseHash } from './route';

describe('route', () => {
  it('parses screens, ids and filters; unknown → overview', () => {
    expect(parseHash('').screen).toBe('overview');
    expect(parseHash('#/nowhere').screen).toBe('overview');
    const r = parseHash('#/map?district=%E6%AD%A6%E6%98%8C%E5%8C%BA&item=4');
    expect([r.screen, r.params.get('district'), r.params.get('item')]).toEqual(['map', '武昌区', '4']);
    expect(parseHash('#/community/0190-abc')).toMatchObject({ screen: 'community', id: '0190-abc' });
    expect(parseHash('#/community').screen).toBe('map');
  });
  it('builds hashes that parse back', () => {
    const h = hashFor('map', undefined, { district: '洪山区', item: null, verdict: '' });
    expect(h).toBe('#/map?district=%E6%B4%AA%E5%B1%B1%E5%8C%BA');
    expect(parseHash(hashFor('community', 'a/b')).id).toBe('a/b');
  });
});
