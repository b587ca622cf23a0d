// One position from the core's GPS source (settings: platform or replay): start, take the first
// fix, stop. Used for a GPS point and for placing a facility.
import { api, listen } from './api';
import type { AppError, Fix } from './types';

export const NO_FIX: AppError = {
  code: 'gps_timeout',
  message_zh: '30 秒内没有收到定位，请到开阔处再试',
  message_en: 'No fix within 30 s: move into the open and try again',
};

export async function oneFix(timeoutMs = 30_000): Promise<Fix> {
  let off: (() => void) | null = null;
  try {
    return await new Promise<Fix>((resolve, reject) => {
      const timer = setTimeout(() => reject(NO_FIX), timeoutMs);
      listen<Fix>('gps-fix', (f) => {
        clearTimeout(timer);
        resolve(f);
      })
        .then((u) => {
          off = u;
          return api.gpsStart();
        })
        .catch((e) => {
          clearTimeout(timer);
          reject(e);
        });
    });
  } finally {
    api.gpsStop().catch(() => {});
    (off as (() => void) | null)?.();
  }
}
