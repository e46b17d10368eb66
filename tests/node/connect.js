// Node 20's tls client doing what `node-tls connect --json` does with stdin piped in,
// printing the same JSON lines: the reference the lifecycle tests compare our client
// with. Usage: node connect.js PORT MAX_VERSION [KEY CERT]
'use strict';
const tls = require('tls');
const fs = require('fs');
const [port, maxVersion, key, cert] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const socket = tls.connect({
  host: '127.0.0.1', port: Number(port), rejectUnauthorized: false, maxVersion,
  key: key ? fs.readFileSync(key) : undefined, cert: cert ? fs.readFileSync(cert) : undefined,
}, () => {
  out({
    event: 'secureConnect', protocol: socket.getProtocol(), authorized: socket.authorized,
    authorizationError: socket.authorizationError || null, sessionReused: socket.isSessionReused(),
  });
});
process.stdin.pipe(socket);
socket.on('session', () => out({ event: 'session' }));
socket.on('data', (d) => out({ event: 'data', length: d.length }));
socket.on('end', () => out({ event: 'end' }));
socket.on('error', (e) => out({ event: 'error', code: e.code, message: e.message }));
socket.on('close', (hadError) => { out({ event: 'close', hadError }); process.exit(0); });
