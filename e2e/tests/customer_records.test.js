'use strict';
// Customer records in the browser, on SQLite and on PostgreSQL, as staff and a customer click them:
// the edit page (rename, account manager, move; a loop refused), the channel-tree browser (also at
// phone width), duplicates and merge, a portal invitation used by the customer, and a contact with
// its social-style guidance card. Hostile text in names must stay text everywhere it is shown: a
// JavaScript dialog fails the test (lib/browser.js) and no <img> may appear in the page's main part.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, kefuCli, ADMIN } = require('../lib/server');
const { launchBrowser, withPage, assertNoSideScroll, login: signIn } = require('../lib/browser');
const { createCustomer } = require('../lib/customers');

const HOSTILE = '<img src=x onerror=alert(1)>';
const MANAGER = Object.freeze({ email: 'manager@example.com', password: 'manager password 123', name: '经理 Li Na' });
const AGENT = Object.freeze({ email: 'agent@example.com', password: 'agent password 123', name: `客服 ${HOSTILE}` });
const EN = Object.freeze({ locale: 'en-US' });
const PHONE = Object.freeze({ ...EN, viewport: { width: 375, height: 740 } });

const pathname = (page) => new URL(page.url()).pathname;

async function login(page, baseURL, who, home = '/') {
  await signIn(page, baseURL, who);
  assert.equal(pathname(page), home, `${who.email} lands on the home page`);
}

/** Submits `button`'s form and returns the HTTP response to the POST it sends. */
async function submit(page, button) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  return res;
}

/** The hostile name is visible as text in `where` and never became an element. */
async function assertShownAsText(page, where, what) {
  const text = await page.locator(where).first().innerText();
  assert.ok(text.includes(HOSTILE), `${what} shows the hostile text literally: ${JSON.stringify(text)}`);
  assert.equal(await page.locator('main img, header img').count(), 0, `${what}: no <img> was injected`);
}

/** The breadcrumb as the user reads it, with spaces normalised. */
async function crumbs(page) {
  return (await page.locator('nav.crumbs').innerText()).replace(/\s+/g, ' ').trim();
}

