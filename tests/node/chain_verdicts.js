#!/usr/bin/env node
// Node's own verdict on certificate chains, as a reference for differential
// tests: for every case of a manifest, Node (its OpenSSL) judges the chain once
// as a SERVER certificate and once as a CLIENT certificate.
//
// Usage:
//   node tests/node/chain_verdicts.js <fixtures-dir> <cases.json> [--only a,b] [--jobs N]
//
// Manifest (paths relative to <fixtures-dir>):
//   {"cases": [{"name": "x", "key": "k.pem", "chain": "chain.pem",
//               "ca": ["root.pem"], "crl": ["x.crl.pem"],
//               "passphrase": "optional", "about": "free text"}]}
//   - "ca" absent: the `ca` option is omitted (Node then trusts its bundled
//     Mozilla roots); "ca": [] is passed as an empty list (trust nothing).
//   - "crl" absent or empty: the `crl` option is omitted.
//
// Output (stdout, nothing else): one JSON object in manifest order,
//   {"<name>": {"server": "<verdict>", "client": "<verdict>"}, ...}
// Verdicts:
//   "AUTHORIZED"                  socket.authorized was true
//   "<CODE>"                      socket.authorizationError, e.g. "CERT_REVOKED"
//   "HANDSHAKE:<code|message>"    the connection failed before it was secure
//   "CONFIG:<code|message>"       Node refused the options: createServer /
//                                 connect threw (key does not match the cert,
//                                 no PEM in the chain, a CRL it cannot parse)
//   "TIMEOUT"                     no verdict within 10 s
//   "ERROR:<message>"             the runner itself failed (e.g. missing file)
// server side: tls.createServer({key, cert: chain}) and a client with
//   {ca, crl, rejectUnauthorized: false}; the verdict is the client's.
// client side: tls.createServer({fixed P-256 identity, requestCert: true,
//   rejectUnauthorized: false, ca, crl}) and a client presenting {key, cert:
//   chain}; the verdict is the server-side socket's.
// Exit status: 0 when every case got a verdict other than ERROR:..., 1 if some
// got ERROR:..., 2 on a usage or manifest error. Diagnostics go to stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const tls = require('tls');

const TIMEOUT_MS = 10000;
// After the client side of a client-verdict run has failed, how long to wait
// for the server's own event before falling back to the client's error.
const GRACE_MS = 1000;
const MIN_VERSION = 'TLSv1.2';

// The fixed, good server identity for client-certificate judgements.
const REPO_FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures');
const SERVER_KEY_PATH = path.join(REPO_FIXTURES, 'leaf', 'p256-key.pem');
const SERVER_CHAIN_PATH = path.join(REPO_FIXTURES, 'leaf', 'p256-chain.pem');

function usage(msg) {
  if (msg) process.stderr.write(`chain_verdicts: ${msg}\n`);
  process.stderr.write(
    'usage: node tests/node/chain_verdicts.js <fixtures-dir> <cases.json> ' +
    '[--only name1,name2] [--jobs N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  let only = null;
  let jobs = 8;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (v === undefined) usage('--only needs a value');
      only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '--jobs' || a.startsWith('--jobs=')) {
      const v = a === '--jobs' ? argv[++i] : a.slice('--jobs='.length);
      jobs = Number(v);
      if (!Number.isInteger(jobs) || jobs < 1) usage(`bad --jobs ${v}`);
    } else if (a === '-h' || a === '--help') {
      usage();
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 2) usage('need <fixtures-dir> and <cases.json>');
  return { fixturesDir: positional[0], manifest: positional[1], only, jobs };
}

function codeOf(err) {
  if (err === null || err === undefined) return 'UNKNOWN';
  if (typeof err === 'string') return err;
  return err.code || err.message || String(err);
}

function authVerdict(socket) {
  if (socket.authorized) return 'AUTHORIZED';
  return codeOf(socket.authorizationError);
}

