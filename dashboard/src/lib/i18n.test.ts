import { describe, expect, it } from 'vitest';
import { errorText, itemName, t } from './i18n';

describe('i18n', () => {
  it('Chinese first, English on switch, parameters filled', () => {
    expect(t('zh', 'nav.projects')).toBe('项目库');
    expect(t('en', 'nav.projects')).toBe('Projects');
    expect(t('zh', 'overview.complete_of', { c: 3, n: 10 })).toBe('3 / 10 个社区为完整居住社区');
    expect(t('en', 'projects.total', { n: 2, m: '¥10,000' })).toBe('2 projects, estimated ¥10,000 in all');
  });
  it('errors: our words for known codes, the server message otherwise', () => {
    expect(errorText('zh', { code: 'network', message: 'Failed to fetch' })).toBe('无法连接服务器，请检查网络后重试');
    expect(errorText('en', { code: 'bad_transition', message: 'cannot move from 已谋划 to 在建' })).toBe('cannot move from 已谋划 to 在建');
  });
  it('item names', () => {
    expect(itemName('zh', { name_zh: '一个幼儿园', name_en: 'A kindergarten' }, 2)).toBe('2. 一个幼儿园');
    expect(itemName('en', undefined, 7)).toBe('7');
  });
});
