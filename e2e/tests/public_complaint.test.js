'use strict';
// The public complaint form in the browser, on SQLite and on PostgreSQL: a customer without an
// account files a complaint in Chinese on a phone-sized screen, gets a reference and a private
// follow link; staff find it in the queue, reply and resolve it; the customer reads the reply and
// answers on the follow page. A QR code's address opens the form pre-tagged with its touchpoint.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, ADMIN } = require('../lib/server');
const { launchBrowser, withPage, assertNoSideScroll, login } = require('../lib/browser');

const ZH_PHONE = Object.freeze({ locale: 'zh-CN', viewport: { width: 375, height: 740 } });
const EN = Object.freeze({ locale: 'en-US' });

/** Fills and sends the public form; returns { reference, follow } from the thank-you page. */
async function fileComplaint(page, url, { name, phone, subject, body }) {
  await page.goto(url);
  const form = page.locator('form#complaint-form');
  await assertNoSideScroll(page, 'the public form');
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name=phone]').fill(phone);
  await form.locator('select[name=kind]').selectOption('complaint');
  await form.locator('input[name=subject]').fill(subject);
  await form.locator('textarea[name=body]').fill(body);
  await Promise.all([page.waitForURL((u) => u.pathname === '/complaint'), form.locator('button[type=submit]').click()]);
  await page.waitForLoadState('load');
  const reference = (await page.locator('#reference').innerText()).trim();
  assert.match(reference, /^KF-/);
  const follow = await page.locator('a#follow-link').getAttribute('href');
  assert.match(follow, /^\/follow\/[A-Za-z0-9_-]{20,}$/);
  return { reference, follow };
}

/** Opens the ticket with `reference` from the staff queue. */
async function openFromQueue(page, baseURL, reference) {
  await page.goto(`${baseURL}/tickets`);
  await Promise.all([page.waitForURL(/\/tickets\/\d+$/), page.locator('a', { hasText: reference }).first().click()]);
  assert.equal((await page.locator('#reference').innerText()).trim(), reference);
}

for (const kind of ['sqlite', 'postgres']) {
  describe(`public complaint form on ${kind}`, () => {
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

    test('a customer files a complaint, staff answer and resolve it, the customer follows it', async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, ZH_PHONE, async ({ context, page: customer }) => {
        const filed = await fileComplaint(customer, `${base}/complaint`, {
          name: '王芳',
          phone: '139 1234 5678',
          subject: '空调不制冷',
          body: '上周安装的空调一直不制冷，请尽快派人来看看。',
        });
        await customer.goto(`${base}${filed.follow}`);
        await assertNoSideScroll(customer, 'the follow page');
        assert.ok((await customer.locator('#conversation').innerText()).includes('一直不制冷'));

        await withPage(browser, t, EN, async ({ page: staff }) => {
          await login(staff, base, ADMIN);
          await openFromQueue(staff, base, filed.reference);
          assert.equal((await staff.locator('#ticket-channel').innerText()).trim(), 'Web form');
          await staff.locator('form#reply-form textarea[name=body]').fill('您好，师傅明天上午上门检修。');
          await Promise.all([staff.waitForURL(/done=/), staff.locator('form#reply-form button[type=submit]').click()]);
          // A photo of the repair sheet attached from the ticket page, then downloadable.
          await staff.locator('form#attach-form input[type=file]').setInputFiles({
            name: '维修单.png',
            mimeType: 'image/png',
            buffer: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
          });
          await Promise.all([staff.waitForURL(/done=/), staff.locator('form#attach-form button[type=submit]').click()]);
          const file = staff.locator('#attachments a', { hasText: '维修单.png' });
          assert.equal(await file.count(), 1);
          const download = await staff.request.get(`${base}${await file.getAttribute('href')}`);
          assert.equal(download.status(), 200);
          assert.equal((await download.body()).toString('hex'), '89504e470d0a1a0a0000000d49484452');

          // The customer sees the reply and answers on the follow page.
          await customer.goto(`${base}${filed.follow}`);
          assert.ok((await customer.locator('#conversation').innerText()).includes('师傅明天上午上门检修'));
          await customer.locator('form#follow-form textarea[name=body]').fill('好的，谢谢！');
          await Promise.all([customer.waitForURL(/done=follow_replied/), customer.locator('form#follow-form button[type=submit]').click()]);
          assert.ok((await customer.locator('#conversation').innerText()).includes('好的，谢谢！'));

          // Staff see the answer and resolve the ticket.
          await staff.reload();
          assert.ok((await staff.locator('#conversation').innerText()).includes('好的，谢谢！'));
          await staff.locator('form#status-form select[name=status]').selectOption('resolved');
          await Promise.all([staff.waitForURL(/done=/), staff.locator('form#status-form button[type=submit]').click()]);
          assert.equal((await staff.locator('#ticket-status').innerText()).trim(), 'Resolved');
          await customer.reload();
          assert.equal((await customer.locator('#follow-status').innerText()).trim(), '已解决');
        });
        await context.clearCookies();
      });
    });

    test('a QR code address opens the form pre-tagged with its touchpoint', async (t) => {
      const base = server.baseURL;
      await withPage(browser, t, EN, async ({ page: staff }) => {
        await login(staff, base, ADMIN);
        const res = await staff.request.get(`${base}/qr.svg?touchpoint=${encodeURIComponent('前台')}`);
        assert.equal(res.status(), 200);
        assert.equal(res.headers()['content-type'], 'image/svg+xml');
        assert.ok((await res.text()).includes('<svg'));
      });
      let reference;
      await withPage(browser, t, ZH_PHONE, async ({ page }) => {
        const url = `${base}/complaint?via=qr&touchpoint=${encodeURIComponent('前台')}`;
        await page.goto(url);
        assert.ok((await page.locator('#touchpoint').innerText()).includes('前台'));
        ({ reference } = await fileComplaint(page, url, {
          name: '李雷',
          phone: '13700001111',
          subject: '前台排队太久',
          body: '今天在前台等了四十分钟。',
        }));
      });
      await withPage(browser, t, EN, async ({ page: staff }) => {
        await login(staff, base, ADMIN);
        await openFromQueue(staff, base, reference);
        assert.equal((await staff.locator('#ticket-channel').innerText()).trim(), 'QR code');
        assert.equal((await staff.locator('#ticket-touchpoint').innerText()).trim(), '前台');
      });
    });
  });
}