// One TLS experiment with a deadline and guaranteed cleanup. `body(ctx)` sets
// things up and calls ctx.finish(verdict) (first call wins). Returns a promise
// of the verdict that never rejects.
function experiment(label, body) {
  return new Promise((resolve) => {
    const sockets = new Set();
    const servers = new Set();
    const timers = new Set();
    let done = false;
    let result = null;
    const ctx = {
      track(sock) {
        sockets.add(sock);
        // Errors after (or instead of) the verdict must never go unhandled.
        sock.on('error', (e) => {
          if (process.env.CHAIN_VERDICTS_DEBUG) {
            process.stderr.write(`[${label}] socket error ${codeOf(e)}\n`);
          }
        });
        return sock;
      },
      server(srv) {
        servers.add(srv);
        srv.on('error', (e) => ctx.finish(`ERROR:server ${codeOf(e)}`));
        srv.on('connection', (raw) => ctx.track(raw));
        return srv;
      },
      later(ms, fn) {
        const t = setTimeout(() => {
          timers.delete(t);
          fn();
        }, ms);
        timers.add(t);
      },
      finish(verdict) {
        if (done) return;
        done = true;
        result = verdict;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        // finish() is often called from inside a TLS event ('secureConnection',
        // 'secureConnect', 'tlsClientError'), i.e. while OpenSSL may still be
        // on the stack (TLSWrap::ClearOut -> SSL_read). Destroying sockets
        // synchronously there made Node v20.20.2 corrupt its heap: a SIGSEGV
        // in ssl3_send_alert or "corrupted double-linked list" a few
        // handshakes later. Tearing down on a later tick avoids that.
        setImmediate(teardown);
      },
    };
    function teardown() {
      for (const s of sockets) {
        try {
          s.destroy();
        } catch { /* ignore */ }
      }
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      let pending = servers.size;
      if (pending === 0) {
        setImmediate(settle);
        return;
      }
      for (const srv of servers) {
        try {
          srv.close(() => {
            if (--pending === 0) settle();
          });
        } catch {
          if (--pending === 0) settle();
        }
      }
      // close() waits for open connections; they were destroyed above, but
      // never let a stuck close() hold the verdict back.
      setTimeout(settle, 2000).unref();
    }
    ctx.later(TIMEOUT_MS, () => ctx.finish('TIMEOUT'));
    try {
      body(ctx);
    } catch (e) {
      ctx.finish(`ERROR:${e && e.message ? e.message : String(e)}`);
    }
  });
}

function maybe(opts, name, list) {
  if (list !== undefined) opts[name] = list;
  return opts;
}

// Node judges `c.chain` as a server certificate.
function serverVerdict(c) {
  return experiment(`${c.name}/server`, (ctx) => {
    let server;
    try {
      server = tls.createServer({
        key: c.key,
        cert: c.chain,
        passphrase: c.passphrase,
        minVersion: MIN_VERSION,
      });
    } catch (e) {
      ctx.finish(`CONFIG:${codeOf(e)}`);
      return;
    }
    ctx.server(server);
    server.on('secureConnection', (s) => {
      ctx.track(s);
      s.resume();
    });
    server.on('tlsClientError', () => { /* the client tells the story */ });
    server.listen(0, '127.0.0.1', () => {
      const opts = {
        host: '127.0.0.1',
        port: server.address().port,
        minVersion: MIN_VERSION,
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      };
      maybe(opts, 'ca', c.ca);
      if (c.crl && c.crl.length) opts.crl = c.crl;
      let client;
      try {
        client = tls.connect(opts);
      } catch (e) {
        ctx.finish(`CONFIG:${codeOf(e)}`);
        return;
      }
      ctx.track(client);
      let secure = false;
      client.on('secureConnect', () => {
        secure = true;
        ctx.finish(authVerdict(client));
      });
      client.on('error', (e) => {
        if (!secure) ctx.finish(`HANDSHAKE:${codeOf(e)}`);
      });
      client.on('close', () => {
        if (!secure) ctx.finish('HANDSHAKE:CLOSED');
      });
    });
  });
}

// Node judges `c.chain` as a client certificate.
function clientVerdict(c, identity) {
  return experiment(`${c.name}/client`, (ctx) => {
    const sopts = {
      key: identity.key,
      cert: identity.cert,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: MIN_VERSION,
    };
    maybe(sopts, 'ca', c.ca);
    if (c.crl && c.crl.length) sopts.crl = c.crl;
    let server;
    try {
      server = tls.createServer(sopts);
    } catch (e) {
      ctx.finish(`CONFIG:${codeOf(e)}`);
      return;
    }
    ctx.server(server);
    server.on('secureConnection', (s) => {
      ctx.track(s);
      const verdict = authVerdict(s);
      // Node reports "no client certificate at all" as the authorizationError
      // UNABLE_TO_GET_ISSUER_CERT; say so on stderr to tell the two apart.
      const peer = s.getPeerCertificate();
      if (!peer || Object.keys(peer).length === 0) {
        process.stderr.write(
          `chain_verdicts: ${c.name}/client: the client sent no certificate (${verdict})\n`);
      }
      ctx.finish(verdict);
    });
    server.on('tlsClientError', (e, s) => {
      if (s) ctx.track(s);
      ctx.finish(`HANDSHAKE:${codeOf(e)}`);
    });
    server.listen(0, '127.0.0.1', () => {
      let client;
      try {
        client = tls.connect({
          host: '127.0.0.1',
          port: server.address().port,
          key: c.key,
          cert: c.chain,
          passphrase: c.passphrase,
          minVersion: MIN_VERSION,
          rejectUnauthorized: false,
          checkServerIdentity: () => undefined,
        });
      } catch (e) {
        ctx.finish(`CONFIG:${codeOf(e)}`);
        return;
      }
      ctx.track(client);
      client.on('secureConnect', () => client.resume());
      let clientErr = null;
      const fallBack = () => {
        ctx.later(GRACE_MS, () => {
          ctx.finish(`HANDSHAKE:client ${clientErr ? codeOf(clientErr) : 'CLOSED'}`);
        });
      };
      client.on('error', (e) => {
        if (clientErr === null) {
          clientErr = e;
          fallBack();
        }
      });
      client.on('close', () => {
        if (clientErr === null) {
          clientErr = false;
          fallBack();
        }
      });
    });
  });
}

