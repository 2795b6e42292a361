// A TCP delay line in front of the S3 server: every chunk is forwarded half the delay
// later in each direction, in order, so each request/response round trip gains the full
// delay (real S3 answers small requests in tens of milliseconds) while large bodies still
// stream. It works below HTTP, so SigV4 signatures pass untouched.
'use strict';
const net = require('node:net');

function forwardLate(from, to, halfMs) {
  const queue = [];
  let timer = null;
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
    queue.push({ due: performance.now() + halfMs, ...item });
    if (!timer) timer = setTimeout(drain, halfMs);
  };
  from.on('data', (chunk) => push({ chunk }));
  from.on('end', () => push({ end: true }));
}

/** Listens on a free loopback port; resolves to { port, close() }. */
function startDelayLine(targetPort, delayMs) {
  const sockets = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    forwardLate(client, upstream, delayMs / 2);
    forwardLate(upstream, client, delayMs / 2);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        close: () => new Promise((r) => { sockets.forEach((s) => s.destroy()); server.close(r); }),
      }),
    );
  });
}

module.exports = { startDelayLine };
