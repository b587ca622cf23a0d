// DEV-ONLY: screenshots of every screen against the preview backend, plus an axe-core audit.
// Run `npx vite --mode preview-dev` first, then `node dev/screenshots.mjs [outdir]`.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';

const out = process.argv[2] ?? 'dev-shots';
mkdirSync(out, { recursive: true });
const axe = readFileSync(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const only = process.env.ONLY?.split(',');
const sizes = { landscape: [1024, 768], portrait: [768, 1024], phone: [390, 844] };
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const WUHAN = '0190c3a0-5b1e-7c4d-8a11-000000000001';
const tid = (id) => `[data-testid="${id}"]`;

async function openCommunity(page) {
  await page.click(`${tid('community-open')}[data-community="${WUHAN}"]`);
  await page.waitForSelector(tid('item-title'));
}

const scenarios = {
  communities: async () => {},
  item1: async (p) => { await openCommunity(p); await p.waitForSelector(tid('check')); },
  item2: async (p) => { await openCommunity(p); await p.click(tid('item-jump-2')); await p.waitForSelector('[data-check="2.classes"]'); },
  item9: async (p) => { await openCommunity(p); await p.click(tid('item-jump-9')); await p.waitForSelector(tid('observation')); },
  item12: async (p) => { await openCommunity(p); await p.click(tid('item-jump-12')); await p.waitForSelector('[data-check="12.ramps"]'); },
  profile: async (p) => { await openCommunity(p); await p.click(tid('nav-profile')); await p.waitForSelector(tid('profile-name')); await p.waitForTimeout(200); },
  walk: async (p) => { await openCommunity(p); await p.click(tid('nav-profile')); await p.click(tid('boundary-start')); await p.waitForTimeout(2500); await p.evaluate(() => document.querySelector('[data-testid="boundary-walk"]').scrollIntoView()); },
  newcommunity: async (p) => { await p.click(tid('community-new')); await p.waitForSelector(tid('profile-name')); },
  gaps: async (p) => { await openCommunity(p); await p.click(tid('nav-gaps')); await p.waitForSelector(tid('gap-item')); },
  map: async (p) => { await openCommunity(p); await p.click(tid('nav-map')); await p.waitForTimeout(1500); },
  ramp: async (p) => {
    await openCommunity(p); await p.click(tid('nav-ramp')); await p.waitForSelector(tid('ramp-open'));
    await p.click(tid('ramp-open')); await p.waitForSelector(tid('ramp-check'));
  },
  sync: async (p) => { await p.click(tid('nav-sync')); await p.waitForSelector(tid('sync-status')); },
  enroll: async (p) => { await p.click(tid('nav-enroll')); await p.waitForSelector(tid('enroll-status')); },
  checklist: async (p) => { await openCommunity(p); await p.click(tid('nav-checklist')); await p.waitForSelector(tid('checklist-start')); },
  checklistrun: async (p) => { await openCommunity(p); await p.click(tid('nav-checklist')); await p.click(tid('checklist-open')); await p.waitForSelector(tid('checkpoint')); },
  settings: async (p) => { await p.click(tid('nav-settings')); await p.waitForSelector(tid('settings-lang-en')); },
  item2_en_hc_200: async (p) => {
    await p.click(tid('nav-settings')); await p.click(tid('settings-lang-en')); await p.waitForTimeout(200);
    await p.click(tid('settings-theme-high-contrast')); await p.waitForTimeout(200);
    await p.click(tid('settings-text-scale-200'));
    await p.waitForTimeout(300);
    await p.click(tid('nav-communities')); await openCommunity(p); await p.click(tid('item-jump-2')); await p.waitForSelector('[data-check="2.classes"]');
  },
};

const failures = [];
for (const [sizeName, [w, h]] of Object.entries(sizes)) {
  for (const [name, go] of Object.entries(scenarios)) {
    if (only && !only.includes(name)) continue;
    const page = await browser.newPage({ viewport: { width: w, height: h } });
    page.on('pageerror', (e) => failures.push(`${name}@${sizeName}: page error ${e.message}`));
    await page.goto('http://localhost:5173/');
    await page.waitForSelector(tid('community-list'));
    try {
      await go(page);
    } catch (e) {
      failures.push(`${name}@${sizeName}: ${e.message.split('\n')[0]}`);
    }
    await page.screenshot({ path: `${out}/${name}-${sizeName}.png`, fullPage: process.env.FULL === '1' });
    if (sizeName === 'landscape') {
      await page.addScriptTag({ content: axe });
      const r = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of r.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') failures.push(`${name}: axe ${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
        else console.log(`${name}: axe ${v.impact} ${v.id} (${v.nodes.length})`);
      }
      // Touch targets under 44 px.
      const small = await page.evaluate(() => [...document.querySelectorAll('button, a, input, select, textarea, summary, label.seg-opt, label.check-opt')]
        .filter((el) => el.offsetParent !== null && !el.classList.contains('visually-hidden-file') && el.type !== 'radio' && el.type !== 'checkbox')
        .map((el) => [el, el.getBoundingClientRect()]).filter(([, r]) => r.height < 44 || r.width < 44)
        .map(([el, r]) => `${el.tagName}.${el.className} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`));
      if (small.length) console.log(`${name}: small targets: ${small.slice(0, 5).join('; ')}`);
    }
    await page.close();
  }
}
await browser.close();
console.log(failures.length ? `FAILURES:\n${failures.join('\n')}` : 'all screens ok');
