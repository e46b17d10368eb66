// What the side under test does to its socket in the lifecycle tests (the `Act`s of
// crates/cli/tests/lifecycle.rs, by their corpus names), shared by serve.js and
// connect.js. The pause lasts PAUSED_FOR of lifecycle.rs (150 ms).
'use strict';
module.exports = {
  'end': (s) => s.end(),
  'end-twice': (s) => { s.end(); s.end(); },
  'write-after-end': (s) => { s.end(); s.write('x'); },
  'destroy': (s) => s.destroy(),
  'destroy-on-data': (s) => s.once('data', () => s.destroy()),
  'end-on-data': (s) => s.once('data', () => s.end()),
  'write-on-end': (s) => s.once('end', () => s.write('x')),
  'timeout': (s) => { s.setTimeout(100); s.on('timeout', () => s.end()); },
  'pause': (s) => { s.pause(); setTimeout(() => s.resume(), 150); },
};
