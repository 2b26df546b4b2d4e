#!/usr/bin/env node
// The JavaScript `jose` baseline for bench/run: mints and verifies the same claims ci-jwt mints for
// the sample build, with the fixtures' test keys, one token at a time (one core), for each
// algorithm. Prints one line per figure: "jose <mint|verify> <ALG> <ops per second>".
//   node bench/js/jose-bench.mjs --seconds 5 --warmup 2
// jose comes from fixtures/relying-parties/node_modules (npm ci there, as the tests do).
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const joseDir = path.join(root, 'fixtures', 'relying-parties', 'node_modules', 'jose');
const pkg = JSON.parse(await readFile(path.join(joseDir, 'package.json'), 'utf8'));
const entry = pkg.exports?.['.']?.default ?? pkg.exports?.['.']?.import ?? pkg.main;
const { SignJWT, importJWK, jwtVerify } = await import(pathToFileURL(path.join(joseDir, entry)).href);

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    algs: { type: 'string', default: 'EdDSA,ES256,RS256' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);

const keysDir = path.join(root, 'fixtures', 'src', 'test', 'resources', 'org', 'cijwt', 'fixtures', 'keys');
const keyFiles = { EdDSA: 'test-ed25519-private.pem', ES256: 'test-p256-private.pem', RS256: 'test-rsa2048-private.pem' };
const metadata = JSON.parse(await readFile(
  path.join(root, 'fixtures', 'src', 'main', 'resources', 'org', 'cijwt', 'fixtures', 'metadata', 'main.json'), 'utf8'));
const issuer = 'https://ci.example.com';
const audience = 'vault';

// The claims ci-jwt puts in a token for the sample build, in the same order.
function claims() {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer, sub: `${metadata.team}/${metadata.pipeline}`, aud: audience,
    exp: now + 600, nbf: now - 30, iat: now, jti: randomBytes(16).toString('base64url'),
    team: metadata.team, teamid: metadata.teamid, pipeline: metadata.pipeline, pipelineid: metadata.pipelineid,
    instance_vars: metadata.instance_vars, job: metadata.job, jobid: metadata.jobid, task: metadata.task,
    buildid: metadata.buildid, build_name: metadata.build_name, step_type: metadata.step_type, worker: metadata.worker,
  };
}

async function rate(fn) {
  const until = (s) => performance.now() + s * 1000;
  for (const end = until(warmup); performance.now() < end;) {
    await fn();
  }
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

for (const alg of values.algs.split(',')) {
  // Imported once as WebCrypto keys, jose's fastest path (a KeyObject is converted on every call).
  const pem = createPrivateKey(await readFile(path.join(keysDir, keyFiles[alg]), 'utf8'));
  const privateKey = await importJWK(pem.export({ format: 'jwk' }), alg);
  const publicKey = await importJWK(createPublicKey(pem).export({ format: 'jwk' }), alg);
  const header = { alg, typ: 'JWT', kid: 'bench' };
  const mint = () => new SignJWT(claims()).setProtectedHeader(header).sign(privateKey);
  const token = await mint();
  const verify = () => jwtVerify(token, publicKey, { issuer, audience, algorithms: [alg] });
  await verify();
  console.log(`jose mint ${alg} ${(await rate(mint)).toFixed(1)}`);
  console.log(`jose verify ${alg} ${(await rate(verify)).toFixed(1)}`);
}
