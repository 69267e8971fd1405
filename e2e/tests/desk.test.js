'use strict';
// The service desk in the browser, on SQLite and on PostgreSQL: an agent takes a phone call and
// files it as a ticket, reads the ticket on a phone-width screen, and keeps the language chosen on
// the account page over the browser's; a manager sets a service level and publishes a commitment
// on the service-levels page.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, kefuCli } = require('../lib/server');
const { launchBrowser, withPage, assertNoSideScroll, login } = require('../lib/browser');
const { createCustomer } = require('../lib/customers');

const AGENT = Object.freeze({ email: 'desk.agent@example.com', password: 'agent password 123', name: '客服 李娜' });
const MANAGER = Object.freeze({ email: 'desk.manager@example.com', password: 'manager password 123', name: '经理 周' });
const ZH = { locale: 'zh-CN' };
const EN = { locale: 'en-US' };
const PHONE = { locale: 'zh-CN', viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };

for (const kind of ['sqlite', 'postgres']) {
  describe(`service desk on ${kind}`, () => {
    let server;
    let browser;
    let ticketPath;

    before(async () => {
      server = await startServer(kind);
      browser = await launchBrowser();
      for (const [u, role] of [[AGENT, 'agent'], [MANAGER, 'manager']]) {
        await kefuCli(['--database-url', server.db.url, 'user', 'create', '--email', u.email, '--password', u.password, '--role', role, '--name', u.name]);
      }
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
    });

    test(`${kind}: an agent files a phone call as a ticket`, async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, ZH, async ({ page }) => {
        await login(page, base, AGENT);
        const customer = await createCustomer(page, base, { name: '张先生', phone: '13912345678' });
        await page.goto(`${base}/customers/${customer}`);
        await Promise.all([page.waitForURL(/\/tickets\/new\?customer_id=\d+$/), page.locator('a#new-ticket').click()]);
        const form = page.locator('form#ticket-form');
        assert.equal(await form.locator('select[name=channel]').inputValue(), 'phone', 'a call is the default');
        await form.locator('select[name=kind]').selectOption('complaint');
        await form.locator('input[name=subject]').fill('热水器漏水 <b>急</b>');
        await form.locator('textarea[name=body]').fill('客户来电：装好第二天就漏水，要求上门。');
        await Promise.all([page.waitForURL(/\/tickets\/\d+/), form.locator('button[type=submit]').click()]);
        ticketPath = new URL(page.url()).pathname;
        assert.match(ticketPath, /^\/tickets\/\d+$/);
        assert.equal((await page.locator('h1').innerText()).trim(), '热水器漏水 <b>急</b>', 'the subject is shown as typed, escaped');
        assert.equal((await page.locator('#ticket-channel').innerText()).trim(), '电话');
        assert.ok((await page.locator('#sla').innerText()).includes('首次响应'), 'the SLA targets are on the page');
      });
    });

    test(`${kind}: the ticket page fits a phone`, async (t) => {
      assert.ok(ticketPath, 'filed by the test before');
      const base = server.baseURL;
      await withPage(browser, t, PHONE, async ({ page }) => {
        await login(page, base, AGENT);
        await page.goto(`${base}${ticketPath}`);
        await page.locator('form#reply-form').waitFor({ state: 'visible' });
        await assertNoSideScroll(page, 'the ticket page at 375 px');
        const box = await page.locator('form#reply-form textarea').boundingBox();
        assert.ok(box.width >= 300, `the reply box uses the width: ${box.width}px`);
      });
    });

    test(`${kind}: the language stored on the account wins over the browser's`, async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, EN, async ({ page }) => {
        await login(page, base, AGENT);
        assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the browser speaks English');
        await page.goto(`${base}/account`);
        const form = page.locator('form#language-form');
        await form.locator('select[name=language]').selectOption('zh-CN');
        await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
      });
      // A fresh browser in English, with none of the earlier cookies: the account's choice holds.
      await withPage(browser, t, EN, async ({ page }) => {
        await login(page, base, AGENT);
        assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
        assert.equal((await page.locator('h1').first().innerText()).trim(), '我的队列');
      });
    });

    test(`${kind}: a manager sets a service level and publishes a commitment`, async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, ZH, async ({ page }) => {
        await login(page, base, MANAGER);
        await page.goto(`${base}/admin/service-levels`);
        const form = page.locator('form#policy-form');
        await form.locator('input[name=name]').fill('紧急投诉');
        await form.locator('select[name=kind]').selectOption('complaint');
        await form.locator('select[name=priority]').selectOption('urgent');
        await form.locator('input[name=first_response_minutes]').fill('30');
        await form.locator('input[name=resolution_minutes]').fill('480');
        await Promise.all([page.waitForURL(/\/admin\/service-levels\?done=/), form.locator('button[type=submit]').click()]);
        const table = await page.locator('#policy-table').innerText();
        assert.ok(table.includes('紧急投诉') && table.includes('30'), table);

        // …and publishes a commitment, which the public page then shows.
        const c = page.locator('form#commitment-form');
        await c.locator('input[name=title_zh]').fill('投诉 2 个工作小时内首次答复');
        await c.locator('input[name=title_en]').fill('Complaints: a first reply within 2 working hours');
        await c.locator('select[name=metric]').selectOption('first_response');
        await c.locator('select[name=kind]').selectOption('complaint');
        await c.locator('input[name=within_minutes]').fill('120');
        await c.locator('input[name=target_percent]').fill('90');
        await c.locator('input[name=published]').check();
        await Promise.all([page.waitForURL(/done=commitment_saved$/), c.locator('button[type=submit]').click()]);
        assert.ok((await page.locator('#commitment-list').innerText()).includes('投诉 2 个工作小时内首次答复'));
        await page.goto(`${base}/commitments`);
        assert.ok((await page.locator('#commitments').innerText()).includes('投诉 2 个工作小时内首次答复'));
      });
    });
  });
}
