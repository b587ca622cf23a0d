// App-wide state: language, theme, the session and the city's config. The token is kept in
// sessionStorage: a reload keeps the planner signed in, closing the browser signs them out.
import { Api } from './api';
import type { Config, Lang, Session } from './types';
import { t as tr, type Key } from './i18n';

function load(key: string): string | null {
  try { return localStorage.getItem(key); } catch { return null; }
}
function save(key: string, v: string) {
  try { localStorage.setItem(key, v); } catch { /* private mode: keep it for this page */ }
}

export const app = $state({
  lang: (load('buqi.office.lang') === 'en' ? 'en' : 'zh') as Lang,
  contrast: load('buqi.office.contrast') === 'high',
  session: null as Session | null,
  config: null as Config | null,
  preview: false,
  /** Why the sign-in screen is showing, when it is not the first visit (an expired session). */
  notice: '',
});

export const api = new Api((input, init) => fetch(input, init));

export function t(key: Key, params?: Record<string, string | number>) {
  return tr(app.lang, key, params);
}

export function setLang(l: Lang) {
  app.lang = l;
  save('buqi.office.lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}
export function setContrast(on: boolean) {
  app.contrast = on;
  save('buqi.office.contrast', on ? 'high' : 'normal');
  document.documentElement.dataset.theme = on ? 'high_contrast' : 'light';
}

export function rememberToken(token: string | null) {
  try {
    if (token) sessionStorage.setItem('buqi.office.token', token);
    else sessionStorage.removeItem('buqi.office.token');
  } catch { /* ignore */ }
}
export function storedToken(): string | null {
  try { return sessionStorage.getItem('buqi.office.token'); } catch { return null; }
}

/** Polite announcements for screen readers (saved, approved, …). */
export const announcer = $state({ text: '' });
export function announce(s: string) {
  announcer.text = '';
  queueMicrotask(() => (announcer.text = s));
}
