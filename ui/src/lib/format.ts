// Numbers, areas and units as a surveyor reads them. No rules here: only presentation.
import type { Lang, Measured, Requirement, Unit } from './types';
import { METHODS, type Names } from './vocab';

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-GB');

/** A number with grouping, at most `digits` decimals (trailing zeros dropped). */
export function formatNumber(n: number, lang: Lang, digits = 2): string {
  if (!Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n);
}

/** Areas: whole m² from 100 m² up, one decimal below. */
export function formatArea(m2: number, lang: Lang): string {
  return `${formatNumber(m2, lang, Math.abs(m2) >= 100 ? 0 : 1)} m²`;
}

/** An area with its one-σ uncertainty: "4,520 ± 85 m²". */
export function formatAreaSigma(m2: number, sigma: number, lang: Lang): string {
  const d = Math.abs(m2) >= 100 ? 0 : 1;
  return `${formatNumber(m2, lang, d)} ± ${formatNumber(sigma, lang, d)} m²`;
}

export function formatUnit(value: number, unit: Unit, lang: Lang): string {
  switch (unit) {
    case 'm2':
      return formatArea(value, lang);
    case 'minutes':
      return lang === 'zh' ? `${formatNumber(value, lang, 1)} 分钟` : `${formatNumber(value, lang, 1)} min`;
    case 'count':
      return formatNumber(value, lang, 0);
    case 'share':
      return `${formatNumber(value * 100, lang, 1)} %`;
  }
}

/** What a check requires: "≥ 800 m²", "≤ 10 分钟", "是". */
export function formatRequirement(r: Requirement | undefined, lang: Lang, names: Names = {}): string {
  if (!r) return '—';
  switch (r.op) {
    case 'at_least':
      return `≥ ${formatUnit(r.value, r.unit, lang)}`;
    case 'at_most':
      return `≤ ${formatUnit(r.value, r.unit, lang)}`;
    case 'yes':
      return lang === 'zh' ? '是' : 'yes';
    case 'one_of':
      return r.values.map((v) => names[v]?.[lang] ?? v).join(lang === 'zh' ? '、' : ', ');
  }
}

/** What was found, with its method where the survey says: "620 m²（产权证、竣工图等资料）". */
export function formatMeasured(m: Measured | undefined, lang: Lang, names: Names = {}): string {
  if (m === undefined || m === null) return lang === 'zh' ? '未测' : 'not measured';
  if (typeof m === 'boolean') return m ? (lang === 'zh' ? '是' : 'yes') : lang === 'zh' ? '否' : 'no';
  if (typeof m === 'string') return names[m]?.[lang] ?? m;
  const v = formatUnit(m.value, m.unit, lang);
  if (!m.method) return v;
  const method = METHODS[m.method]?.[lang] ?? m.method;
  return lang === 'zh' ? `${v}（${method}）` : `${v} (${method})`;
}

/** "5 / 20" style progress as a whole percentage for a progress bar. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((done / total) * 100)));
}

/** Seconds since the epoch → local date and time, or a dash. */
export function formatUnixTime(secs: number | null | undefined, lang: Lang): string {
  if (!secs) return '—';
  return new Date(secs * 1000).toLocaleString(locale(lang), { dateStyle: 'short', timeStyle: 'short' });
}

/** Bytes as KB/MB. */
export function formatBytes(n: number, lang: Lang): string {
  if (n < 1024) return `${formatNumber(n, lang, 0)} B`;
  if (n < 1024 * 1024) return `${formatNumber(n / 1024, lang, 0)} KB`;
  return `${formatNumber(n / 1024 / 1024, lang, 1)} MB`;
}

/** An RFC 3339 time with the device's offset (the schema keeps the offset): ms since epoch and
 * the offset in minutes east of UTC (the negative of `Date#getTimezoneOffset`). */
export function rfc3339(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(Math.trunc(n)).padStart(w, '0');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const off = Math.abs(offsetMinutes);
  return (
    `${p(local.getUTCFullYear(), 4)}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}` +
    `T${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}` +
    `${sign}${p(off / 60)}:${p(off % 60)}`
  );
}

export function nowRfc3339(): string {
  const now = Date.now();
  return rfc3339(now, -new Date(now).getTimezoneOffset());
}
