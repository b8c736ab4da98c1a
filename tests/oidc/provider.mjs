// A real OpenID Connect provider (panva's oidc-provider) on loopback, for the single sign-on
// tests. Started by tests/oidc/server.py as `node provider.mjs CONFIG.json`; prints one JSON
// line ({"issuer": ...}) once it listens, and runs until killed.
//
// CONFIG.json:
//   port        the port to listen on (0: any free one; a restart passes the one it had)
//   keyId       the "kid" of the signing key, made fresh at every start: a restart with another
//               keyId is a key rotation
//   idTokenTtl  seconds an ID token is valid
//   clients     oidc-provider client metadata (client_id, client_secret, redirect_uris, ...)
//   accounts    { accountId: { email, groups, preferred_username? } }
//
// There is no log-in form: the authorization request's login_hint names the account, and the
// interaction logs it in and grants what was asked for. login_hint "nekad" answers
// access_denied, as a user who cancels would get.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function signingKey(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

async function findAccount(ctx, id) {
  const account = config.accounts[id];
  if (!account) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: account.email,
        email_verified: true,
        preferred_username: account.preferred_username ?? account.email,
        name: account.name ?? id,
        groups: account.groups ?? [],
      };
    },
  };
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    const hint = params.login_hint;
    if (hint === 'nekad' || !(hint in config.accounts)) {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'Användaren avbröt inloggningen' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: hint } });
    return;
  }
  // consent: grant whatever the client asked for.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } });
}

const server = http.createServer();
server.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [signingKey(config.keyId)] },
    findAccount,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // The claims go in the ID token, as Entra ID puts email, upn and groups there.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (ctx, i) => `/interaction/${i.uid}` },
    ttl: { IdToken: config.idTokenTtl },
    cookies: { keys: ['bara-for-test'] },
  });
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    handle(req, res);
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
