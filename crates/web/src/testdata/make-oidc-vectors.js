// Makes fixed RS256 test vectors for the id_token check (run once; output committed).
const crypto = require('crypto');
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = publicKey.export({ format: 'jwk' });
jwk.kid = 'test-key'; jwk.alg = 'RS256'; jwk.use = 'sig';
const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
const sign = (header, claims) => {
  const input = b64(header) + '.' + b64(claims);
  const sig = crypto.sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url');
  return input + '.' + sig;
};
const claims = { iss: 'https://idp.example', aud: 'allot', sub: 'u-1', email: 'a.jones@wyvern.example', email_verified: true, name: 'A Jones', nonce: 'n-123', iat: 1799999000, exp: 1800000000 };
const header = { alg: 'RS256', kid: 'test-key', typ: 'JWT' };
const valid = sign(header, claims);
const [h, p, s] = valid.split('.');
const tampered = h + '.' + b64({ ...claims, email: 'someone.else@wyvern.example' }) + '.' + s;
const none = b64({ alg: 'none' }) + '.' + p + '.';
const otherAud = sign(header, { ...claims, aud: 'someone-else' });
const unverified = sign(header, { ...claims, email_verified: false });
console.log(JSON.stringify({ jwks: { keys: [jwk] }, valid, tampered, none, other_audience: otherAud, unverified_email: unverified }, null, 2));