for (const kind of ['sqlite', 'postgres']) {
  describe(`customer records on ${kind}`, () => {
    let server;
    let browser;

    before(async () => {
      server = await startServer(kind);
      for (const [u, role] of [
        [MANAGER, 'manager'],
        [AGENT, 'agent'],
      ]) {
        await kefuCli(['--database-url', server.db.url, 'user', 'create', '--email', u.email, '--password', u.password, '--role', role, '--name', u.name]);
      }
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
    });

    test(`${kind}: a manager renames, assigns and moves a customer; a loop is refused and changes nothing`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        const base = server.baseURL;
        await login(page, base, MANAGER);
        const east = await createCustomer(page, base, { name: 'East agent t1', kind: 'intermediate', subkind: 'agent' });
        const eastW = await createCustomer(page, base, { name: 'Suzhou wholesale t1', kind: 'intermediate', subkind: 'wholesaler_l1', parentName: 'East agent t1' });
        const eastR = await createCustomer(page, base, { name: 'Guanqian shop t1', kind: 'intermediate', subkind: 'retailer', parentName: 'Suzhou wholesale t1' });
        await createCustomer(page, base, { name: 'South agent t1', kind: 'intermediate', subkind: 'agent' });
        await createCustomer(page, base, { name: 'Guangzhou wholesale t1', kind: 'intermediate', subkind: 'wholesaler_l1', parentName: 'South agent t1' });
        const li = await createCustomer(page, base, { name: 'Li Lei t1', parentName: 'Guanqian shop t1' });
        assert.match(await crumbs(page), /East agent t1 › Suzhou wholesale t1 › Guanqian shop t1 › Li Lei t1/);

        // Edit: new (hostile) name, the agent as account manager, bought through the southern wholesaler.
        await page.goto(`${base}/customers/${li}`);
        await Promise.all([page.waitForURL(`${base}/customers/${li}/edit`), page.getByRole('link', { name: 'Edit customer' }).click()]);
        const form = page.locator('form#customer-form');
        assert.equal(await form.locator('input[name=name]').inputValue(), 'Li Lei t1', 'the form shows the current name');
        assert.equal(await form.locator('select[name=parent_id] option:checked').innerText(), 'Guanqian shop t1');
        await form.locator('input[name=name]').fill(`Li Lei ${HOSTILE}`);
        await form.locator('select[name=account_manager_id]').selectOption({ label: `${AGENT.name} (${AGENT.email})` });
        await form.locator('select[name=parent_id]').selectOption({ label: 'Guangzhou wholesale t1' });
        const saved = await submit(page, form.getByRole('button', { name: 'Save' }));
        assert.equal(saved.status(), 303, 'a saved edit redirects');
        assert.equal(page.url(), `${base}/customers/${li}?done=customer_saved`);
        await page.locator('p.flash[role=status]').waitFor();
        assert.equal(await page.locator('h1').innerText(), `Li Lei ${HOSTILE}`);
        assert.equal(await crumbs(page), `South agent t1 › Guangzhou wholesale t1 › Li Lei ${HOSTILE}`, 'the new chain');
        const facts = await page.locator('dl.facts').innerText();
        assert.match(facts, /Account manager/);
        assert.ok(facts.includes(AGENT.name), `the account manager is shown: ${JSON.stringify(facts)}`);
        await assertShownAsText(page, 'main', 'the archive');

        // The edit form of the agent: its name is hostile text in the select too.
        await page.goto(`${base}/customers/${li}/edit`);
        assert.equal(
          await page.locator('select[name=account_manager_id] option:checked').innerText(),
          `${AGENT.name} (${AGENT.email})`,
          'the edit form shows the chosen account manager',
        );
        assert.equal(await page.locator('input[name=name]').inputValue(), `Li Lei ${HOSTILE}`);

        // A loop: the east agent under its own retailer, renamed in the same submit. Refused, nothing changes.
        await page.goto(`${base}/customers/${east}/edit`);
        const loop = page.locator('form#customer-form');
        await loop.locator('input[name=name]').fill('East agent renamed t1');
        await loop.locator('select[name=parent_id]').selectOption({ label: 'Guanqian shop t1' });
        const refused = await submit(page, loop.getByRole('button', { name: 'Save' }));
        assert.equal(refused.status(), 409, 'a loop answers 409 Conflict');
        const alert = page.locator('[role=alert][data-field=parent_id]');
        await alert.waitFor();
        assert.match(await alert.innerText(), /loop/);
        assert.equal(await page.locator('form#customer-form input[name=name]').inputValue(), 'East agent renamed t1', 'the form keeps what was typed');
        await page.goto(`${base}/customers/${east}`);
        assert.equal(await page.locator('h1').innerText(), 'East agent t1', 'the name did not change');
        assert.equal(await crumbs(page), 'East agent t1', 'the agent is still at the top');
        await page.goto(`${base}/customers/${eastR}`);
        assert.equal(await crumbs(page), 'East agent t1 › Suzhou wholesale t1 › Guanqian shop t1', "the retailer's chain did not change");
        await page.goto(`${base}/customers/tree?parent=${eastW}`);
        assert.equal(await page.locator('#tree tbody tr').count(), 1, 'the wholesaler still has only the retailer beneath');
      });
    });

    test(`${kind}: the channel tree, clicked from the top down, also at phone width`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        const base = server.baseURL;
        await login(page, base, MANAGER);
        const wName = `Lanzhou wholesale ${HOSTILE}`;
        const agent = await createCustomer(page, base, { name: 'Northwest agent t2', kind: 'intermediate', subkind: 'agent' });
        const w = await createCustomer(page, base, { name: wName, kind: 'intermediate', subkind: 'wholesaler_l1', parentName: 'Northwest agent t2' });
        const r1 = await createCustomer(page, base, { name: 'Xiguan shop t2', kind: 'intermediate', subkind: 'retailer', parentName: wName });
        const r2 = await createCustomer(page, base, { name: 'Donggang shop t2', kind: 'intermediate', subkind: 'retailer', parentName: wName });
        const e1 = await createCustomer(page, base, { name: 'Zhang San t2', parentName: 'Xiguan shop t2' });
        await createCustomer(page, base, { name: 'Zhang Si t2', parentName: 'Xiguan shop t2' });

        // The customers list links to the tree.
        await page.goto(`${base}/customers`);
        await Promise.all([page.waitForURL(`${base}/customers/tree`), page.getByRole('link', { name: 'Channel tree' }).first().click()]);
        const row = (name) => page.locator('#tree tbody tr', { has: page.getByRole('link', { name, exact: true }) });
        const beneath = async (name) => Number((await row(name).locator('td').nth(3).innerText()).trim());

        // Top: the agent with everything beneath it (wholesaler, two retailers, two consumers).
        assert.equal(await page.locator('h1').innerText(), 'Channel tree');
        assert.equal(await beneath('Northwest agent t2'), 5);
        await Promise.all([page.waitForURL(`${base}/customers/tree?parent=${agent}`), row('Northwest agent t2').getByRole('link').click()]);

        // The agent's level: its wholesaler (hostile name) with four beneath.
        assert.equal(await page.locator('h1').innerText(), 'Northwest agent t2');
        assert.equal(await crumbs(page), 'Top › Northwest agent t2');
        assert.equal(await page.locator('#tree tbody tr').count(), 1);
        assert.equal(await beneath(wName), 4);
        await assertShownAsText(page, '#tree', 'the tree row');
        await Promise.all([page.waitForURL(`${base}/customers/tree?parent=${w}`), row(wName).getByRole('link').click()]);

        // The wholesaler's level: two retailers; one with customers beneath (browsable), one without (its archive).
        assert.equal(await page.locator('h1').innerText(), wName);
        assert.equal(await crumbs(page), `Top › Northwest agent t2 › ${wName}`);
        await assertShownAsText(page, 'nav.crumbs', 'the breadcrumb');
        assert.equal(await page.locator('#tree tbody tr').count(), 2);
        assert.equal(await beneath('Xiguan shop t2'), 2);
        assert.equal(await beneath('Donggang shop t2'), 0);
        assert.equal(await row('Xiguan shop t2').getByRole('link').getAttribute('href'), `/customers/tree?parent=${r1}`);
        assert.equal(await row('Donggang shop t2').getByRole('link').getAttribute('href'), `/customers/${r2}`);
        assert.match(await row('Xiguan shop t2').innerText(), /Retailer/);

        // One level further: the consumers link to their archives; the breadcrumb goes back up.
        await Promise.all([page.waitForURL(`${base}/customers/tree?parent=${r1}`), row('Xiguan shop t2').getByRole('link').click()]);
        assert.equal(await beneath('Zhang San t2'), 0);
        assert.equal(await row('Zhang San t2').getByRole('link').getAttribute('href'), `/customers/${e1}`);
        await Promise.all([
          page.waitForURL(`${base}/customers/tree?parent=${agent}`),
          page.locator('nav.crumbs').getByRole('link', { name: 'Northwest agent t2' }).click(),
        ]);
        await Promise.all([page.waitForURL(`${base}/customers/tree`), page.locator('nav.crumbs').getByRole('link', { name: 'Top' }).click()]);
        assert.equal(await beneath('Northwest agent t2'), 5);
      });

      // The same walk at phone width: no sideways scroll on any level.
      await withPage(browser, t, PHONE, async ({ page }) => {
        const base = server.baseURL;
        await login(page, base, MANAGER);
        await page.goto(`${base}/customers/tree`);
        await assertNoSideScroll(page, 'the top of the tree');
        for (const name of ['Northwest agent t2', `Lanzhou wholesale ${HOSTILE}`, 'Xiguan shop t2']) {
          const link = page.locator('#tree').getByRole('link', { name, exact: true });
          assert.ok(await link.isVisible(), `${name} is visible at phone width`);
          await Promise.all([page.waitForURL(/\/customers\/tree\?parent=\d+$/), link.click()]);
          await page.locator('nav.crumbs').waitFor();
          await assertNoSideScroll(page, `the tree beneath ${name}`);
        }
        assert.equal(await crumbs(page), `Top › Northwest agent t2 › Lanzhou wholesale ${HOSTILE} › Xiguan shop t2`);
      });
    });

    test(`${kind}: two consumers with one phone written two ways are merged`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        const base = server.baseURL;
        const newerName = `Wang Fang ${HOSTILE}`;
        await login(page, base, MANAGER);
        const older = await createCustomer(page, base, { name: 'Wang Fang t3', phone: '138-0013-8000' });
        const newer = await createCustomer(page, base, { name: newerName, phone: '+86 138 0013 8000', email: 'wangfang@example.com' });

        // The newer archive warns of the older one already.
        assert.equal(await page.locator('#duplicates').getByRole('link', { name: 'Wang Fang t3' }).getAttribute('href'), `/customers/${older}`);

        await page.goto(`${base}/customers`);
        await Promise.all([page.waitForURL(`${base}/customers/duplicates`), page.getByRole('link', { name: 'Possible duplicates' }).click()]);
        const pair = page.locator('tbody tr', { hasText: 'Wang Fang t3' });
        assert.equal(await pair.count(), 1, 'the pair is listed once');
        assert.match(await pair.locator('td').first().innerText(), /^Phone: 13800138000$/, 'the shared phone, normalised');
        assert.equal(await pair.locator('td').nth(1).getByRole('link').getAttribute('href'), `/customers/${older}`, 'older first');
        assert.equal(await pair.locator('td').nth(2).getByRole('link').getAttribute('href'), `/customers/${newer}`, 'newer second');
        await assertShownAsText(page, 'tbody', 'the duplicates list');

        await Promise.all([
          page.waitForURL(`${base}/customers/${older}?done=customers_merged`),
          pair.getByRole('button', { name: 'Merge newer into older' }).click(),
        ]);
        assert.equal(await page.locator('h1').innerText(), 'Wang Fang t3', 'the older record is kept');
        await page.locator('p.flash[role=status]').waitFor();
        const contacts = page.locator('h2:text-is("Contacts") + ul li');
        assert.equal(await contacts.count(), 2, 'the contacts of both records');
        const all = await page.locator('h2:text-is("Contacts") + ul').innerText();
        assert.ok(all.includes('138-0013-8000') && all.includes('+86 138 0013 8000'), `both phones: ${JSON.stringify(all)}`);
        assert.ok(all.includes(newerName) && all.includes('wangfang@example.com'), `the newer contact: ${JSON.stringify(all)}`);
        await assertShownAsText(page, 'main', 'the merged archive');
        assert.equal(await page.locator('#duplicates').count(), 0, 'no duplicate warning after the merge');

        // The merged record points to the kept one.
        await page.goto(`${base}/customers/${newer}`);
        const note = page.locator('p.warn', { hasText: 'This record was merged into' });
        await note.waitFor();
        await Promise.all([page.waitForURL(`${base}/customers/${older}`), note.getByRole('link', { name: 'Wang Fang t3' }).click()]);

        // And the list of duplicates is empty again.
        await page.goto(`${base}/customers/duplicates`);
        assert.equal(await page.locator('tbody tr', { hasText: 'Wang Fang t3' }).count(), 0);
      });
    });

    test(`${kind}: an agent invites a contact to the portal; the customer chooses a password and signs in`, async (t) => {
      const base = server.baseURL;
      const customer = { email: 'hanmeimei@example.com', password: 'portal password 2026' };
      let link;
      await withPage(browser, t, EN, async ({ page }) => {
        await login(page, base, AGENT);
        const id = await createCustomer(page, base, { name: `Han Meimei ${HOSTILE}`, email: customer.email });
        const contact = page.locator('h2:text-is("Contacts") + ul li', { hasText: customer.email });
        await contact.getByText('Create a portal account').click();
        const portal = contact.locator('form.portal-form');
        await portal.waitFor();
        assert.equal(await portal.locator('input[name=password]').inputValue(), '', 'the password stays empty');
        const res = await submit(page, portal.getByRole('button', { name: 'Create account' }));
        assert.equal(res.status(), 200);
        link = (await page.locator('#invite-link').innerText()).trim();
        assert.match(link, /^\/invite\/[A-Za-z0-9_-]{20,}$/, 'a one-time link');
        assert.match(await page.locator('#portal-created').innerText(), /one-time link/);
        // The archive now shows the account as invited, and offers no second one.
        await page.goto(`${base}/customers/${id}`);
        const badge = page.locator('h2:text-is("Contacts") + ul li', { hasText: customer.email }).locator('.badge', { hasText: 'Portal account' });
        assert.match(await badge.innerText(), /invited/);
        assert.equal(await page.getByText('Create a portal account').count(), 0);
        assert.equal(await page.locator('#invite-link').count(), 0, 'the link is shown once');
      });

      // The customer, in a browser that has never seen kefu.
      await withPage(browser, t, EN, async ({ context, page }) => {
        assert.equal((await context.cookies()).length, 0);
        const opened = await page.goto(`${base}${link}`);
        assert.equal(opened.status(), 200);
        const form = page.locator('form#invite-form');
        await form.locator('input[name=password]').fill(customer.password);
        await form.locator('input[name=confirm]').fill('a different password');
        const mismatch = await submit(page, form.getByRole('button', { name: /./ }));
        assert.equal(mismatch.status(), 422);
        await page.locator('[role=alert][data-field=confirm]').waitFor();
        assert.equal(pathname(page), link, 'still on the invitation');

        const again = page.locator('form#invite-form');
        await again.locator('input[name=password]').fill(customer.password);
        await again.locator('input[name=confirm]').fill(customer.password);
        await Promise.all([page.waitForURL(`${base}/login?done=password_chosen`), again.getByRole('button', { name: /./ }).click()]);
        assert.match(await page.locator('p.flash[role=status]').innerText(), /password is set/);

        await login(page, base, customer, '/my/requests');
        assert.equal(await page.locator('h1').first().innerText(), 'My requests', "the customer's home page");
        // The portal: file a request and see it with its reference.
        const ask = page.locator('form#new-request');
        await ask.locator('#kind').selectOption('request');
        await ask.locator('#subject').fill(`Install ${HOSTILE}`);
        await ask.locator('#body').fill('Please book a technician for Saturday.');
        await Promise.all([page.waitForURL(/\/my\/requests\/\d+/), ask.locator('button[type=submit]').click()]);
        await assertShownAsText(page, 'h1', 'the request subject');
        assert.match(await page.locator('#reference').innerText(), /^KF-\d{4}-\d{6}$/);
        assert.match(await page.locator('header .who').innerText(), /Han Meimei/);
        await assertShownAsText(page, 'header .who', 'the signed-in name');
        const staffOnly = await page.goto(`${base}/customers`);
        assert.equal(staffOnly.status(), 403, 'a customer may not open the staff customer list');

        // The link is used up.
        const reused = await page.goto(`${base}${link}`);
        assert.equal(reused.status(), 404, 'a used invitation is not found');
        assert.equal(await page.locator('form#invite-form').count(), 0);
      });

      // Nor does it work for anyone else.
      await withPage(browser, t, EN, async ({ page }) => {
        const reused = await page.goto(`${base}${link}`);
        assert.equal(reused.status(), 404, 'a used invitation is not found, signed out either');
        const unknown = await page.goto(`${base}/invite/not-a-real-token`);
        assert.equal(unknown.status(), 404, 'an unknown invitation is not found');
      });
    });

    test(`${kind}: a contact added from the archive shows its guidance card`, async (t) => {
      await withPage(browser, t, EN, async ({ page }) => {
        const base = server.baseURL;
        const name = `Zhao ${HOSTILE}`;
        await login(page, base, AGENT);
        const id = await createCustomer(page, base, { name: 'Hongqiao shop t5', kind: 'intermediate', subkind: 'retailer' });
        assert.equal(await page.locator('section.guidance').count(), 0, 'no contact, no card');
        await page.getByText('Add a contact', { exact: true }).first().click();
        const form = page.locator('form#contact-form');
        await form.locator('#contact-name').fill(name);
        await form.locator('#contact-role').fill('purchasing manager');
        await form.locator('#contact-phone').fill('021-6233 1234');
        await form.locator('#contact-style').selectOption({ label: 'Expressive' });
        await Promise.all([page.waitForURL(`${base}/customers/${id}?done=contact_added`), form.getByRole('button', { name: 'Add a contact' }).click()]);
        const card = page.locator('section.guidance');
        await card.waitFor();
        const heading = await card.locator('h2').innerText();
        assert.ok(heading.includes('Expressive') && heading.includes(name), `the card names the style and the contact: ${JSON.stringify(heading)}`);
        assert.equal(await card.locator('h3').count(), 3, 'traits, needs and fears');
        assert.ok((await card.locator('li').count()) >= 3);
        const listed = await page.locator('h2:text-is("Contacts") + ul').innerText();
        assert.ok(listed.includes(name) && listed.includes('purchasing manager') && listed.includes('021-6233 1234'), listed);
        await assertShownAsText(page, 'main', 'the archive with the new contact');
      });
    });
  });
}
