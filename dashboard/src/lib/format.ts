// Numbers as a city planner reads them: money in 万元 (the unit of Chinese project libraries),
// areas in m², shares in %, dates as YYYY-MM-DD. Money arrives in yuan (docs/office-api.md).
import type { Lang, Quantity, Requirement, Measured, Unit } from './types';

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-GB');

export function number(v: number, lang: Lang, digits = 1): string {
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits }).format(v);
}

/** Yuan → "183.5 万元"; below 1 万 it is still in 万元 with two decimals so a column reads alike.
 *  English readers get whole yuan: "× 10k" reads as a puzzle, not a unit. */
export function money(yuan: number | null | undefined, lang: Lang): string {
  if (yuan === null || yuan === undefined || !Number.isFinite(yuan)) return '—';
  if (lang === 'en') return `¥${new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 }).format(yuan)}`;
  const wan = yuan / 10000;
  const digits = Math.abs(wan) < 1 ? 2 : 1;
  const n = new Intl.NumberFormat(locale(lang), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(wan);
  return `${n} 万元`;
}

/** 万元 typed in a form → yuan; blank → null; anything else → NaN (the form says it is wrong). */
export function parseWan(text: string): number | null {
  const t = text.trim().replace(/,/g, '');
  if (t === '') return null;
  if (!/^\d+(\.\d+)?$/.test(t)) return NaN;
  return Math.round(Number(t) * 10000 * 100) / 100;
}

export function yuanToWanInput(yuan: number | null | undefined): string {
  if (yuan === null || yuan === undefined) return '';
  return String(Math.round((yuan / 10000) * 100) / 100);
}

export function area(m2: number | null | undefined, lang: Lang): string {
  if (m2 === null || m2 === undefined) return '—';
  return `${number(m2, lang, 1)} m²`;
}

/** A fraction (1.0 = 100 %) as a percentage. */
export function share(f: number | null | undefined, lang: Lang, digits = 1): string {
  if (f === null || f === undefined || !Number.isFinite(f)) return '—';
  return `${new Intl.NumberFormat(locale(lang), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(f * 100)}%`;
}

/** A change in percentage points, with its sign: "+3.2 个百分点" / "+3.2 pp". */
export function pointsDelta(from: number, to: number, lang: Lang): string {
  const d = (to - from) * 100;
  // One decimal always, so a column of changes lines up (+10.0 beside +16.7).
  const n = new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Math.abs(d));
  const s = `${d > 0 ? '+' : d < 0 ? '−' : '±'}${n}`;
  return lang === 'zh' ? `${s} 个百分点` : `${s} pp`;
}

export function countDelta(from: number, to: number): string {
  const d = to - from;
  return d > 0 ? `+${d}` : d < 0 ? `−${-d}` : '±0';
}

export function unitLabel(unit: Unit, lang: Lang): string {
  const zh: Record<Unit, string> = { m2: 'm²', minutes: '分钟', count: '个', share: '%' };
  const en: Record<Unit, string> = { m2: 'm²', minutes: 'min', count: '', share: '%' };
  return (lang === 'zh' ? zh : en)[unit];
}

export function quantity(q: Quantity | null | undefined, lang: Lang): string {
  if (!q) return '—';
  if (q.unit === 'share') return share(q.value, lang);
  if (q.unit === 'm2') return area(q.value, lang);
  const u = unitLabel(q.unit, lang);
  return u ? `${number(q.value, lang)} ${u}` : number(q.value, lang);
}

export function required(r: Requirement | undefined, lang: Lang): string {
  if (!r) return '—';
  switch (r.op) {
    case 'at_least': return `≥ ${quantity(r, lang)}`;
    case 'at_most': return `≤ ${quantity(r, lang)}`;
    case 'yes': return lang === 'zh' ? '需具备' : 'required';
    case 'one_of': return r.values.join(' / ');
  }
}

export function measured(m: Measured | undefined, lang: Lang): string {
  if (m === undefined || m === null) return '—';
  if (typeof m === 'boolean') return m ? (lang === 'zh' ? '是' : 'yes') : (lang === 'zh' ? '否' : 'no');
  if (typeof m === 'string') return m;
  return quantity(m, lang);
}

/** RFC 3339 → "2026-09-14 10:20" in the instant's own offset (the surveyor's local time), not
 *  the browser's: an office in another zone must still read the time the photo was taken. */
export function dateTime(s: string | null | undefined): string {
  if (!s) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(s);
  return m ? `${m[1]} ${m[2]}` : s;
}

export function date(s: string | null | undefined): string {
  if (!s) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(s);
  return m ? m[1] : s;
}

/** Today as YYYY-MM-DD in the browser's zone (a status date is a calendar day). */
export function today(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** A value from the change log or a conflict, for people. */
export function value(v: unknown, lang: Lang): string {
  if (v === null || v === undefined) return lang === 'zh' ? '（空）' : '(empty)';
  if (typeof v === 'number') return number(v, lang, 2);
  if (typeof v === 'boolean') return v ? (lang === 'zh' ? '是' : 'yes') : (lang === 'zh' ? '否' : 'no');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
