// Allot's pages in a real browser: Debian's Chromium driven by
// playwright-core, every page checked with axe-core against WCAG 2.0, 2.1
// and 2.2 at levels A and AA. Started by crates/web/tests/api/browser.rs,
// which serves a fresh Allot and passes what it set up in
// ALLOT_BROWSER_FIXTURE (JSON). Prints one line per check; exits non-zero
// with every failure listed.

import { createHmac } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const fixture = JSON.parse(process.env.ALLOT_BROWSER_FIXTURE)
const screenshots = process.env.ALLOT_SCREENSHOTS
mkdirSync(screenshots, { recursive: true })
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8')
const failures = []

/** The code an authenticator app shows now (RFC 6238, SHA-1, 30 s, 6 digits). */
function totp (base32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)))
  const mac = createHmac('sha1', key).update(counter).digest()
  const offset = mac[mac.length - 1] & 0xf
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0')
}

function check (ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures.push(what)
}

/** Runs axe-core on the page as it is now; every violation is a failure. */
async function accessible (page, state) {
  // Evaluated through the DevTools protocol: the page's own CSP (rightly)
  // refuses an injected script tag.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'] }
  }))
  const found = result.violations.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
  check(found.length === 0, `axe: ${state}${found.length ? ': ' + found.join('; ') : ''}`)
}

/** Whether `locator` is hidden within a few seconds. */
async function hidden (locator) {
  return locator.waitFor({ state: 'hidden', timeout: 5000 }).then(() => true, () => false)
}

async function screenshot (page, name) {
  await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true })
}

