'use strict';
// Debian's chromium driven by playwright-core (no browser download), and a screenshot of the
// page under e2e/artifacts/ whenever a test fails.

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.KEFU_E2E_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60_000 });
}

function safeName(name) {
  return name.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^_+|_+$/g, '').slice(0, 150) || 'test';
}

/** Saves a full-page screenshot of every open page of `context`; returns the files written. */
async function screenshot(context, testName) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const written = [];
  const pages = context.pages();
  for (let i = 0; i < pages.length; i++) {
    const file = path.join(ARTIFACTS, `${safeName(testName)}${pages.length > 1 ? `-${i}` : ''}.png`);
    try {
      await pages[i].screenshot({ path: file, fullPage: true, timeout: 10_000 });
      written.push(file);
    } catch {
      // A crashed or closed page has no picture; the test's own error says what happened.
    }
  }
  return written;
}

/**
 * Runs `fn({context, page})` in a fresh browser context (its own cookies), fails the test on any
 * JavaScript dialog, saves a screenshot on failure and always closes the context.
 * `t` is the node:test context (its name names the screenshot).
 */
async function withPage(browser, t, contextOptions, fn) {
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const dialogs = [];
  // What a page loads besides itself (stylesheets, scripts, icons) must be there: a 4xx on a
  // sub-resource is a broken page, even when the page itself answered 200.
  const missing = [];
  context.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document' && !r.url().includes('/api/')) {
      missing.push(`${r.status()} ${r.url()}`);
    }
  });
  context.on('page', (p) => watchDialogs(p, dialogs));
  const page = await context.newPage();
  watchDialogs(page, dialogs);
  try {
    await fn({ context, page });
    if (dialogs.length) throw new Error(`unexpected JavaScript dialog(s): ${dialogs.map((d) => JSON.stringify(d)).join(', ')}`);
    if (missing.length) throw new Error(`sub-resources that failed to load: ${missing.join(', ')}`);
  } catch (err) {
    const name = t.fullName || t.name;
    const files = await screenshot(context, name);
    if (files.length) err.message += `\n(screenshot: ${files.join(', ')}; url: ${safeUrl(page)})`;
    throw err;
  } finally {
    await context.close().catch(() => {});
  }
}

function watchDialogs(page, dialogs) {
  if (page.__kefuWatched) return;
  page.__kefuWatched = true;
  page.on('dialog', async (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    await d.dismiss().catch(() => {});
  });
}

function safeUrl(page) {
  try {
    return page.url();
  } catch {
    return '?';
  }
}

/** Signs in through the login form and waits until the page it lands on has loaded. */
async function login(page, baseURL, { email, password }) {
  await page.goto(`${baseURL}/login`);
  const form = page.locator('form#login-form');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/login', { waitUntil: 'load' }),
    form.locator('button[type=submit]').click(),
  ]);
}

/** Fails when the page is wider than its window: it would scroll sideways (on a phone, say). */
async function assertNoSideScroll(page, what) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  if (scrollWidth > clientWidth) {
    throw new Error(`${what} scrolls sideways: scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`);
  }
}

module.exports = { launchBrowser, withPage, screenshot, login, assertNoSideScroll, ARTIFACTS };
