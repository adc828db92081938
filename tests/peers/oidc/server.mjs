// A real OpenID Connect provider (panva's oidc-provider) for Interlink's SSO tests, on 127.0.0.1.
// Usage: node server.mjs CONFIG.json. The config names the port, the clients and the users
// (each with a password and the claims the provider gives about them). It prints
// "ready <issuer>" once it listens. Sign-in and consent are two small HTML forms, so a test
// drives the authorization-code flow through the provider's own pages.
import crypto from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const users = config.users;

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const jwk = { ...signingKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  conformIdTokenClaims: false, // scope claims in the ID token too, as Entra ID puts groups there
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  ttl: { IdToken: config.id_token_ttl || 3600 },
  async findAccount(ctx, sub) {
    if (!users[sub]) return undefined;
    return { accountId: sub, async claims() { return { sub, ...users[sub].claims }; } };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, title, body) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>${escape(title)}</title><h1>${escape(title)}</h1>${body}`);
}

function loginForm(res, uid, message) {
  page(res, 'Sign in', `${message ? `<p class="error">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<input name="login"><input name="password" type="password"><button>Sign in</button></form>`);
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    if (details.prompt.name === 'login') return loginForm(res, uid);
    return page(res, 'Allow access', `<form method="post" action="/interaction/${escape(uid)}/confirm">
<button>Allow</button></form>`);
  }
  const form = await formBody(req);
  if (action === 'login') {
    const user = users[form.get('login')];
    const given = Buffer.from(form.get('password') || '');
    const known = Buffer.from(user ? user.password : '');
    if (!user || given.length !== known.length || !crypto.timingSafeEqual(given, known)) {
      return loginForm(res, uid, 'Invalid login or password.');
    }
    return provider.interactionFinished(req, res, { login: { accountId: form.get('login') } },
      { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details.missingOIDCScope;
  if (missing) grant.addOIDCScope(missing.join(' '));
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } },
    { mergeWithLastSubmission: true });
}

const handle = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login|confirm))?/.exec(req.url);
  if (!match) return handle(req, res);
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`ready ${issuer}`));