async function signIn (page, username, code) {
  await page.goto(`${fixture.base}/sign-in`)
  await page.getByLabel('User name').fill(username)
  await page.getByLabel('Password').fill(fixture.password)
  if (code) await page.getByLabel('Security code').fill(code)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

const browser = await chromium.launch({ executablePath: fixture.chromium, args: ['--no-sandbox'] })
try {
  // Pages anyone may read.
  {
    const page = await browser.newPage()
    for (const [path, name] of [['/policy', 'policy'], ['/glossary', 'glossary'], ['/accessibility', 'accessibility']]) {
      const response = await page.goto(fixture.base + path)
      check(response.status() === 200, `${path} answers 200`)
      await accessible(page, `${path}`)
      await screenshot(page, name)
    }
    const problems = []
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
    await page.goto(`${fixture.base}/policy`)
    check((await page.locator('table').count()) > 0, 'the policy page shows its bands and points')
    check(problems.length === 0, `no script or policy errors in the console (${problems.join('; ')})`)
    check(await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported')), 'GOV.UK Frontend runs under the CSP')
    await page.close()
  }

  // Journey 6 (its first part): a form with errors keeps what was typed.
  {
    const page = await browser.newPage()
    await page.goto(`${fixture.base}/sign-in`)
    await accessible(page, 'sign-in, empty')
    await screenshot(page, 'sign-in')
    await page.getByLabel('User name').fill(fixture.users.caseworker)
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    check(await page.locator('.govuk-error-summary').isVisible(), 'a wrong password shows the error summary')
    check((await page.title()).startsWith('Error: '), 'the title says there is an error')
    check(await page.getByLabel('User name').inputValue() === fixture.users.caseworker, 'the user name typed is kept')
    check(await page.evaluate(() => document.activeElement.closest('.govuk-error-summary') !== null), 'the error summary takes focus')
    await accessible(page, 'sign-in, with errors')
    await screenshot(page, 'sign-in-error')
    await page.close()
  }

  // A caseworker's day begins: sign in with the second factor, see what is
  // due, find a child, open their record.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.clock.install()
    await signIn(page, fixture.users.caseworker, totp(fixture.totp_secret))
    check(new URL(page.url()).pathname === '/', 'signed in, at home')
    check(await page.getByRole('heading', { name: /Your work/ }).isVisible(), 'home shows "Your work"')
    await accessible(page, 'caseworker home')
    await screenshot(page, 'home-caseworker')
    await page.getByLabel('Find a child').fill('Amara')
    await page.getByRole('button', { name: 'Search' }).click()
    check(await page.getByRole('link', { name: /Amara/ }).isVisible(), 'search finds Amara')
    await accessible(page, 'children, searched')
    await page.getByRole('link', { name: /Amara/ }).click()
    check(await page.getByRole('heading', { level: 1, name: 'Mara Okafor' }).isVisible(), 'the record opens, headed by the name she is known by')
    await accessible(page, 'a child\'s record')
    await screenshot(page, 'child-record')

    // Journey 6: adding a child with mistakes keeps every value typed.
    await page.goto(`${fixture.base}/children`)
    await page.getByRole('button', { name: 'Add a child' }).click()
    await accessible(page, 'add a child, empty')
    const typed = {
      'Council reference': 'WV-0100',
      'Given names': 'Kofi',
      'Date of birth': '2016-02-29',
      'NHS number (optional)': '123 456 7890',
      'Postcode (optional)': 'BS1 4DJ'
    }
    for (const [label, value] of Object.entries(typed)) await page.getByLabel(label, { exact: true }).fill(value)
    await page.getByLabel('Home address (optional)').fill('3 Quay Street\nBristol')
    await page.getByLabel('Male', { exact: true }).check()
    await page.getByLabel('Primary need').selectOption('SLCN')
    await page.getByRole('button', { name: 'Add the child' }).click()
    check(await page.locator('.govuk-error-summary').isVisible(), 'a child with mistakes is not added')
    const summary = await page.locator('.govuk-error-summary').innerText()
    check(/family name/i.test(summary) && /NHS number/i.test(summary), `the summary names the missing family name and the bad NHS number (${summary.replace(/\n/g, ' | ')})`)
    for (const [label, value] of Object.entries(typed)) {
      check(await page.getByLabel(label, { exact: true }).inputValue() === value, `"${label}" keeps "${value}"`)
    }
    check(await page.getByLabel('Home address (optional)').inputValue() === '3 Quay Street\nBristol', 'the address keeps both lines')
    check(await page.getByLabel('Male', { exact: true }).isChecked(), 'the sex chosen stays chosen')
    check(await page.getByLabel('Primary need').inputValue() === 'SLCN', 'the primary need chosen stays chosen')
    await accessible(page, 'add a child, with errors')
    await screenshot(page, 'add-child-errors')
    await page.locator('.govuk-error-summary a').first().click()
    check(await page.evaluate(() => document.activeElement.id) !== '', 'an error in the summary takes you to its field')
    await page.getByLabel('Family name', { exact: true }).fill('Mensah')
    await page.getByLabel('NHS number (optional)').fill('943 476 5919')
    await page.getByRole('button', { name: 'Add the child' }).click()
    const added = await page.getByRole('heading', { level: 1, name: 'Kofi Mensah' }).isVisible()
    check(added, `the child is added and their record opens${added ? '' : ': ' + await page.locator('main').innerText()}`)

    // Journey 1: the questionnaire with the family, then the indicative
    // budget and how it was worked out.
    await page.getByRole('link', { name: /Indicative budget/ }).click()
    await page.getByRole('button', { name: 'Start the questionnaire' }).click()
    await accessible(page, 'the questionnaire, empty')
    await page.getByRole('button', { name: 'Work out the indicative budget' }).click()
    check(await page.locator('.govuk-error-summary').isVisible(), 'unanswered questions are named')
    await accessible(page, 'the questionnaire, with errors')
    const groups = page.locator('fieldset')
    for (let i = 0; i < await groups.count(); i++) {
      const options = groups.nth(i).locator('input[type=radio]')
      if (await options.count() > 1) await options.nth(1).check()
    }
    await accessible(page, 'the questionnaire, filled')
    await screenshot(page, 'questionnaire')
    await page.getByRole('button', { name: 'Work out the indicative budget' }).click()
    check(new URL(page.url()).pathname.endsWith('/budget'), 'the answers give a budget')
    const budget = await page.locator('main').innerText()
    check(/The indicative budget is £[\d,]+\.\d\d a year/.test(budget), 'the budget is shown to the penny')
    check(/How it was worked out/.test(budget) && /Your answers/.test(budget), 'with its plain-English explanation')
    await accessible(page, 'the indicative budget')
    await screenshot(page, 'indicative-budget')

    // The timeout warning: 28 idle minutes later, it offers to stay.
    await page.clock.fastForward('28:05')
    const dialog = page.getByRole('dialog', { name: 'You will be signed out soon' })
    check(await dialog.isVisible(), 'the timeout warning appears two minutes before the end')
    await accessible(page, 'the timeout warning')
    await screenshot(page, 'timeout-warning')
    await page.getByRole('button', { name: 'Stay signed in' }).click()
    check(await hidden(dialog), '"Stay signed in" closes the warning')
    await page.clock.fastForward('20:00')
    check(await dialog.isHidden(), 'and the session runs again from then')
    await context.close()
  }

  // Journey 5: a parent who types another child's address gets the same
  // page as for a child that does not exist.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    // Families have an authenticator app too where their council asks it.
    await signIn(page, fixture.users.parent, totp(fixture.totp_secret))
    check(await page.getByRole('link', { name: 'Mara Okafor' }).isVisible(), 'the parent sees their child')
    await accessible(page, 'family home')
    await screenshot(page, 'home-family')
    const theirs = await page.goto(`${fixture.base}/children/${fixture.children.theirs}`)
    const theirsText = await page.locator('main').innerText()
    const missing = await page.goto(`${fixture.base}/children/${fixture.children.missing}`)
    const missingText = await page.locator('main').innerText()
    check(theirs.status() === 404 && missing.status() === 404, 'both answer 404')
    check(theirsText === missingText, 'another child\'s page reads exactly as a missing one')
    check(!theirsText.includes('Zebedee'), 'and says nothing of the other child')
    await accessible(page, 'page not found')
    await screenshot(page, 'not-found')
    await page.goto(`${fixture.base}/`)
    await page.getByRole('button', { name: /Sign out/ }).click()
    check(new URL(page.url()).pathname === '/sign-in', 'signing out goes to the sign-in page')
    await context.close()
  }
} finally {
  await browser.close()
}

if (failures.length) {
  console.error(`\n${failures.length} browser check(s) failed:\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log('all browser checks passed')
