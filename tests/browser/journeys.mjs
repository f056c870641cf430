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

/** A code no earlier sign-in by `username` has used: each code works once. */
const lastStep = {}
async function freshCode (username) {
  const step = () => Math.floor(Date.now() / 1000 / 30)
  while (lastStep[username] === step()) await new Promise((resolve) => setTimeout(resolve, 500))
  lastStep[username] = step()
  return totp(fixture.totp_secret)
}

async function signIn (page, username) {
  const code = await freshCode(username)
  await page.goto(`${fixture.base}/sign-in`)
  await page.getByLabel('User name').fill(username)
  await page.getByLabel('Password').fill(fixture.password)
  await page.getByLabel('Security code').fill(code)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

// Keyboard only: Tab until the control named `name` has focus (and shows
// it), then type, choose or press as a keyboard user would.

/** The name a keyboard user hears for the focused control. */
function focusedName () {
  const el = document.activeElement
  const label = el.labels && el.labels.length ? el.labels[0].innerText : ''
  return (label || el.getAttribute('aria-label') || el.innerText || '').trim()
}

async function tabTo (page, name) {
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab')
    const here = await page.evaluate(focusedName)
    if (typeof name === 'string' ? here === name : name.test(here)) {
      const shown = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement)
        return style.outlineStyle !== 'none' || style.boxShadow !== 'none'
      })
      if (!shown) check(false, `the focus on "${here}" can be seen`)
      return
    }
  }
  throw new Error(`"${name}" cannot be reached with the Tab key on ${page.url()}`)
}

async function typeInto (page, name, text) {
  await tabTo(page, name)
  await page.keyboard.type(text)
}

/** Moves through a select's options, or a group's radios, with the arrow keys. */
async function arrowTo (page, name, option) {
  await tabTo(page, name)
  const current = () => page.evaluate(() => {
    const el = document.activeElement
    return el.tagName === 'SELECT' ? el.selectedOptions[0].text : (el.checked ? focusedNameOf(el) : '')
    function focusedNameOf (e) { return e.labels[0].innerText.trim() }
  })
  for (let i = 0; i < 40 && await current() !== option; i++) {
    const isRadio = await page.evaluate(() => document.activeElement.type === 'radio')
    if (isRadio && i === 0 && !(await page.evaluate(() => document.activeElement.checked))) {
      await page.keyboard.press('Space')
    } else {
      await page.keyboard.press('ArrowDown')
    }
  }
  check(await current() === option, `"${option}" chosen with the keyboard`)
}

/** Presses Enter on the focused control and waits for the next page. */
async function enter (page) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
}

async function press (page, name) {
  await tabTo(page, name)
  await enter(page)
}

async function keyboardSignIn (page, username) {
  const code = await freshCode(username)
  await page.goto(`${fixture.base}/sign-in`)
  await typeInto(page, 'User name', username)
  await typeInto(page, 'Password', fixture.password)
  await typeInto(page, 'Security code', code)
  await press(page, 'Sign in')
}

