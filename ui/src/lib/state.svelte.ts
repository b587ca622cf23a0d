// App-wide state (Svelte 5 runes): settings, language, the standard, and the current screen.
import { api } from './api';
import { translate } from './i18n';
import type { AppInfo, Lang, Settings, Standard } from './types';

export type Screen =
  | 'enroll' | 'communities' | 'profile' | 'item' | 'gaps' | 'map' | 'ramp' | 'sync' | 'checklist' | 'settings';

export interface Route {
  screen: Screen;
  community?: string | null;
  item?: number;
  /** A ramp record to open in the ramp tool. */
  ramp?: string | null;
  /** A checklist run to open. */
  run?: string | null;
}

export const DEFAULT_SETTINGS: Settings = {
  lang: 'zh',
  theme: 'light',
  text_scale: 1,
  gps: { source: 'platform', replay_path: null, replay_speed: 1 },
  basemap_path: null,
  surveyor: null,
};

export const app = $state({
  ready: false,
  settings: { ...DEFAULT_SETTINGS } as Settings,
  info: null as AppInfo | null,
  standard: null as Standard | null,
  route: { screen: 'communities' } as Route,
  /** The current community's name, for the header. */
  communityName: '' as string,
  /** Bumped after any edit so screens reload what they show. */
  version: 0,
  /** A polite announcement for screen readers (verdict changes, saves). */
  announce: '' as string,
});

export function lang(): Lang {
  return app.settings.lang;
}

export function t(key: string, params?: Record<string, string | number>): string {
  return translate(app.settings.lang, key, params);
}

export function go(route: Route): void {
  app.route = route;
}

export function edited(): void {
  app.version++;
}

export function announce(text: string): void {
  // Clearing first makes a repeated message be read again.
  app.announce = '';
  queueMicrotask(() => (app.announce = text));
}

export function applySettings(s: Settings): void {
  app.settings = s;
  const root = document.documentElement;
  root.lang = s.lang === 'zh' ? 'zh-CN' : 'en';
  root.dataset.theme = s.theme;
  const scale = Math.min(2, Math.max(1, s.text_scale || 1));
  root.style.fontSize = `${scale * 100}%`;
  root.dataset.scale = scale >= 1.5 ? 'large' : 'normal';
}

export async function boot(): Promise<void> {
  try {
    applySettings(await api.settingsGet());
  } catch {
    applySettings({ ...DEFAULT_SETTINGS });
  }
  const [info, standard] = await Promise.allSettled([api.appInfo(), api.standard()]);
  if (info.status === 'fulfilled') app.info = info.value;
  if (standard.status === 'fulfilled') app.standard = standard.value;
  app.ready = true;
}
