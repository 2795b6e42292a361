// A small HTTP layer in front of s3rver that gives it what S3 has and s3rver lacks:
// conditional writes. A PUT with If-None-Match: * fails with 412 when the object exists,
// one with If-Match when the object's ETag is another (quoted or not, as radosgw 16 sends
// it) or the object is missing. The check and the write run under a lock per key, which
// every PUT and DELETE of that key takes too, so that no write slips in between.
// Everything else passes through unchanged. Runs in s3rver's process (s3rver-process.js).
'use strict';
const http = require('node:http');
const { readBody, deleteKeysOf } = require('./http-bodies');

const unquote = (etag) => String(etag ?? '').replace(/"/g, '');

/** Runs fn once every earlier holder of any of these keys is done. */
function makeLocks() {
  const tails = new Map();
  return async (keys, fn) => {
    const before = keys.map((k) => tails.get(k) ?? Promise.resolve());
    let release;
    const mine = new Promise((r) => (release = r));
    for (const k of keys) tails.set(k, mine);
    await Promise.all(before);
    try {
      return await fn();
    } finally {
      release();
      for (const k of keys) if (tails.get(k) === mine) tails.delete(k);
    }
  };
}

function startConditionalWrites(targetPort) {
  const agent = new http.Agent({ keepAlive: true });
  const withKeys = makeLocks();
  const send = (method, path, headers, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: targetPort, method, path, headers, agent }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const reply = (res, got) => {
    const headers = { ...got.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(got.body.length);
    res.writeHead(got.status, headers);
    res.end(got.body);
  };
  const failed = (res, key) => {
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Key>${key}</Key></Error>`);
    res.writeHead(412, { 'content-type': 'application/xml', 'content-length': String(body.length) });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    readBody(req).then(async (body) => {
      const url = new URL(req.url, 'http://layer');
      const path = url.pathname;
      try {
        if (req.method === 'POST' && url.searchParams.has('delete')) {
          const bucket = path.split('/')[1];
          const keys = deleteKeysOf(body).map((k) => `/${bucket}/${k}`);
          return reply(res, await withKeys(keys, () => send(req.method, req.url, req.headers, body)));
        }
        if (req.method !== 'PUT' && req.method !== 'DELETE') return reply(res, await send(req.method, req.url, req.headers, body));
        const key = decodeURIComponent(path);
        await withKeys([key], async () => {
          const ifMatch = req.headers['if-match'];
          const ifNoneMatch = req.headers['if-none-match'];
          if (req.method === 'PUT' && (ifMatch || ifNoneMatch)) {
            const head = await send('HEAD', path, { host: req.headers.host });
            const exists = head.status === 200;
            if (ifNoneMatch === '*' && exists) return failed(res, key);
            if (ifMatch && (!exists || unquote(ifMatch) !== unquote(head.headers.etag))) return failed(res, key);
          }
          reply(res, await send(req.method, req.url, req.headers, body)); // s3rver ignores the conditions

        });
      } catch {
        res.destroy();
      }
    }, () => res.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => server.close() })));
}

module.exports = { startConditionalWrites };
