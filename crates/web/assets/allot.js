// Allot's pages work without JavaScript; this only enhances them.
import { initAll } from './govuk-frontend.min.js'

initAll()

// The session timeout warning: shortly before an idle session ends, a
// dialog offers to stay signed in. Times are counted from when the page
// arrived, not from the server's clock, so a wrong clock on the device does
// not matter. Without JavaScript the session simply ends, and the sign-in
// page says why and that unsaved answers were lost.
const dialog = document.getElementById('session-timeout')
if (dialog && typeof dialog.showModal === 'function') {
  const plan = (warnIn, endsIn) => {
    const now = Date.now()
    return { warnAt: now + warnIn * 1000, endsAt: now + endsIn * 1000 }
  }
  let times = plan(Number(dialog.dataset.warnIn), Number(dialog.dataset.endsIn))
  const left = dialog.querySelector('[data-time-left]')
  const signOut = () => {
    const next = encodeURIComponent(window.location.pathname + window.location.search)
    window.location.href = '/sign-in?timed_out=1&next=' + next
  }
  const describe = (seconds) => seconds >= 60
    ? `${Math.ceil(seconds / 60)} minute${Math.ceil(seconds / 60) === 1 ? '' : 's'}`
    : `${seconds} second${seconds === 1 ? '' : 's'}`
  const tick = () => {
    const now = Date.now()
    if (now >= times.endsAt) return signOut()
    if (now >= times.warnAt && !dialog.open) dialog.showModal()
    if (dialog.open) left.textContent = describe(Math.max(0, Math.round((times.endsAt - now) / 1000)))
  }
  const stay = async () => {
    // Any request keeps the session alive; this one also says for how long.
    const response = await fetch('/api/v1/session', { headers: { accept: 'application/json' } })
    if (!response.ok) return signOut()
    const session = await response.json()
    times = plan(session.warn_in_seconds, session.ends_in_seconds)
    dialog.close()
  }
  dialog.querySelector('form').addEventListener('submit', (event) => {
    event.preventDefault()
    stay()
  })
  // Escape means "stay", as closing the warning should never sign anyone out.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault()
    stay()
  })
  setInterval(tick, 1000)
}

// What-if modelling: as a band amount is changed, the effect is worked out
// again and shown without sending the form (which still works without
// JavaScript). Only the latest answer is shown, however fast someone types.
const whatIf = document.querySelector('form[data-what-if]')
const results = document.getElementById('what-if-results')
if (whatIf && results) {
  let timer
  let asked = 0
  whatIf.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(async () => {
      const mine = ++asked
      const query = new URLSearchParams(new FormData(whatIf)).toString()
      const response = await fetch(`${whatIf.action}?${query}`, { headers: { accept: 'text/html' } })
      if (mine !== asked) return
      const page = new DOMParser().parseFromString(await response.text(), 'text/html')
      const fresh = page.getElementById('what-if-results')
      if (fresh) {
        results.replaceChildren(...fresh.childNodes)
        window.history.replaceState(null, '', `${whatIf.action}?${query}`)
      }
    }, 300)
  })
}