async function pool(tasks, jobs) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

function loadCase(fixturesDir, raw, index) {
  if (!raw || typeof raw.name !== 'string' || raw.name === '') {
    throw new Error(`case #${index} has no name`);
  }
  const read = (rel, what) => {
    if (typeof rel !== 'string') throw new Error(`${what} is not a path`);
    return fs.readFileSync(path.resolve(fixturesDir, rel));
  };
  const readList = (list, what) => {
    if (list === undefined || list === null) return undefined;
    if (!Array.isArray(list)) list = [list];
    return list.map((rel) => read(rel, what));
  };
  return {
    name: raw.name,
    key: read(raw.key, 'key'),
    chain: read(raw.chain, 'chain'),
    ca: readList(raw.ca, 'ca'),
    crl: readList(raw.crl, 'crl'),
    passphrase: typeof raw.passphrase === 'string' ? raw.passphrase : undefined,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(args.manifest, 'utf8'));
  } catch (e) {
    usage(`cannot read manifest ${args.manifest}: ${e.message}`);
  }
  if (!manifest || !Array.isArray(manifest.cases)) usage('manifest has no "cases" array');

  let cases = manifest.cases;
  const seen = new Set();
  for (const c of cases) {
    if (c && seen.has(c.name)) usage(`duplicate case name ${c.name}`);
    if (c) seen.add(c.name);
  }
  if (args.only) {
    const missing = args.only.filter((n) => !seen.has(n));
    if (missing.length) usage(`--only: no such case(s): ${missing.join(', ')}`);
    const want = new Set(args.only);
    cases = cases.filter((c) => want.has(c.name));
  }

  const identity = {
    key: fs.readFileSync(SERVER_KEY_PATH),
    cert: fs.readFileSync(SERVER_CHAIN_PATH),
  };

  const started = Date.now();
  const tasks = [];
  const out = {};
  cases.forEach((raw, i) => {
    const slot = { server: null, client: null };
    out[raw.name] = slot;
    let loaded = null;
    let loadErr = null;
    try {
      loaded = loadCase(args.fixturesDir, raw, i);
    } catch (e) {
      loadErr = `ERROR:${e.message}`;
      process.stderr.write(`chain_verdicts: ${raw && raw.name}: ${e.message}\n`);
    }
    tasks.push(async () => {
      slot.server = loadErr || await serverVerdict(loaded);
    });
    tasks.push(async () => {
      slot.client = loadErr || await clientVerdict(loaded, identity);
    });
  });
  await pool(tasks, args.jobs);

  let errors = 0;
  for (const [name, v] of Object.entries(out)) {
    for (const side of ['server', 'client']) {
      if (typeof v[side] !== 'string') v[side] = 'ERROR:no verdict';
      if (v[side].startsWith('ERROR:')) {
        errors++;
        process.stderr.write(`chain_verdicts: ${name}/${side}: ${v[side]}\n`);
      }
    }
  }
  process.stderr.write(
    `chain_verdicts: ${cases.length} case(s), ${tasks.length} verdicts in ` +
    `${((Date.now() - started) / 1000).toFixed(2)} s (node ${process.version}, ` +
    `OpenSSL ${process.versions.openssl})\n`);
  const code = errors ? 1 : 0;
  process.stdout.write(JSON.stringify(out, null, 2) + '\n', () => process.exit(code));
}

process.on('unhandledRejection', (e) => {
  process.stderr.write(`chain_verdicts: unhandled rejection: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
process.on('uncaughtException', (e) => {
  process.stderr.write(`chain_verdicts: uncaught exception: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});

main();
