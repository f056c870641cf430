// End-to-end smoke test of server.js using plain HTTP (Node's fetch with
// manual redirects and a small path-aware cookie jar) — the same steps a
// non-browser Rust test client takes. Starts its own server, checks, stops it.
//
//   node smoke.mjs          (needs `npm ci` in this directory first)

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLIENT_ID = 'allot-test';
const CLIENT_SECRET = 'not-a-real-secret';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback'; // nothing listens there: we only read Location
const USER = { sub: 'u-123', email: 'a.jones@wyvern.example', name: 'A Jones', password: 'pw' };

let passed = 0;
let failed = 0;
function check(label, ok, detail = '') {
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ` — ${detail}` : ''}`);
  if (!ok) throw new Error(`check failed: ${label}`);
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const decodeJwtPart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

// --- cookie jar: name/value/path, sent when the request path is under the cookie path
class CookieJar {
  #cookies = new Map(); // key `${path}\n${name}` -> { name, value, path }

  store(response, requestUrl) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = new URL(requestUrl).pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${path}\n${name}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    const matching = [...this.#cookies.values()].filter(
      (c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
    );
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  names() { return [...this.#cookies.values()].map((c) => `${c.name} (path ${c.path})`); }
}

async function request(jar, url, { method = 'GET', headers = {}, body } = {}) {
  const h = { ...headers };
  const cookie = jar?.header(url);
  if (cookie) h.cookie = cookie;
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
  jar?.store(res, url);
  return res;
}

// Follow 3xx responses by hand (GET, with cookies) until one points at the
// client's redirect URI; return that Location as a URL.
let hops = [];
async function followToRedirectUri(jar, firstResponse, firstUrl) {
  hops = [];
  let res = firstResponse;
  let url = firstUrl;
  for (let i = 0; i < 10; i += 1) {
    if (res.status < 300 || res.status > 399) {
      throw new Error(`expected a redirect from ${url}, got ${res.status}: ${await res.text()}`);
    }
    const next = new URL(res.headers.get('location'), url).href;
    console.log(`     ${res.status} -> ${next}`);
    hops.push(next);
    if (next.startsWith(REDIRECT_URI)) return new URL(next);
    url = next;
    res = await request(jar, url);
  }
  throw new Error('too many redirects');
}

function pkcePair() {
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

function authorizeUrl(discovery, { state, nonce, challenge }) {
  const u = new URL(discovery.authorization_endpoint);
  u.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email profile',
    state,
    nonce,
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  }).toString();
  return u.href;
}

async function tokenRequest(discovery, code, verifier, auth) {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (auth === 'basic') {
    // RFC 6749 §2.3.1: form-urlencode id and secret before base64
    const creds = `${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`;
    headers.authorization = `Basic ${Buffer.from(creds).toString('base64')}`;
  } else {
    form.set('client_id', CLIENT_ID);
    form.set('client_secret', CLIENT_SECRET);
  }
  const res = await fetch(discovery.token_endpoint, { method: 'POST', headers, body: form.toString() });
  return { status: res.status, json: await res.json() };
}

function verifyIdToken(idToken, jwks, { issuer, nonce }) {
  const [h, p, s] = idToken.split('.');
  const header = decodeJwtPart(h);
  const payload = decodeJwtPart(p);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  check('id_token header alg is RS256 and kid is in JWKS', header.alg === 'RS256' && !!jwk, JSON.stringify(header));
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const sigOk = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  check('id_token RS256 signature verifies with the JWKS key', sigOk);
  const now = Math.floor(Date.now() / 1000);
  check('id_token iss == issuer', payload.iss === issuer, payload.iss);
  check('id_token aud == client_id', payload.aud === CLIENT_ID || (Array.isArray(payload.aud) && payload.aud.includes(CLIENT_ID)), JSON.stringify(payload.aud));
  check('id_token nonce echoed', payload.nonce === nonce);
  check('id_token sub/email/email_verified/name', payload.sub === USER.sub && payload.email === USER.email
    && payload.email_verified === true && payload.name === USER.name);
  check('id_token exp in the future, iat not in the future', payload.exp > now && payload.iat <= now + 5);
  return payload;
}

async function main() {
  const serverPath = fileURLToPath(new URL('./server.js', import.meta.url));
  const child = spawn(process.execPath, [serverPath], {
    env: {
      ...process.env,
      OIDC_PORT: '0',
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URI: REDIRECT_URI,
      OIDC_USERS: JSON.stringify([USER, { sub: 'u-456', email: 'b.smith@wyvern.example', name: 'B Smith', password: 'pw2' }]),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  try {
    const stdoutLines = createInterface({ input: child.stdout });
    const [line] = await Promise.race([
      once(stdoutLines, 'line'),
      new Promise((_, reject) => { setTimeout(() => reject(new Error('no READY line within 15s')), 15000); }),
    ]);
    const m = /^READY (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    check('server printed READY line', !!m, line);
    const issuer = m[1];
    const extraStdout = [];
    stdoutLines.on('line', (l) => extraStdout.push(l));

    // 1. discovery + JWKS
    const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    check('discovery issuer == READY url', discovery.issuer === issuer);
    check('discovery advertises S256, basic+post, RS256, code', discovery.code_challenge_methods_supported.includes('S256')
      && ['client_secret_basic', 'client_secret_post'].every((x) => discovery.token_endpoint_auth_methods_supported.includes(x))
      && discovery.id_token_signing_alg_values_supported.includes('RS256')
      && discovery.response_types_supported.includes('code'));
    console.log(`     endpoints: authorization=${discovery.authorization_endpoint} token=${discovery.token_endpoint} jwks=${discovery.jwks_uri} userinfo=${discovery.userinfo_endpoint}`);
    const jwks = await (await fetch(discovery.jwks_uri)).json();
    check('JWKS has one public RSA RS256 key', jwks.keys.length === 1 && jwks.keys[0].kty === 'RSA'
      && jwks.keys[0].alg === 'RS256' && !('d' in jwks.keys[0]), `kid=${jwks.keys[0]?.kid}`);

    // 2. authorization request
    const jar = new CookieJar();
    const state = b64url(crypto.randomBytes(16));
    const nonce = b64url(crypto.randomBytes(16));
    const { verifier, challenge } = pkcePair();
    const authUrl = authorizeUrl(discovery, { state, nonce, challenge });
    console.log(`     GET ${authUrl}`);
    let res = await request(jar, authUrl);
    const interactionUrl = new URL(res.headers.get('location') ?? '', authUrl).href;
    check('authorize -> 303 to /interaction/<uid>', res.status === 303 && /\/interaction\/[^/]+$/.test(new URL(interactionUrl).pathname), `${res.status} ${interactionUrl}`);
    console.log(`     cookies now: ${jar.names().join(', ')}`);

    // 3. the login form
    res = await request(jar, interactionUrl);
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    check('GET interaction -> 200 login form', res.status === 200 && action === `${new URL(interactionUrl).pathname}/login`
      && html.includes('name="login"') && html.includes('name="password"'), `action=${action}`);
    const loginUrl = new URL(action, interactionUrl).href;

    // 4. wrong password, then the right one
    const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
    res = await request(jar, loginUrl, { method: 'POST', headers: formHeaders, body: new URLSearchParams({ login: USER.email, password: 'wrong' }).toString() });
    const bad = await res.text();
    check('wrong password -> 401 and the form again', res.status === 401 && bad.includes('Invalid email or password') && bad.includes('name="password"'));

    res = await request(jar, loginUrl, { method: 'POST', headers: formHeaders, body: new URLSearchParams({ login: USER.email, password: USER.password }).toString() });
    check('right password -> 303 to /auth/<uid> (resume)', res.status === 303 && /\/auth\/[^/]+$/.test(new URL(res.headers.get('location'), loginUrl).pathname), res.headers.get('location'));

    // 5. follow redirects to the client's redirect_uri
    const callback = await followToRedirectUri(jar, res, loginUrl);
    const code = callback.searchParams.get('code');
    check('callback has code, same state, iss == issuer', !!code && callback.searchParams.get('state') === state
      && callback.searchParams.get('iss') === issuer, callback.search);

    // 6. token endpoint, client_secret_basic
    let tok = await tokenRequest(discovery, code, verifier, 'basic');
    check('token (client_secret_basic) -> 200 with id_token + access_token', tok.status === 200 && !!tok.json.id_token && !!tok.json.access_token
      && tok.json.token_type === 'Bearer', `scope=${tok.json.scope} expires_in=${tok.json.expires_in}`);
    const payload = verifyIdToken(tok.json.id_token, jwks, { issuer, nonce });
    console.log(`     id_token payload: ${JSON.stringify(payload)}`);

    const ui = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.json.access_token}` } });
    const userinfo = await ui.json();
    check('userinfo with the access token', ui.status === 200 && userinfo.sub === USER.sub && userinfo.email === USER.email, JSON.stringify(userinfo));

    // 7. same cookie jar again: the session cookie is reused, no login form at all
    const state2 = b64url(crypto.randomBytes(16));
    const nonce2 = b64url(crypto.randomBytes(16));
    const pk2 = pkcePair();
    const auth2 = authorizeUrl(discovery, { state: state2, nonce: nonce2, challenge: pk2.challenge });
    res = await request(jar, auth2);
    const cb2 = await followToRedirectUri(jar, res, auth2);
    check('second authorize with the same cookies -> 303 straight to the callback (SSO)', hops.length === 1
      && !!cb2.searchParams.get('code') && cb2.searchParams.get('state') === state2);
    tok = await tokenRequest(discovery, cb2.searchParams.get('code'), pk2.verifier, 'post');
    check('token (client_secret_post) -> 200', tok.status === 200 && decodeJwtPart(tok.json.id_token.split('.')[1]).nonce === nonce2);

    // 8. replaying a code fails (and oidc-provider then revokes that grant)
    const replay = await tokenRequest(discovery, code, verifier, 'basic');
    check('code cannot be redeemed twice', replay.status === 400 && replay.json.error === 'invalid_grant', JSON.stringify(replay.json));

    // 9. the grant is gone but the session is not: the provider asks for consent,
    //    and GET /interaction/<uid> grants it at once with a 303 (no form)
    const state4 = b64url(crypto.randomBytes(16));
    const pk4 = pkcePair();
    const auth4 = authorizeUrl(discovery, { state: state4, nonce: 'n4', challenge: pk4.challenge });
    res = await request(jar, auth4);
    const cb4 = await followToRedirectUri(jar, res, auth4);
    check('after grant revocation: /auth -> /interaction (303, auto-consent) -> /auth/<uid> -> callback',
      hops.length === 3 && /\/interaction\//.test(hops[0]) && cb4.searchParams.get('state') === state4);
    const badPkce = await tokenRequest(discovery, cb4.searchParams.get('code'), pkcePair().verifier, 'basic');
    check('wrong code_verifier -> invalid_grant', badPkce.status === 400 && badPkce.json.error === 'invalid_grant', JSON.stringify(badPkce.json));

    // 10. a fresh cookie jar and the second user, logging in with a differently-cased email
    const jar3 = new CookieJar();
    const pk3 = pkcePair();
    const state3 = b64url(crypto.randomBytes(16));
    const nonce3 = b64url(crypto.randomBytes(16));
    const auth3 = authorizeUrl(discovery, { state: state3, nonce: nonce3, challenge: pk3.challenge });
    res = await request(jar3, auth3);
    const int3 = new URL(res.headers.get('location'), auth3).href;
    res = await request(jar3, `${int3}/login`, { method: 'POST', headers: formHeaders, body: new URLSearchParams({ login: 'B.Smith@wyvern.example', password: 'pw2' }).toString() });
    const cb3 = await followToRedirectUri(jar3, res, `${int3}/login`);
    tok = await tokenRequest(discovery, cb3.searchParams.get('code'), pk3.verifier, 'post');
    check('fresh jar, second user (email case-insensitive), client_secret_post -> 200', tok.status === 200 && !!tok.json.id_token, JSON.stringify(tok.json.error ?? ''));
    const p3 = decodeJwtPart(tok.json.id_token.split('.')[1]);
    check('second user id_token claims', p3.sub === 'u-456' && p3.email === 'b.smith@wyvern.example' && p3.nonce === nonce3 && p3.name === 'B Smith');

    // 11. PKCE is required
    const noPkce = authorizeUrl(discovery, { state: 'st-nopkce', nonce: 'n' });
    res = await request(new CookieJar(), noPkce);
    const errLoc = new URL(res.headers.get('location') ?? '', noPkce);
    check('authorize without code_challenge -> error redirect to the client', errLoc.href.startsWith(REDIRECT_URI)
      && errLoc.searchParams.get('error') === 'invalid_request' && errLoc.searchParams.get('state') === 'st-nopkce',
    `${errLoc.searchParams.get('error')}: ${errLoc.searchParams.get('error_description')}`);

    // 12. missing interaction cookie is reported plainly
    res = await fetch(interactionUrl, { redirect: 'manual' });
    check('interaction without cookie -> 400', res.status === 400, (await res.text()).trim());

    check('server printed nothing on stdout after READY', extraStdout.length === 0, extraStdout.join(' | '));
  } finally {
    child.kill('SIGTERM');
    const [codeExit, signal] = await exited;
    console.log(`     server stopped on SIGTERM: exit=${codeExit} signal=${signal}`);
    if (codeExit !== 0) { failed += 1; console.log('FAIL server did not exit 0 on SIGTERM'); }
  }
}

try {
  await main();
} catch (err) {
  if (!String(err.message).startsWith('check failed')) { failed += 1; console.log(`FAIL ${err.stack}`); }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
