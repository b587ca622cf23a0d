// DEV-ONLY: screenshots of every screen against the preview backend, for a person to look at.
// Run `npm run preview-dev` first, then `node dev/screenshots.mjs [outdir]` (ONLY=map,projects to pick).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const out = process.argv[2] ?? 'dev-shots';
mkdirSync(out, { recursive: true });
const only = process.env.ONLY?.split(',');
const sizes = { desktop: [1440, 900], tablet: [1024, 768] };
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const tid = (id) => `[data-testid="${id}"]`;

async function signIn(p) {
  await p.fill(tid('signin-name'), '王规划');
  await p.fill(tid('signin-password'), 'preview');
  await p.click(tid('signin-submit'));
  await p.waitForSelector(tid('nav-overview'));
}

const scenarios = {
  signin: async () => {},
  signin_error: async (p) => { await p.fill(tid('signin-name'), 'x'); await p.fill(tid('signin-password'), 'wrong'); await p.click(tid('signin-submit')); await p.waitForSelector(tid('signin-error')); },
  overview: async (p) => { await signIn(p); await p.waitForSelector(tid('overview-items')); },
  map: async (p) => { await signIn(p); await p.click(tid('nav-map')); await p.waitForSelector(tid('community-open')); await p.waitForTimeout(2500); },
  map_popup: async (p) => { await signIn(p); await p.click(tid('nav-map')); await p.waitForSelector(tid('community-open')); await p.waitForTimeout(2500); const box = await p.locator('.maplibregl-canvas').boundingBox(); await p.evaluate(() => 0); await p.mouse.click(box.x + box.width / 2, box.y + box.height / 2); await p.waitForTimeout(500); },
  map_filtered: async (p) => { await signIn(p); await p.click(tid('nav-map')); await p.selectOption(tid('filter-item'), { label: '12. 无障碍设施' }); await p.selectOption(tid('filter-district'), '武昌区'); await p.waitForTimeout(2500); },
  community: async (p) => { await signIn(p); await p.click(tid('nav-map')); await p.click(`${tid('community-open')} >> nth=0`); await p.waitForSelector(tid('finding')); await p.waitForTimeout(600); },
  community_full: async (p) => { await signIn(p); await p.click(tid('nav-map')); await p.click(`${tid('community-open')} >> nth=0`); await p.waitForSelector(tid('finding')); await p.waitForTimeout(600); return { fullPage: true }; },
  photo: async (p) => { await signIn(p); await p.click(tid('nav-map')); await p.click(`${tid('community-open')} >> nth=0`); await p.waitForSelector(tid('photo-thumb')); await p.click(`${tid('photo-thumb')} >> nth=2`); await p.waitForTimeout(300); },
  reviews: async (p) => { await signIn(p); await p.click(tid('nav-reviews')); await p.waitForSelector(tid('review')); },
  review_return: async (p) => { await signIn(p); await p.click(tid('nav-reviews')); await p.click(`${tid('review-return')} >> nth=0`); await p.check(tid('return-item-4')); await p.fill(tid('return-reason-4'), '老年服务站面积只有照片，请补充测量'); await p.check(tid('return-item-12')); await p.click(tid('return-send')); await p.waitForSelector(tid('return-problem')); },
  conflicts: async (p) => { await signIn(p); await p.click(tid('nav-conflicts')); await p.waitForSelector(tid('conflict')); },
  projects: async (p) => { await signIn(p); await p.click(tid('nav-projects')); await p.waitForSelector(tid('project')); },
  project_editor: async (p) => { await signIn(p); await p.click(tid('nav-projects')); await p.click(`${tid('project-edit')} >> nth=0`); await p.waitForSelector(tid('project-editor')); await p.fill(tid('project-cost'), 'abc'); await p.click(tid('project-save')); await p.waitForTimeout(200); },
  reports: async (p) => { await signIn(p); await p.click(tid('nav-reports')); await p.waitForSelector(tid('export-fields')); await p.click(tid('report-xlsx')); await p.waitForSelector(tid('reports-error')); },
  overview_en_hc: async (p) => { await signIn(p); await p.click(tid('lang-en')); await p.check(tid('contrast')); await p.waitForSelector(tid('overview-items')); },
  projects_en: async (p) => { await signIn(p); await p.click(tid('lang-en')); await p.click(tid('nav-projects')); await p.waitForSelector(tid('project')); },
};

for (const [name, run] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue;
  for (const [size, [w, h]] of Object.entries(sizes)) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, locale: 'zh-CN' });
    const p = await ctx.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await p.goto('http://localhost:5174/');
    try {
      const opts = (await run(p)) ?? {};
      await p.screenshot({ path: `${out}/${name}-${size}.png`, ...opts });
    } catch (e) {
      console.log(`${name}-${size}: FAILED ${e.message.split('\n')[0]}`);
      await p.screenshot({ path: `${out}/${name}-${size}-failed.png` });
    }
    if (errors.length) console.log(`${name}-${size} errors:`, errors.slice(0, 3));
    await ctx.close();
  }
}
await browser.close();
