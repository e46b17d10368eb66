// The interop matrix's Node 20 peer (tests/interop): a tls client or server configured by
// one JSON argument, printing one JSON line per connection (and `{"listening":PORT}` for a
// server). Usage: node peer.js '{"role":"client"|"server", ...}'
//   version "TLSv1.2"|"TLSv1.3" (min and max); key, cert, ca, crl: files; alpn: [names];
//   client: port, servername, connections (each offers the last one's session),
//           requestOCSP
//   server: requestCert (and reject), sni: {name, key, cert}, ocsp: file to staple,
//           connections (exit after that many have closed)
// A client writes "hello", reads it back, then ends.
'use strict';
const tls = require('tls');
const fs = require('fs');
const c = JSON.parse(process.argv[2]);
const file = (f) => (f ? fs.readFileSync(f) : undefined);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const raw = (cert) => (cert && cert.raw ? cert.raw.toString('base64') : null);
const base = {
  key: file(c.key), cert: file(c.cert), ca: file(c.ca),
  crl: c.crl ? c.crl.map((f) => fs.readFileSync(f)) : undefined,
  minVersion: c.version, maxVersion: c.version, ALPNProtocols: c.alpn,
};

if (c.role === 'client') {
  let session;
  let left = c.connections || 1;
  const once = () => {
    const seen = { ocsp: null };
    const socket = tls.connect({
      ...base, host: '127.0.0.1', port: c.port, servername: c.servername, session,
      requestOCSP: !!c.requestOCSP,
    }, () => {
      Object.assign(seen, {
        connected: true, protocol: socket.getProtocol(), alpn: socket.alpnProtocol || null,
        reused: socket.isSessionReused(), authorized: socket.authorized,
        peer: raw(socket.getPeerCertificate()),
      });
      socket.write('hello');
    });
    let echo = '';
    socket.on('OCSPResponse', (r) => { seen.ocsp = r ? r.toString('base64') : null; });
    socket.on('session', (s) => { session = s; });
    socket.on('data', (d) => {
      echo += d;
      if (echo === 'hello') socket.end();
    });
    socket.on('error', (e) => { seen.error = e.code || e.message; });
    socket.on('close', () => {
      seen.echoed = echo === 'hello';
      out(seen);
      if (--left > 0) once();
    });
  };
  once();
} else {
  const server = tls.createServer({
    ...base, requestCert: !!c.requestCert, rejectUnauthorized: !!c.requestCert,
    SNICallback: c.sni ? (name, cb) => cb(null, name === c.sni.name
      ? tls.createSecureContext({ ...base, key: file(c.sni.key), cert: file(c.sni.cert) })
      : undefined) : undefined,
  }, (socket) => {
    out({
      connected: true, protocol: socket.getProtocol(), alpn: socket.alpnProtocol || null,
      reused: socket.isSessionReused(), authorized: socket.authorized,
      servername: socket.servername || null, peer: raw(socket.getPeerCertificate()),
    });
    socket.pipe(socket);
    socket.on('error', () => {});
  });
  if (c.ocsp) {
    const staple = fs.readFileSync(c.ocsp);
    server.on('OCSPRequest', (cert, issuer, cb) => cb(null, staple));
  }
  let left = c.connections || 1;
  server.on('connection', (s) => s.on('close', () => { if (--left === 0) server.close(); }));
  server.on('tlsClientError', (e) => out({ connected: false, error: e.code || e.message }));
  server.listen(0, '127.0.0.1', () => out({ listening: server.address().port }));
}
