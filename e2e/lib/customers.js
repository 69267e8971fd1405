'use strict';
// Steps on the customer pages that several suites take.

/**
 * Fills the new-customer form as a user would and submits it; returns the new archive's id.
 * `parentName` is the label of the intermediate customer to buy through.
 */
async function createCustomer(page, baseURL, { name, kind = 'end', subkind, parentName, socialStyle, phone, email }) {
  await page.goto(`${baseURL}/customers/new`);
  const form = page.locator('form#customer-form');
  await form.locator('input[name=name]').fill(name);
  await form.locator('select[name=kind]').selectOption(kind);
  if (subkind) await form.locator('select[name=subkind]').selectOption(subkind);
  if (parentName) await form.locator('select[name=parent_id]').selectOption({ label: parentName });
  if (socialStyle) await form.locator('select[name=social_style]').selectOption(socialStyle);
  if (phone) await form.locator('input[name=phone]').fill(phone);
  if (email) await form.locator('input[name=email]').fill(email);
  await Promise.all([page.waitForURL(/\/customers\/\d+\?done=customer_created$/), form.locator('button[type=submit]').click()]);
  return Number(new URL(page.url()).pathname.split('/')[2]);
}

module.exports = { createCustomer };
