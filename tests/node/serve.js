// Node 20's tls module doing what `node-tls serve --json` does (echo mode), printing
// the same JSON lines: the reference the lifecycle tests compare our server with.
// Usage: node serve.js KEY CERT HANDSHAKE_TIMEOUT_MS [CA [reject]]
// (with CA: requestCert and that CA; "reject": rejectUnauthorized too)
// A client whose servername is ACT.act.localhost makes the server act on its socket
// (see ACTS): what the lifecycle tests' in-process server of ours does the same way.
'use strict';
const tls = require('tls');
const fs = require('fs');
// what the side under test does to its socket, by name
const ACTS = require('./acts.js');
const [key, cert, timeout, ca, reject] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const server = tls.createServer({
  key: fs.readFileSync(key),
  cert: fs.readFileSync(cert),
  requestCert: Boolean(ca),
  ca: ca ? fs.readFileSync(ca) : undefined,
  // the contract's (and Node v0.12's) server defaults, which Node 20 changed
  rejectUnauthorized: reject === 'reject',
  honorCipherOrder: false,
  handshakeTimeout: Number(timeout),
}, (s) => {
  const port = portOf(s);
  out({
    event: 'secureConnection', protocol: s.getProtocol(), authorized: s.authorized,
    authorizationError: s.authorizationError || null, sessionReused: s.isSessionReused(),
    remotePort: port,
  });
  s.on('data', (d) => out({ event: 'data', length: d.length, remotePort: port }));
  s.on('end', () => out({ event: 'end', remotePort: port }));
  s.on('error', (e) => out({ event: 'error', code: e.code, message: e.message, remotePort: port }));
  s.on('close', (hadError) => out({ event: 'close', hadError, remotePort: port }));
  s.on('timeout', () => out({ event: 'timeout', remotePort: port }));
  s.pipe(s);
  // after the docs' echo pipe, as a user's handler would be
  const act = ACTS[(s.servername || '').replace(/\.act\.localhost$/, '')];
  if (act) act(s);
});
server.on('tlsClientError', (e, s) => out({ event: 'clientError', code: e.code, message: e.message, remotePort: portOf(s) }));
// a socket reset before its handshake is done has no remotePort any more: its TCP
// socket's, read at once (net caches it), still says
server.on('connection', (raw) => raw.remotePort);
const portOf = (s) => s.remotePort ?? (s._parent && s._parent.remotePort);
server.listen(0, '127.0.0.1', () => out({ event: 'listening', address: { port: server.address().port } }));
