//! Node's side of the idle-connection measurements (the `streams` and `allocs` benches).

/// Holds N idle TLS connections, prints `ready N` once all are up, then waits.
pub const NODE_IDLE: &str = r#"
const tls = require('tls');
const [port, n] = process.argv.slice(1).map(Number);
let up = 0, opening = 0; const socks = [];
function more() {
  while (opening < n && opening - up < 200) {
    opening++;
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      if (++up === n) console.log('ready ' + up); else more();
    });
    s.on('error', (e) => { console.error('idle client: ' + e.message); process.exit(1); });
    socks.push(s);
  }
}
more();
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
"#;
