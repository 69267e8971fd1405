'use strict';
// The channel network in the browser, on SQLite and on PostgreSQL: create a wholesaler, a retailer
// under it and a consumer under that; find the consumer by a two-character Chinese word inside its
// name; open the archive and see its place in the channel and the social-style guidance card.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, ADMIN } = require('../lib/server');
const { launchBrowser, withPage, login: signIn } = require('../lib/browser');
const { createCustomer } = require('../lib/customers');
/** Signs in as the admin the server was started with. */
async function login(page, baseURL) {
  await signIn(page, baseURL, ADMIN);
}

for (const kind of ['sqlite', 'postgres']) {
  describe(`customers on ${kind}`, () => {
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

    test(`${kind}: a consumer under a retailer under a wholesaler, found and opened`, async (t) => {
      await withPage(browser, t, { locale: 'zh-CN' }, async ({ page }) => {
        page.on('dialog', () => assert.fail('a dialog opened'));
        await login(page, server.baseURL);
        await createCustomer(page, server.baseURL, { name: '苏州一级批发', kind: 'intermediate', subkind: 'wholesaler_l1' });
        await createCustomer(page, server.baseURL, { name: '观前街门店', kind: 'intermediate', subkind: 'retailer', parentName: '苏州一级批发' });
        const id = await createCustomer(page, server.baseURL, {
          name: '客户王芳<b>投诉</b>',
          kind: 'end',
          parentName: '观前街门店',
          socialStyle: 'analytical',
          phone: '138-0013-8000',
        });

        // Find the consumer by a two-character word inside its name.
        await page.goto(`${server.baseURL}/customers`);
        await page.locator('form#customer-search input[name=q]').fill('王芳');
        await Promise.all([page.waitForURL(/q=/), page.locator('form#customer-search button[type=submit]').click()]);
        const links = page.locator('table a[href^="/customers/"]');
        assert.equal(await links.count(), 1, 'exactly the consumer is found');
        await Promise.all([page.waitForURL(new RegExp(`/customers/${id}$`)), links.first().click()]);

        // The archive: the upstream chain, the name as text, and the guidance card for an analytical contact.
        const crumbs = await page.locator('nav.crumbs').innerText();
        assert.match(crumbs, /苏州一级批发.*观前街门店.*客户王芳/s);
        assert.equal(await page.locator('h1').innerText(), '客户王芳<b>投诉</b>', 'hostile markup is shown as text');
        const card = page.locator('section.guidance');
        await card.waitFor({ state: 'visible' });
        assert.match(await card.innerText(), /分析型/);
        assert.match(await card.innerText(), /批评/, "the analytical style's fears (seed 001)");
      });
    });
  });
}