async function mainText (page) {
  return page.locator('main').innerText()
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
    await signIn(page, fixture.users.caseworker)
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
    await signIn(page, fixture.users.parent)
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
  // Journey 2, by keyboard only: the caseworker writes a plan over two
  // funding streams, a direct payment and an individual service fund, and
  // submits it; the author cannot approve it; the team manager does; the
  // family co-signs; the letter shows the amounts. Then journey 4's
  // second half: the family asks for the decision to be reviewed.
  const plan = `${fixture.base}/children/${fixture.children.mine}/plan`
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await keyboardSignIn(page, fixture.users.caseworker)
    await page.goto(`${fixture.base}/children/${fixture.children.mine}`)
    await press(page, 'Support plan')
    check((await mainText(page)).includes('No support plan has been written yet.'), 'no plan yet')
    await accessible(page, 'the support plan, none yet')
    await press(page, 'Write the plan')
    await accessible(page, 'the plan form, empty')
    await arrowTo(page, 'Area of life', 'Friends, relationships and community')
    await typeInto(page, 'What we want', 'Go swimming with friends')
    await typeInto(page, 'How we will know', 'Goes every Saturday')
    await typeInto(page, 'Who', 'Grandma')
    await typeInto(page, 'What they bring', 'Collects Mara from school on Fridays')
    await typeInto(page, 'What the support is', 'Personal assistant')
    await typeInto(page, 'Who provides it', 'A PA the family employs')
    await typeInto(page, 'Cost each time', '15.505')
    await typeInto(page, 'Units each time', '3')
    await arrowTo(page, 'How often', 'Every week')
    await arrowTo(page, 'Funding stream', 'Social care')
    await arrowTo(page, 'How the money is held', 'Direct payment')
    await typeInto(page, 'What the support is', 'After-school club')
    await typeInto(page, 'Who provides it', 'Bright Days Care')
    await typeInto(page, 'Cost each time', '1000')
    await typeInto(page, 'Units each time', '1')
    await arrowTo(page, 'How often', 'Once a year')
    await arrowTo(page, 'Funding stream', 'Education (SEN top-up)')
    await arrowTo(page, 'How the money is held', 'Individual service fund')
    await arrowTo(page, 'Who holds the individual service fund', 'Bright Days Care')
    await typeInto(page, 'The risk', 'Runs towards roads')
    await typeInto(page, 'What reduces it', 'Two adults on outings')
    await accessible(page, 'the plan form, filled')
    await press(page, 'Save the plan')
    check(await page.locator('.govuk-error-summary').isVisible(), 'a cost with three decimals is not saved')
    const cost = page.locator('[name="items[0].unit_cost"]')
    check(await cost.inputValue() === '15.505', 'the cost typed is kept')
    check(await page.locator('[name="items[1].what"]').inputValue() === 'After-school club', 'so is every other row')
    await accessible(page, 'the plan form, with errors')
    await screenshot(page, 'plan-form-errors')
    await tabTo(page, /decimal|pence/i)
    await page.keyboard.press('Enter')
    check(await page.evaluate(() => document.activeElement.name) === 'items[0].unit_cost', 'the error link takes you to the cost')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('15.50')
    await press(page, 'Save the plan')
    let text = await mainText(page)
    check(text.includes('The plan has been saved') && text.includes('£3,418.00'), `the plan is saved: £2,418.00 + £1,000.00 = £3,418.00 a year`)
    check(text.includes('Runs towards roads'), 'with how Mara keeps safe')
    if (text.includes('say why before you submit it')) {
      await press(page, 'Change the plan')
      const reasons = await page.getByLabel(/^Why the plan needs more/).count()
      for (let i = 0; i < reasons; i++) await typeInto(page, /^Why the plan needs more/, 'Two adults are needed on outings')
      await press(page, 'Save the plan')
      check((await mainText(page)).includes('Runs towards roads'), 'changing the plan keeps every part of it')
    }
    await accessible(page, 'the support plan, a draft')
    await screenshot(page, 'plan')
    await press(page, 'Submit for sign-off')
    text = await mainText(page)
    check(text.includes('Check the plan before you submit it') && text.includes('Team manager'), 'checked before submitting: a team manager must approve £3,418.00')
    await accessible(page, 'check the plan before submitting')
    await screenshot(page, 'plan-check')
    await press(page, 'Submit for sign-off')
    text = await mainText(page)
    check(text.includes('submitted for sign-off') && text.includes('Waiting for sign-off'), 'the plan is submitted')
    check(!text.includes('Make a decision'), 'its author is not offered the decision')
    const refused = await page.goto(`${plan}/decision`)
    check(refused.status() === 404 && (await mainText(page)).includes('Page not found'), 'and cannot make it by typing the address')
    await context.close()
  }
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await keyboardSignIn(page, fixture.users.manager)
    await press(page, 'Approvals')
    check((await mainText(page)).includes('£3,418.00'), 'the plan waits in the team manager\'s queue')
    await accessible(page, 'approvals')
    await screenshot(page, 'approvals')
    await press(page, /^Mara Okafor/)
    await accessible(page, 'decide, empty')
    await press(page, 'Continue')
    check(await page.locator('.govuk-error-summary').isVisible(), 'a decision must be chosen')
    await accessible(page, 'decide, with errors')
    await arrowTo(page, /^(Approve the plan|Send it back to be changed|Decline the plan)$/, 'Approve the plan')
    await press(page, 'Continue')
    check((await mainText(page)).includes('Check your decision'), 'the decision is checked before it is made')
    await accessible(page, 'check your decision')
    await screenshot(page, 'decision-check')
    await press(page, 'Confirm the decision')
    const text = await mainText(page)
    check(text.includes('Your decision has been recorded') && text.includes('Approved by'), 'the plan is approved')
    await page.goto(`${fixture.base}/children/${fixture.children.mine}`)
    await press(page, 'Who has looked at this record')
    const looks = await mainText(page)
    check(looks.includes('Looked at support plan') && looks.includes('Approve'), 'the manager sees who has looked at the plan and the decision made')
    await accessible(page, 'who has looked at this record')
    await screenshot(page, 'access-log')
    await context.close()
  }
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await keyboardSignIn(page, fixture.users.parent)
    await press(page, 'Mara Okafor')
    await press(page, 'Support plan')
    await press(page, 'Co-sign the plan')
    await accessible(page, 'co-sign')
    await press(page, 'I agree to this plan')
    check((await mainText(page)).includes('The plan has been co-signed: it is agreed'), 'the family co-signs and the plan is agreed')
    await press(page, 'Read the decision letter')
    const letter = await mainText(page)
    for (const expected of ['Our decision about Mara', '£3,418.00', 'Direct payment: £2,418.00 a year', 'Individual service fund: £1,000.00 a year']) {
      check(letter.includes(expected), `the letter says "${expected}"`)
    }
    await accessible(page, 'the decision letter')
    await screenshot(page, 'letter')

    await context.close()
  }
  // Journey 3: finance prepares a payment run, checks it and releases it;
  // the family sees the payment on their statement.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, fixture.users.finance)
    await page.getByRole('link', { name: 'Payments', exact: true }).click()
    check((await mainText(page)).includes('No runs yet.'), 'no payment runs yet')
    await accessible(page, 'payment runs, none yet')
    const today = await page.getByLabel('Processing day').inputValue()
    await page.getByLabel('Processing day').fill('next Tuesday')
    await page.getByRole('button', { name: 'Prepare a run' }).click()
    check(await page.getByLabel('Processing day').inputValue() === 'next Tuesday', 'a day that is not a date is kept to correct')
    await accessible(page, 'payment runs, with errors')
    await page.getByLabel('Processing day').fill(today)
    await page.getByRole('button', { name: 'Prepare a run' }).click()
    let text = await mainText(page)
    const total = (text.match(/Total\s+(£[\d,]+\.\d\d)/) || [])[1]
    check(text.includes('Prepared, waiting for release') && total !== undefined, `the run is prepared, paying ${total}`)
    await accessible(page, 'a prepared payment run')
    await screenshot(page, 'payment-run')
    await page.getByRole('button', { name: 'Release the run' }).click()
    text = await mainText(page)
    check(text.includes('The run has been released'), 'the run is released')

    // Then the family's bank statement: a bad file is reported line by
    // line and nothing goes in; the corrected file goes in whole.
    await page.goto(`${fixture.base}/payments`)
    await page.getByRole('link', { name: 'Import statements and invoices' }).click()
    await accessible(page, 'statements, none yet')
    const header = 'account,date,amount,description,merchant,transaction_id\n'
    const csv = (date) => Buffer.from(`${header}${fixture.children.reference},${date},-12.50,Swim,LEISURE CENTRE,TX-1\n`)
    await page.getByLabel('Bank statement (Allot\'s layout)').check()
    await page.getByLabel('The file').setInputFiles({ name: 'november.csv', mimeType: 'text/csv', buffer: csv('2 Nov') })
    await page.getByRole('button', { name: 'Import the file' }).click()
    text = await mainText(page)
    check(text.includes('The file november.csv has 1 problem: nothing was imported') && /2\s+date/.test(text), 'a bad line is named by line and column')
    check(await page.getByLabel('Bank statement (Allot\'s layout)').isChecked(), 'the kind of file stays chosen')
    await accessible(page, 'statements, with problems')
    await page.getByLabel('The file').setInputFiles({ name: 'november.csv', mimeType: 'text/csv', buffer: csv(today) })
    await page.getByRole('button', { name: 'Import the file' }).click()
    text = await mainText(page)
    check(text.includes('november.csv has been imported') && text.includes('1 line: 1 new'), 'the corrected file is imported')
    await accessible(page, 'statements, imported')
    await screenshot(page, 'statements')
    await context.close()

    const family = await browser.newContext()
    const statement = await family.newPage()
    await signIn(statement, fixture.users.parent)
    await statement.getByRole('link', { name: 'Mara Okafor' }).click()
    await statement.getByRole('link', { name: /^Money/ }).click()
    const money = await mainText(statement)
    check(money.includes('The family\'s direct-payment account') && money.includes(total), `the family sees the ${total} paid into their account`)
    check(money.includes('******78'), 'with their account number masked')
    await accessible(statement, 'the family\'s money')
    await screenshot(statement, 'money')

    // Journey 4: the family sends a receipt, then asks for a review.
    await statement.goto(`${fixture.base}/children/${fixture.children.mine}`)
    await statement.getByRole('link', { name: 'Receipts' }).click()
    check((await mainText(statement)).includes('No receipts have been sent yet.'), 'no receipts yet')
    await accessible(statement, 'receipts, none yet')
    await statement.getByLabel('How much was it?').fill('12.345')
    await statement.getByLabel('What was bought?').fill('Swimming lessons')
    await statement.getByRole('button', { name: 'Send the receipt' }).click()
    check(await statement.locator('.govuk-error-summary').isVisible(), 'a receipt without a file or a day is not sent')
    check(await statement.getByLabel('How much was it?').inputValue() === '12.345', 'the amount typed is kept')
    check(await statement.getByLabel('What was bought?').inputValue() === 'Swimming lessons', 'so is what was bought')
    await accessible(statement, 'receipts, with errors')
    const png = Buffer.from([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
    await statement.getByLabel('The receipt').setInputFiles({ name: 'swimming.png', mimeType: 'image/png', buffer: png })
    const twoDaysAgo = new Date(Date.now() - 2 * 86400000).toISOString().slice(0, 10)
    await statement.getByLabel('When was it bought?').fill(twoDaysAgo)
    await statement.getByLabel('How much was it?').fill('12.50')
    await statement.getByLabel('Which part of the plan was it for?').selectOption({ label: 'Personal assistant' })
    await accessible(statement, 'receipts, filled')
    await statement.getByRole('button', { name: 'Send the receipt' }).click()
    const receipts = await mainText(statement)
    check(receipts.includes('Thank you: your receipt has been sent') && receipts.includes('£12.50') && receipts.includes('swimming.png'), 'the receipt is sent and listed with its amount and file')
    check(/Swimming lessons\s+Personal assistant/.test(receipts), 'against the part of the plan chosen')
    await accessible(statement, 'receipts, sent')
    await screenshot(statement, 'receipts')

    await statement.goto(`${fixture.base}/children/${fixture.children.mine}`)
    await press(statement, 'Asking for a decision to be reviewed')
    await accessible(statement, 'asking for a review, empty')
    await press(statement, 'Send the request')
    check(await statement.locator('.govuk-error-summary').isVisible(), 'an empty request is not sent')
    await accessible(statement, 'asking for a review, with errors')
    await typeInto(statement, 'What do you disagree with, and why?', 'Mara needs the PA on Sundays too')
    await press(statement, 'Send the request')
    const reviews = await mainText(statement)
    check(reviews.includes('Your request has been sent') && reviews.includes('Mara needs the PA on Sundays too'), 'the request is sent and listed with its answer date')
    await accessible(statement, 'asking for a review, sent')
    await screenshot(statement, 'review-request')
    await family.close()

    // The team manager answers the request, with reasons.
    const managers = await browser.newContext()
    const answering = await managers.newPage()
    await signIn(answering, fixture.users.manager)
    await answering.goto(`${fixture.base}/children/${fixture.children.mine}/review-requests`)
    await accessible(answering, 'answering a review, empty')
    await answering.getByLabel('The decision was changed').check()
    await answering.getByRole('button', { name: 'Send the answer' }).click()
    check(await answering.locator('.govuk-error-summary').isVisible(), 'an answer without reasons is not sent')
    check(await answering.getByLabel('The decision was changed').isChecked(), 'the answer chosen stays chosen')
    await accessible(answering, 'answering a review, with errors')
    await answering.getByLabel('Your reasons').fill('Sundays are added from January')
    await answering.getByRole('button', { name: 'Send the answer' }).click()
    const answered = await mainText(answering)
    check(answered.includes('Your answer has been recorded') && answered.includes('Sundays are added from January'), 'the answer is recorded for the family to read')
    await accessible(answering, 'answering a review, answered')
    await managers.close()
  }
  // Watching over direct payments: finance sees the family's account and
  // starts an audit; findings that would take the contingency are refused
  // with everything typed kept.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, fixture.users.finance)
    await page.getByRole('link', { name: 'Direct payments' }).click()
    check((await mainText(page)).includes('need a look'), 'the direct payments in the area are listed')
    await accessible(page, 'direct payments')
    await screenshot(page, 'direct-payments')
    await page.getByRole('link', { name: 'Mara Okafor' }).click()
    await accessible(page, 'direct payment audits, none yet')
    await page.getByRole('button', { name: 'Start an audit' }).click()
    check((await mainText(page)).includes('The audit has started'), 'an audit is started')
    await accessible(page, 'an audit under way')
    await page.getByRole('link', { name: 'Record what the audit found' }).click()
    await page.getByLabel('What did the audit find?').fill('The PA was paid as planned')
    await page.getByLabel('How much unspent money is to be recovered?').fill('99999')
    await page.getByRole('button', { name: 'Record what the audit found' }).click()
    check(await page.locator('.govuk-error-summary').isVisible(), 'more than the surplus is refused')
    check((await mainText(page)).includes('contingency money is not surplus'), 'saying contingency is never surplus')
    check(await page.getByLabel('What did the audit find?').inputValue() === 'The PA was paid as planned', 'the findings typed are kept')
    await accessible(page, 'audit findings, with errors')
    await page.getByLabel('How much unspent money is to be recovered?').fill('0')
    await page.getByRole('button', { name: 'Record what the audit found' }).click()
    check((await mainText(page)).includes('The PA was paid as planned'), 'the findings are recorded')
    await accessible(page, 'an audit with findings')
    await screenshot(page, 'dp-audit')
    await page.goto(`${fixture.base}/reports/money`)
    check(await page.locator('svg[role=img]').isVisible(), 'the money report draws what was paid')
    await accessible(page, 'the area\'s money')
    await screenshot(page, 'money-report')
    await context.close()
  }

  // The commissioner's what-if: a band amount changed, the effect redrawn
  // as it is typed; an amount that is not money is named and kept.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, fixture.users.commissioner)
    await page.getByRole('link', { name: 'What if' }).click()
    const before = await page.locator('#what-if-results').innerText()
    check(before.includes('Across') && before.includes('0 would gain'), 'the policy as published changes nothing')
    await accessible(page, 'what if, as published')
    const field = page.locator('input[name^="band-"]').first()
    await field.fill(String(Number(await field.inputValue()) + 5000))
    await page.waitForFunction(() => !document.getElementById('what-if-results').innerText.includes('0 would gain'), null, { timeout: 5000 }).catch(() => {})
    const after = await page.locator('#what-if-results').innerText()
    check(after !== before && /[1-9]\d* would gain/.test(after), `the effect is redrawn as the amount is typed (${after.split('\n')[1]})`)
    await accessible(page, 'what if, changed')
    await screenshot(page, 'what-if')
    await field.fill('lots')
    await page.getByRole('button', { name: 'See the effect' }).click()
    check(await page.locator('.govuk-error-summary').isVisible(), 'an amount that is not money is named')
    check(await page.locator('input[name^="band-"]').first().inputValue() === 'lots', 'and kept')
    await accessible(page, 'what if, with errors')
    await page.getByRole('link', { name: 'Policies' }).click()
    await accessible(page, 'policies')
    await context.close()
  }

  // A provider sees the children it holds money for; an administrator
  // adds a user, with a mistake first.
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, fixture.users.provider)
    await page.getByRole('link', { name: 'Children you hold money for' }).click()
    check((await mainText(page)).includes('The children you hold money for'), 'the provider area opens')
    await accessible(page, 'the provider area')
    await context.close()

    const admin = await browser.newContext()
    const users = await admin.newPage()
    await signIn(users, fixture.users.admin)
    await users.getByRole('link', { name: 'Users' }).click()
    await accessible(users, 'users')
    await users.getByLabel('Full name').fill('Cara Jones')
    await users.getByLabel('User name').fill('cara@council.example')
    await users.getByRole('button', { name: 'Add the user' }).click()
    check(await users.locator('.govuk-error-summary').isVisible(), 'a user without a role is not added')
    check(await users.getByLabel('Full name').inputValue() === 'Cara Jones', 'the name typed is kept')
    await accessible(users, 'users, with errors')
    await users.getByLabel('Role').selectOption({ label: 'Finance officer' })
    await users.getByRole('button', { name: 'Add the user' }).click()
    check((await mainText(users)).includes('Sign-in details for Cara Jones'), 'the user is added and their sign-in details shown once')
    await accessible(users, 'a new user\'s sign-in details')
    await screenshot(users, 'admin-users')
    await admin.close()
  }
} finally {
  await browser.close()
}

if (failures.length) {
  console.error(`\n${failures.length} browser check(s) failed:\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log('all browser checks passed')
