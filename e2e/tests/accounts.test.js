'use strict';
// Accounts in the browser, on SQLite and on PostgreSQL: log in as the admin in Chinese and in
// English, create an agent (with hostile text in its name), log in as that agent, log out, switch
// the language, and check the pages fit a phone-width screen.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, ADMIN } = require('../lib/server');
const { launchBrowser, withPage, login: signIn } = require('../lib/browser');

const AGENT = Object.freeze({
  email: 'agent1@example.com',
  name: '客服 王芳 <script>alert(1)</script>',
  password: 'agent password 123',
});

const EN = { locale: 'en-US' };
const ZH = { locale: 'zh-CN' };

async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

async function pathname(page) {
  return new URL(page.url()).pathname;
}

/** Fills and submits the login form; waits until the browser has left /login. */
async function login(page, baseURL, who) {
  await signIn(page, baseURL, who);
  assert.equal(await pathname(page), '/', 'after login the browser lands on /');
  await page.locator('h1').first().waitFor({ state: 'visible' });
}

/** Clicks the logout button in the nav; waits until the browser is on /login. */
async function logout(page) {
  const button = page.locator('form#logout-form').locator('button, input[type=submit]').first();
  await Promise.all([page.waitForURL((u) => u.pathname === '/login', { waitUntil: 'load' }), button.click()]);
  await page.locator('form#login-form').waitFor({ state: 'visible' });
}

/** The hostile name must never become markup (CSP would stop it running; this catches the escaping itself). */
async function assertNoInjectedScript(page) {
  const injected = await page.evaluate(() =>
    [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('alert(1)')).length,
  );
  assert.equal(injected, 0, 'no script element was injected by the name');
}

async function assertFitsWidth(page, width, what) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= width, `${what} scrolls sideways at ${width}px: scrollWidth ${scrollWidth} (clientWidth ${clientWidth})`);
}

for (const kind of ['sqlite', 'postgres']) {
  describe(`accounts on ${kind}`, () => {
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

    test(`${kind}: admin logs in in Chinese`, async (t) => {
      await withPage(browser, t, ZH, async ({ page }) => {
        const res = await page.goto(`${server.baseURL}/login`);
        assert.equal(res.status(), 200);
        assert.equal(await htmlLang(page), 'zh-CN', 'login page follows Accept-Language zh-CN');
        await login(page, server.baseURL, ADMIN);
        assert.equal(await htmlLang(page), 'zh-CN', 'home page stays in zh-CN');
      });
    });

    test(`${kind}: admin logs in in English`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        const res = await page.goto(`${server.baseURL}/login`);
        assert.equal(res.status(), 200);
        assert.equal(await htmlLang(page), 'en', 'login page follows Accept-Language en-US');
        await login(page, server.baseURL, ADMIN);
        assert.equal(await htmlLang(page), 'en', 'home page stays in English');
      });
    });

    test(`${kind}: a wrong password shows an error and stays on the login page`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        await page.goto(`${server.baseURL}/login`);
        const form = page.locator('form#login-form');
        await form.locator('input[name=email]').fill(ADMIN.email);
        await form.locator('input[name=password]').fill('not the password at all');
        await form.locator('button[type=submit]').click();
        await page.locator('[role=alert]').first().waitFor({ state: 'visible' });
        await page.waitForLoadState('load');
        assert.equal(await pathname(page), '/login');
        await page.locator('form#login-form').waitFor({ state: 'visible' });
      });
    });

    test(`${kind}: admin creates an agent whose name is hostile text`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        await login(page, server.baseURL, ADMIN);
        const res = await page.goto(`${server.baseURL}/admin/users/new`);
        assert.equal(res.status(), 200);
        const form = page.locator('form#user-form');
        await form.locator('input[name=email]').fill(AGENT.email);
        await form.locator('input[name=name]').fill(AGENT.name);
        await form.locator('select[name=role]').selectOption('agent');
        await form.locator('input[name=password]').fill(AGENT.password);
        await Promise.all([
          page.waitForURL((u) => u.pathname === '/admin/users', { waitUntil: 'load' }),
          form.locator('button[type=submit]').click(),
        ]);
        const table = page.locator('table').first();
        await table.waitFor({ state: 'visible' });
        const row = table.locator('tr', { hasText: AGENT.email });
        assert.equal(await row.count(), 1, 'the users table lists the new agent once');
        const rowText = await row.innerText();
        assert.ok(rowText.includes(AGENT.name), `the row shows the name as text, escaped: ${JSON.stringify(rowText)}`);
        const bodyText = await page.locator('body').innerText();
        assert.ok(bodyText.includes('<script>alert(1)</script>'), 'the hostile name is shown literally');
        await assertNoInjectedScript(page);
      });
    });

    test(`${kind}: admin logs out, the agent logs in and out`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        await login(page, server.baseURL, ADMIN);
        await logout(page);
        await login(page, server.baseURL, AGENT);
        const h1 = page.locator('h1').first();
        assert.ok((await h1.innerText()).trim().length > 0, 'the agent home has a heading');
        assert.equal(await page.locator('a[href="/admin/users"]').count(), 0, 'an agent sees no link to user admin');
        const bodyText = await page.locator('body').innerText();
        assert.ok(!bodyText.includes(ADMIN.email), 'the agent page shows nothing of the admin session');
        if (bodyText.includes('客服 王芳')) {
          assert.ok(bodyText.includes(AGENT.name), 'where the agent page shows its own name, it shows it literally');
        }
        await assertNoInjectedScript(page);
        await logout(page);
        // The session is gone: a logged-in page sends the browser back to the login.
        await page.goto(`${server.baseURL}/`);
        assert.equal(await pathname(page), '/login', 'after logout / redirects to /login');
      });
    });

    test(`${kind}: the language switch on the login page`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        await page.goto(`${server.baseURL}/login`);
        assert.equal(await htmlLang(page), 'en');
        const sw = page.locator('form.lang-switch').first();
        await sw.locator('button[name=to][value="zh-CN"]').click();
        await page.locator('html[lang="zh-CN"]').waitFor({ state: 'attached' }).catch(() => {});
        await page.waitForLoadState('load');
        assert.equal(await htmlLang(page), 'zh-CN', 'after switching to 中文');
        assert.equal(await pathname(page), '/login', 'the switch returns to the page it was on');
        // The choice sticks across pages, over the browser's Accept-Language.
        await page.goto(`${server.baseURL}/login`);
        assert.equal(await htmlLang(page), 'zh-CN', 'the choice is remembered');
        const sw2 = page.locator('form.lang-switch').first();
        await sw2.locator('button[name=to][value=en]').click();
        await page.locator('html[lang="en"]').waitFor({ state: 'attached' }).catch(() => {});
        await page.waitForLoadState('load');
        assert.equal(await htmlLang(page), 'en', 'and back to English');
      });
    });

    test(`${kind}: pages fit a phone-width screen`, async (t) => {
      await withPage(browser, t, { ...EN, viewport: { width: 375, height: 740 }, isMobile: false }, async ({ page }) => {
        await page.goto(`${server.baseURL}/login`);
        await assertFitsWidth(page, 375, 'the login page');
        await login(page, server.baseURL, ADMIN);
        await assertFitsWidth(page, 375, 'the home page');
        await page.goto(`${server.baseURL}/admin/users`);
        await page.locator('table').first().waitFor({ state: 'attached' });
        await assertFitsWidth(page, 375, 'the users page');
        await page.goto(`${server.baseURL}/admin/users/new`);
        await assertFitsWidth(page, 375, 'the new-user page');
      });
    });
  });
}
