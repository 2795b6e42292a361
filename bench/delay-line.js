// A TCP delay line in front of the S3 server: every chunk is forwarded half the delay
// later in each direction, in order, so each request/response round trip gains the full
// delay (real S3 answers small requests in tens of milliseconds) while large bodies still
// stream. It works below HTTP, so SigV4 signatures pass untouched. An optional bandwidth
// (MB/s per connection and direction) spaces the chunks out as a real link would: one S3
// connection moves tens of MB/s, loopback thousands, and large blocks cost that time.
'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');

function forwardLate(from, to, halfMs, mbps) {
  const queue = [];
  let timer = null;
  let linkFreeAt = 0;
  const drain = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0].due <= now) {
      const item = queue.shift();
      if (item.end) to.end();
      else to.write(item.chunk);
    }
    if (queue.length) timer = setTimeout(drain, Math.max(0, queue[0].due - now));
  };
  const push = (item) => {
    let due = performance.now() + halfMs;
    if (mbps > 0 && item.chunk) {
      linkFreeAt = Math.max(linkFreeAt, due) + item.chunk.length / (mbps * 1000);
      due = linkFreeAt;
    }
    queue.push({ due, ...item });
    if (!timer) timer = setTimeout(drain, Math.max(0, due - performance.now()));
  };
  from.on('data', (chunk) => push({ chunk }));
  from.on('end', () => push({ end: true }));
}

function listen(targetPort, delayMs, mbps) {
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    forwardLate(client, upstream, delayMs / 2, mbps);
    forwardLate(upstream, client, delayMs / 2, mbps);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
}

/**
 * Starts the delay line in a child process, and resolves to { port, close() }. It cannot
 * live in the benchmark's own process: a synchronous query blocks that process's main
 * thread in Atomics.wait, and with it any timer that would forward the bytes it waits for.
 */
function startDelayLine(targetPort, delayMs, mbps = 0) {
  const child = spawn(process.execPath, [__filename, String(targetPort), String(delayMs), String(mbps)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        resolve({
          port: Number(m[1]),
          close: () => new Promise((r) => { child.on('exit', r); child.kill(); }),
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`the delay line exited with code ${code}`)));
  });
}

if (require.main === module) {
  listen(Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4] ?? 0));
  process.stdin.on('end', () => process.exit(0)); // the benchmark is gone
  process.stdin.resume();
} else {
  module.exports = { startDelayLine };
}
