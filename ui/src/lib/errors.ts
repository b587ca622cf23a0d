import type { AppError, Lang } from './types';

/** Turns whatever a rejected command gave into the contract's `{code, message_zh, message_en}`. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    if (typeof o.code === 'string' && (typeof o.message_zh === 'string' || typeof o.message_en === 'string')) {
      const zh = typeof o.message_zh === 'string' ? o.message_zh : String(o.message_en);
      const en = typeof o.message_en === 'string' ? o.message_en : zh;
      return { code: o.code, message_zh: zh, message_en: en };
    }
    if (e instanceof Error) return { code: 'ui_error', message_zh: e.message, message_en: e.message };
  }
  if (typeof e === 'string') {
    // Tauri gives a plain string when a command panics or is not registered.
    try {
      const parsed = JSON.parse(e);
      if (parsed && typeof parsed === 'object') return toAppError(parsed);
    } catch {
      /* not JSON */
    }
    return { code: 'unknown', message_zh: e, message_en: e };
  }
  const s = String(e);
  return { code: 'unknown', message_zh: s, message_en: s };
}

/** The error's message in the current language. */
export function errorText(e: AppError | string | null | undefined, lang: Lang): string {
  if (!e) return '';
  if (typeof e === 'string') return e;
  return lang === 'zh' ? e.message_zh : e.message_en;
}
