'use strict';
// A SERVQUAL campaign in the browser, on SQLite and on PostgreSQL: a manager creates the survey and
// a campaign for it on the pages, runs the campaign and downloads its link list; a customer opens
// the link on a phone-sized screen in Chinese and answers all 44 items, the importance points and
// overall satisfaction; the report page then counts the answer.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, ADMIN } = require('../lib/server');
const { launchBrowser, withPage, assertNoSideScroll, login: signIn } = require('../lib/browser');
const { createCustomer } = require('../lib/customers');

const ZH_PHONE = Object.freeze({ locale: 'zh-CN', viewport: { width: 375, height: 740 } });
const ZH = Object.freeze({ locale: 'zh-CN' });
/** Signs in as the admin the server was started with. */
async function login(page, baseURL) {
  await signIn(page, baseURL, ADMIN);
}

for (const kind of ['sqlite', 'postgres']) {
  describe(`survey campaign on ${kind}`, () => {
    let server;
    let browser;

    before(async () => {
      server = await startServer(kind);
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
    });

    test('a manager runs a SERVQUAL campaign, a customer answers on a phone in Chinese, the report counts it', async (t) => {
      const base = server.baseURL;
      let answerPath;
      let reportPath;
      await withPage(browser, t, ZH, async ({ context, page }) => {
        await login(page, base);
        await createCustomer(page, base, { name: '王芳', kind: 'end', phone: '139 1234 5678' });

        // The survey.
        await page.goto(`${base}/surveys`);
        const form = page.locator('form#survey-create-form');
        await form.locator('input[name=title]').fill('2026 年服务质量调查');
        await form.locator('select[name=kind]').selectOption('servqual');
        await form.locator('select[name=language]').selectOption('zh-CN');
        await form.locator('input[name=importance]').check();
        await form.locator('input[name=overall]').check();
        await Promise.all([page.waitForURL(/\/surveys\/\d+\?done=survey_created$/), form.locator('button[type=submit]').click()]);
        reportPath = new URL(page.url()).pathname;
        assert.equal((await page.locator('#n-responses').innerText()).trim(), '0');

        // The campaign: the calculator, then one invitation to every end customer.
        await Promise.all([page.waitForURL(/\/campaigns$/), page.locator('a#campaigns-link').click()]);
        assert.ok((await page.locator('#sample-sizes').innerText()).includes('±5'));
        const c = page.locator('form#campaign-form');
        await c.locator('input[name=name]').fill('回访 A 类客户');
        await c.locator('input[name=kind][value=end]').check();
        await c.locator('input[name=mode][value=size]').check();
        await c.locator('input[name=sample_size]').fill('1');
        await c.locator('input[name=fatigue_days]').fill('0');
        await c.locator('input[name=invite_by_email]').uncheck();
        await Promise.all([page.waitForURL(/done=campaign_created$/), c.locator('button[type=submit]').click()]);
        assert.ok((await page.locator('#campaigns').innerText()).includes('回访 A 类客户'));
        // Running downloads the run's link list: kefu keeps only hashes of the links.
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.locator('button.run-campaign').first().click(),
        ]);
        assert.match(download.suggestedFilename(), /^campaign-\d+-run-1-links\.csv$/);
        const csv = require('node:fs').readFileSync(await download.path(), 'utf8');
        const lines = csv.trim().split(/\r?\n/);
        assert.equal(lines.length, 2, csv);
        assert.ok(lines[1].includes('王芳'), csv);
        answerPath = lines[1].split(',').find((cell) => cell.startsWith('/s/'));
        assert.ok(answerPath, csv);
      });

      // The customer, on a phone, in Chinese, without an account.
      await withPage(browser, t, ZH_PHONE, async ({ page }) => {
        await page.goto(`${base}${answerPath}`);
        await assertNoSideScroll(page, 'the answer page');
        const form = page.locator('form#survey-form');
        assert.ok((await form.innerText()).includes('现代化的设备'), 'the items in Chinese');
        for (let i = 1; i <= 22; i++) {
          await form.locator(`input[name=e_Q${i}][value="${6 + (i % 2)}"]`).check();
          await form.locator(`input[name=p_Q${i}][value="${3 + (i % 5)}"]`).check();
        }
        const points = { tangibles: 10, reliability: 30, responsiveness: 25, assurance: 15, empathy: 20 };
        for (const [dim, v] of Object.entries(points)) await form.locator(`input[name=w_${dim}]`).fill(String(v));
        await form.locator('input[name=overall][value="5"]').check();
        await form.locator('textarea[name=comment]').fill('师傅准时上门，服务很好');
        await Promise.all([page.waitForLoadState('load'), form.locator('button[value=submit]').click()]);
        await page.waitForURL((u) => u.pathname === answerPath);
        assert.ok(!(await page.locator('form#survey-form').count()), 'answered: the form is gone');
      });

      // The report counts the answer.
      await withPage(browser, t, ZH, async ({ page }) => {
        await login(page, base);
        await page.goto(`${base}${reportPath}`);
        assert.equal((await page.locator('#n-responses').innerText()).trim(), '1');
        assert.ok((await page.locator('#dimensions').innerText()).includes('有形性'));
        assert.ok((await page.locator('#comments').innerText()).includes('师傅准时上门'));
        // The answer's frozen attributes are segments to cut the report by.
        const options = await page.locator('select#segment option').evaluateAll((os) => os.map((o) => o.value));
        assert.ok(options.includes('kind:end') && options.includes('tier:none'), JSON.stringify(options));
        await page.locator('select#segment').selectOption('kind:end');
        await Promise.all([page.waitForURL(/segment=kind/), page.locator('form#report-filters button[type=submit]').click()]);
        assert.equal((await page.locator('#n-responses').innerText()).trim(), '1');
        assert.ok(await page.locator('svg#gap-chart').count(), 'the gap chart');
      });
    });
  });
}
