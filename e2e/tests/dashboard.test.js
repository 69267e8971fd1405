'use strict';
// The manager's dashboard on the demo, in the browser, on SQLite and on PostgreSQL: the manager's
// home shows the survey headlines and the period's ticket figures; changing the period and the
// segment changes them; the figures download as a workbook; the five-gap page shows every gap and
// a Gap 3 count opens the tickets behind it; a bad date is refused in the user's language; English
// reads in English; on a phone neither page scrolls sideways and the drill-down works; an agent
// opens the dashboard at /dashboard.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer } = require('../lib/server');
const { launchBrowser, withPage, login, assertNoSideScroll } = require('../lib/browser');

const PASSWORD = 'kefu-demo-2026';
const MANAGER = Object.freeze({ email: 'manager@kefu.example', password: PASSWORD });
const AGENT = Object.freeze({ email: 'agent@kefu.example', password: PASSWORD });
const ZH = { locale: 'zh-CN' };
const EN = { locale: 'en-US' };
const PHONE = { locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** The number in the first figure of the ticket counts (tickets filed in the period). */
async function filed(page) {
  return Number(await page.locator('#ticket-counts li strong').first().innerText());
}

/** Sets the filter's fields and submits it; waits for the page it loads. */
async function filter(page, { from, to, segment }) {
  const form = page.locator('form#dashboard-filter');
  if (from) await form.locator('input[name=from]').fill(from);
  if (to) await form.locator('input[name=to]').fill(to);
  if (segment) await form.locator('select[name=segment]').selectOption(segment);
  await Promise.all([page.waitForLoadState('load'), page.waitForURL(/[?&]from=/), form.locator('button[type=submit]').click()]);
}

/** From the gap page, follows the first Gap 3 breached count to the queue; checks what it shows. */
async function followGap3(page) {
  const drill = page.locator('#gap3 a.drill').first();
  const breached = Number(await drill.innerText());
  assert.ok(breached > 0, 'the demo breaches some targets');
  await Promise.all([page.waitForURL(/\/tickets\?fact=sla%3A|\/tickets\?fact=sla:/), drill.click()]);
  await page.locator('#drill-down').waitFor();
  const rows = await page.locator('#queue tbody tr').count();
  assert.ok(rows >= 1 && rows <= breached, `${rows} tickets behind ${breached} breaches`);
}

function daysAgo(n) {
  const d = new Date(Date.now() + 8 * 3600_000 - n * 86_400_000); // Shanghai's date
  return d.toISOString().slice(0, 10);
}

for (const kind of ['sqlite', 'postgres']) {
  describe(`manager dashboard on ${kind}`, () => {
    let server;
    let browser;

    before(async () => {
      server = await startServer(kind, { demo: true, readyTimeoutMs: 180_000 });
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
    });

    test(`${kind}: a manager reads the demo's dashboard and narrows it`, async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, ZH, async ({ page }) => {
        await login(page, base, MANAGER);
        assert.equal(await page.locator('#quality article.headline').count(), 4, 'four survey kinds');
        const year = await filed(page);
        assert.ok(year > 50, `the last twelve months have tickets: ${year}`);
        assert.ok((await page.locator('#sla-attainment tbody tr').count()) >= 2, 'service levels attained');
        assert.match(await page.locator('#response-times').innerText(), /p90/);
        // A shorter period: fewer tickets.
        await filter(page, { from: daysAgo(30), to: daysAgo(0) });
        const month = await filed(page);
        assert.ok(month < year, `30 days (${month}) < 12 months (${year})`);
        // One segment: the phone tickets only.
        await filter(page, { segment: 'channel:phone' });
        assert.ok((await page.locator('#by-channel tr').count()) <= 1, 'one channel at most');
        assert.ok((await filed(page)) <= month);
        assert.match(page.url(), /segment=channel%3Aphone/);
        // The figures of that period and segment as a workbook.
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.locator('#dashboard-download a[href*="format=xlsx"]').click(),
        ]);
        assert.match(download.suggestedFilename(), /^kefu-dashboard-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.xlsx$/);
        assert.equal(fs.readFileSync(await download.path()).subarray(0, 2).toString(), 'PK');
        // The five gaps, from the navigation; a Gap 3 count opens the tickets behind it.
        await Promise.all([page.waitForURL(/\/gaps$/), page.locator('a[href="/gaps"]').first().click()]);
        for (const n of [1, 2, 3, 4, 5]) assert.equal(await page.locator(`section#gap${n}`).count(), 1, `gap ${n}`);
        assert.ok((await page.locator('#gap1-table tbody tr').count()) === 5, 'the managers answered: five dimensions');
        assert.ok((await page.locator('#gap5 svg').count()) >= 1, 'Gap 5 is drawn');
        await followGap3(page);
        // A date that does not exist: said in Chinese, nothing computed.
        await page.goto(`${base}/?from=2026-02-30&to=2026-03-01`);
        assert.equal(await page.locator('p.error[data-field=from]').innerText(), '请按 YYYY-MM-DD 格式输入日期。');
        assert.equal(await page.locator('#ticket-figures').count(), 0);
      });
    });

    test(`${kind}: the dashboard in English, on a phone, and for an agent`, async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, EN, async ({ page }) => {
        await login(page, base, MANAGER);
        // The demo manager reads Chinese; the switch in the header turns the page to English.
        await Promise.all([page.waitForLoadState('load'), page.locator('form.lang-switch button[value=en]').click()]);
        await page.locator('html[lang=en]').waitFor();
        assert.equal(await page.locator('#ticket-figures h2').innerText(), 'Tickets in the period');
        assert.match(await page.locator('#sla-attainment thead').innerText(), /Attainment/);
      });
      await withPage(browser, t, PHONE, async ({ page }) => {
        await login(page, base, MANAGER);
        await assertNoSideScroll(page, 'the dashboard');
        await page.goto(`${base}/gaps`);
        await assertNoSideScroll(page, 'the gap page');
        await followGap3(page);
        await assertNoSideScroll(page, 'the tickets behind a gap');
      });
      await withPage(browser, t, ZH, async ({ page }) => {
        await login(page, base, AGENT);
        await page.goto(`${base}/dashboard`);
        assert.ok((await filed(page)) > 0);
      });
    });
  });
}
