// Local OpenID Connect provider for Allot's integration tests.
//
// Built on the npm package `oidc-provider` (panva, MIT). It is a real OP:
// discovery, JWKS, authorization code flow with PKCE, token endpoint with
// client_secret_basic / client_secret_post, RS256 id_tokens, userinfo.
// Only the login screen is ours: a tiny HTML form that a non-browser HTTP
// client can fill in (see README.md for the exact steps).
//
// Configuration (environment):
//   OIDC_PORT           port on 127.0.0.1; 0 (default) picks a free one
//   OIDC_CLIENT_ID      the one confidential client            (required)
//   OIDC_CLIENT_SECRET  its secret                             (required)
//   OIDC_REDIRECT_URI   its redirect URI, may be http://127.0.0.1:... (required)
//   OIDC_USERS          JSON array of {sub, email, name, password} (required)
//   OIDC_PKCE_REQUIRED  "0"/"false" to make PKCE optional (default: required, S256 only)
//   OIDC_DEBUG          "1" to log provider events to stderr
//
// Prints exactly one line to stdout when listening: `READY http://127.0.0.1:<port>`.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

// stdout carries exactly one line (READY ...): oidc-provider prints its
// notices with console.info, so send every console output to stderr.
for (const level of ['log', 'info', 'debug']) console[level] = console.error;

function fail(message) {
  process.stderr.write(`oidc-provider test server: ${message}\n`);
  process.exit(2);
}

function requiredEnv(name) {
  const value = process.env[name];
  if (value === undefined || value === '') fail(`${name} must be set`);
  return value;
}

