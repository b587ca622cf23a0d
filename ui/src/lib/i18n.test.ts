import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TABLES, translate, pick } from './i18n';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f: string): string[] => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('i18n', () => {
  it('has the same keys in Chinese and English', () => {
    expect(Object.keys(TABLES.en).sort()).toEqual(Object.keys(TABLES.zh).sort());
  });

  it('has no empty text', () => {
    for (const lang of ['zh', 'en'] as const) {
      for (const [k, v] of Object.entries(TABLES[lang])) expect(v.trim(), `${lang} ${k}`).not.toBe('');
    }
  });

  it('has the same placeholders in both languages', () => {
    const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(TABLES.zh)) expect(ph(TABLES.en[k]), k).toEqual(ph(TABLES.zh[k]));
  });

  it('knows every literal key the screens use', () => {
    const src = join(__dirname, '..');
    const used = new Set<string>();
    for (const f of files(src).filter((f) => f.endsWith('.svelte') || f.endsWith('.svelte.ts'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-z0-9_.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !(k in TABLES.zh));
    expect(missing).toEqual([]);
  });

  it('knows the keys built from statuses and vocabularies', () => {
    const dynamic = [
      ...['met', 'gap', 'advisory', 'not_applicable', 'not_surveyed'].map((s) => `status.${s}`),
      ...['met', 'not_met', 'not_applicable', 'not_surveyed'].map((s) => `check.${s}`),
      ...['complete', 'not_complete', 'undetermined'].map((s) => `verdict.${s}`),
      ...['binding', 'advisory'].map((s) => `strength.${s}`),
      ...['pass', 'difficult', 'impassable', 'pending'].map((s) => `cl.${s}`),
      ...['wheelchair', 'blind_low_vision', 'deaf_hard_of_hearing', 'elderly'].map((s) => `cl.group.${s}`),
      ...['push', 'pull', 'photos'].map((s) => `sync.phase.${s}`),
      ...['empty', 'not_json', 'no_server', 'bad_server', 'no_code'].map((s) => `enroll.qr.${s}`),
      ...['building_area_m2', 'land_area_m2', 'usable_area_m2', 'sports_area_m2', 'classes', 'compartments', 'spaces',
        'charging_spaces', 'charging_provisioned_spaces', 'population', 'households', 'total_floor_area_m2',
        'daily_parcel_deliveries'].map((s) => `field.${s}`),
      'fac.flag.inclusive', 'fac.flag.open_to_public', 'profile.kind.new', 'profile.kind.existing',
      'ramp.handrails.unknown', 'ramp.handrails.0', 'ramp.handrails.1', 'ramp.handrails.2',
      'err.required', 'err.number', 'err.integer', 'err.number_list', 'err.detour',
    ];
    expect(dynamic.filter((k) => !(k in TABLES.zh))).toEqual([]);
  });

  it('uses the standard’s own terms in Chinese', () => {
    expect(translate('zh', 'status.gap')).toBe('短板');
    expect(translate('zh', 'status.met')).toBe('达标');
    expect(translate('zh', 'verdict.complete')).toBe('完整居住社区');
    expect(translate('zh', 'profile.old_estate')).toBe('老旧小区');
    expect(translate('zh', 'profile.heating')).toBe('集中供暖地区');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(translate('zh', 'list.progress', { done: 5 })).toBe('已完成 5 / 20 项');
    expect(translate('en', 'list.progress', { done: 5 })).toBe('5 of 20 items complete');
    expect(translate('en', 'list.progress')).toBe('{done} of 20 items complete');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
  });

  it('picks bilingual pairs', () => {
    expect(pick('en', { name_zh: '幼儿园', name_en: 'Kindergarten' }, 'name')).toBe('Kindergarten');
    expect(pick('zh', { zh: '缺少', en: 'missing' })).toBe('缺少');
    expect(pick('en', { title_zh: '只有中文' }, 'title')).toBe('只有中文');
    expect(pick('en', null)).toBe('');
  });
});
