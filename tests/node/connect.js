// Node 20's tls client doing what `node-tls connect --json` does with stdin piped in,
// printing the same JSON lines: the reference the lifecycle tests compare our client
// with. Usage: node connect.js PORT MAX_VERSION KEY|- CERT|- ACT ends|stays
// ACT "none": stdin is piped to the socket. Any other act (see ACTS): the client writes
// "hi" itself once secure (and ends, with "ends"), then acts on its socket, as the
// lifecycle tests' in-process client of ours does.
'use strict';
const tls = require('tls');
const fs = require('fs');
// what the side under test does to its socket, by name
const ACTS = require('./acts.js');
const [port, maxVersion, key, cert, act, ends] = process.argv.slice(2);
const file = (f) => (f && f !== '-' ? fs.readFileSync(f) : undefined);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const acting = act && act !== 'none';
const socket = tls.connect({
  host: '127.0.0.1', port: Number(port), rejectUnauthorized: false, maxVersion,
  key: file(key), cert: file(cert),
}, () => {
  out({
    event: 'secureConnect', protocol: socket.getProtocol(), authorized: socket.authorized,
    authorizationError: socket.authorizationError || null, sessionReused: socket.isSessionReused(),
  });
  if (acting) {
    socket.write('hi');
    if (ends === 'ends') socket.end();
    ACTS[act](socket);
  }
});
if (!acting) process.stdin.pipe(socket);
socket.on('session', () => out({ event: 'session' }));
socket.on('data', (d) => out({ event: 'data', length: d.length }));
socket.on('end', () => out({ event: 'end' }));
socket.on('error', (e) => out({ event: 'error', code: e.code, message: e.message }));
socket.on('timeout', () => out({ event: 'timeout' }));
socket.on('close', (hadError) => { out({ event: 'close', hadError }); process.exit(0); });