const clientId = requiredEnv('OIDC_CLIENT_ID');
const clientSecret = requiredEnv('OIDC_CLIENT_SECRET');
const redirectUri = requiredEnv('OIDC_REDIRECT_URI');
const port = Number.parseInt(process.env.OIDC_PORT || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('OIDC_PORT must be a port number (0 = any free port)');
const pkceRequired = !['0', 'false', 'no'].includes((process.env.OIDC_PKCE_REQUIRED ?? '').toLowerCase());
const debug = ['1', 'true', 'yes'].includes((process.env.OIDC_DEBUG ?? '').toLowerCase());

let users;
try {
  users = JSON.parse(requiredEnv('OIDC_USERS'));
} catch (err) {
  fail(`OIDC_USERS is not valid JSON: ${err.message}`);
}
if (!Array.isArray(users)) fail('OIDC_USERS must be a JSON array');
for (const u of users) {
  if (!u || typeof u.sub !== 'string' || !u.sub || typeof u.email !== 'string' || typeof u.password !== 'string') {
    fail('each OIDC_USERS entry needs string "sub", "email" and "password" (and optionally "name")');
  }
}
const usersBySub = new Map(users.map((u) => [u.sub, u]));

function findUserByLogin(login) {
  const wanted = String(login ?? '').trim().toLowerCase();
  if (!wanted) return undefined;
  return users.find((u) => u.email.toLowerCase() === wanted) ?? usersBySub.get(String(login).trim());
}

function passwordMatches(user, password) {
  const a = Buffer.from(String(password ?? ''));
  const b = Buffer.from(user.password);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// RS256 signing key, made fresh at every start: nothing secret is committed.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function sendText(res, status, contentType, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', `${contentType}; charset=utf-8`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function loginPage(uid, { message, login } = {}) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>\n` : ''}<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Email <input type="text" name="login" value="${escapeHtml(login)}" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>
</body></html>
`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// A grant covering everything the authorization request asked for, so that
// no separate consent screen is ever shown (first-party test client).
async function grantFor(provider, interaction, accountId) {
  const { params, prompt, grantId } = interaction;
  let grant;
  if (grantId && interaction.session?.accountId === accountId) {
    grant = await provider.Grant.find(grantId);
  }
  grant ??= new provider.Grant({ accountId, clientId: params.client_id });

  if (params.scope) grant.addOIDCScope(params.scope);
  if (params.claims) {
    try {
      const requested = JSON.parse(params.claims);
      const names = new Set([
        ...Object.keys(requested.id_token ?? {}),
        ...Object.keys(requested.userinfo ?? {}),
      ]);
      if (names.size) grant.addOIDCClaims([...names]);
    } catch {
      // the provider has already validated `claims`; ignore anything odd
    }
  }
  const details = prompt?.details ?? {};
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  if (details.missingResourceScopes) {
    for (const [indicator, scope] of Object.entries(details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
  }
  return grant.save();
}

async function handleInteraction(provider, req, res, url) {
  const match = /^\/interaction\/([^/]+)(\/login)?\/?$/.exec(url.pathname);
  if (!match) return sendText(res, 404, 'text/plain', 'not found\n');
  const [, uid, isLogin] = match;

  let interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch (err) {
    return sendText(res, 400, 'text/plain',
      `no interaction in progress (${err.error_description ?? err.message}); `
      + 'the _interaction cookie from the /auth redirect must be sent\n');
  }
  if (interaction.uid !== uid) {
    return sendText(res, 400, 'text/plain', 'interaction id does not match the _interaction cookie\n');
  }

  if (!isLogin) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendText(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (interaction.prompt.name === 'consent') {
      // Already signed in (session cookie) but the grant lacks something: grant it.
      const accountId = interaction.session?.accountId;
      const grantId = await grantFor(provider, interaction, accountId);
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return sendText(res, 200, 'text/html', loginPage(uid));
  }

  if (req.method !== 'POST') return sendText(res, 405, 'text/plain', 'method not allowed\n');
  const form = await readForm(req);
  const login = form.get('login');
  const user = findUserByLogin(login);
  if (!user || !passwordMatches(user, form.get('password'))) {
    return sendText(res, 401, 'text/html', loginPage(uid, { message: 'Invalid email or password.', login }));
  }

  const grantId = await grantFor(provider, interaction, user.sub);
  return provider.interactionFinished(req, res, {
    login: { accountId: user.sub },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const server = http.createServer();
const sockets = new Set();
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      // 'web' accepts http:// (incl. 127.0.0.1/localhost) redirect URIs for the
      // code flow; only the implicit flow is restricted to https.
      application_type: 'web',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // Either basic or post is accepted at the token endpoint for this client.
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    jwks: { keys: [signingJwk] },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    pkce: { required: () => pkceRequired },
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put the scope claims in the id_token even for the code flow.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx, sub) {
      const user = usersBySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          const claims = { sub, email: user.email, email_verified: true };
          if (user.name !== undefined) claims.name = user.name;
          return claims;
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 120,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  });

  provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  if (debug) {
    const events = ['interaction.started', 'interaction.ended', 'authorization.success', 'authorization.error',
      'grant.success', 'grant.error', 'userinfo.error'];
    for (const event of events) {
      provider.on(event, (_ctx, arg) => {
        let detail = '';
        if (event === 'interaction.started') detail = JSON.stringify(arg); // the prompt
        else if (arg instanceof Error) detail = `${arg.message} ${arg.error_description ?? ''}`;
        process.stderr.write(`oidc: ${event} ${detail}\n`);
      });
    }
  }

  const providerCallback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/interaction/')) {
      handleInteraction(provider, req, res, url).catch((err) => {
        process.stderr.write(`interaction error: ${err.stack}\n`);
        if (!res.headersSent) sendText(res, 500, 'text/plain', 'internal error\n');
        else res.end();
      });
      return;
    }
    providerCallback(req, res);
  });

  process.stdout.write(`READY ${issuer}\n`);
});

server.on('error', (err) => fail(`cannot listen: ${err.message}`));

function shutdown() {
  server.close(() => process.exit(0));
  for (const socket of sockets) socket.destroy();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
