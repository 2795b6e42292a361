// A fault-injecting HTTP proxy in front of the S3 server, in a process of its own (the VFS
// blocks its caller's thread in Atomics.wait during a synchronous SQLite call, so a proxy
// on that thread's event loop could never answer it). Driven by test/support/fault-proxy.js
// through requests to /__faults/ on the same port:
//   POST /__faults/rules   [{ method, key, query, action, ... }] replaces the rules
//   GET  /__faults/log     every request since the last reset: { method, key, query, status, action },
//                          and the keys a DeleteObjects (POST ?delete) names, as `deletes`
//   POST /__faults/reset   no rules, an empty log
// A rule matches a request by method, a regular expression on the key (bucket/key, decoded)
// and one on the query string; `skip` matches pass first, then `times` are acted on.
// Actions:
//   status     answer with `status` (and an S3 error body) without forwarding
//   drop       close the connection without forwarding (the request never reached S3)
//   lose       forward, then close the connection without the answer (S3 applied it)
//   delay      wait `ms`, then forward
//   hang       never answer
//   stall      forward, send the answer's headers and half its body, then never the rest
//   duplicate  forward, and send the same request to S3 again `ms` later (a late copy)
// argv: target port
'use strict';
const http = require('node:http');
const { readBody, deleteKeysOf } = require('../../scripts/http-bodies');

const target = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true });
let rules = [];
let log = [];
const hung = new Set();

function ruleFor(entry) {
  for (const rule of rules) {
    if (rule.method && rule.method !== entry.method) continue;
    if (rule.key && !new RegExp(rule.key).test(entry.key)) continue;
    if (rule.query && !new RegExp(rule.query).test(entry.query)) continue;
    rule.seen = (rule.seen ?? 0) + 1;
    if (rule.seen <= (rule.skip ?? 0)) continue;
    if (rule.seen > (rule.skip ?? 0) + (rule.times ?? Infinity)) continue;
    return rule;
  }
  return null;
}

/** Sends the request to S3; resolves to { status, headers, body }. */
function forward(req, body) {
  return new Promise((resolve, reject) => {
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

function answer(res, got) {
  const headers = { ...got.headers };
  delete headers['transfer-encoding'];
  headers['content-length'] = String(got.body.length);
  res.writeHead(got.status, headers);
  res.end(got.body);
}

async function admin(req, res, path) {
  const body = await readBody(req);
  if (path === '/__faults/rules') {
    rules = JSON.parse(body.toString('utf8') || '[]');
  } else if (path === '/__faults/reset') {
    rules = [];
    log = [];
  } else if (path === '/__faults/log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(log));
  } else {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(204);
  res.end();
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://proxy');
  if (url.pathname.startsWith('/__faults/')) return admin(req, res, url.pathname);
  const entry = { method: req.method, key: decodeURIComponent(url.pathname.slice(1)), query: url.search.slice(1), status: 0, action: 'pass' };
  log.push(entry);
  let body;
  try {
    body = await readBody(req);
  } catch {
    return res.destroy();
  }
  if (req.method === 'POST' && url.searchParams.has('delete')) {
    entry.deletes = deleteKeysOf(body);
  }
  const rule = ruleFor(entry);
  entry.action = rule?.action ?? 'pass';
  try {
    switch (rule?.action) {
      case 'status':
        entry.status = rule.status;
        res.writeHead(rule.status, { 'content-type': 'application/xml' });
        return res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${rule.code ?? 'InternalError'}</Code><Message>injected</Message></Error>`);
      case 'drop':
        return res.destroy();
      case 'hang':
        hung.add(res);
        return;
      case 'delay':
        await new Promise((r) => setTimeout(r, rule.ms ?? 1000));
        break;
      default:
        break;
    }
    const got = await forward(req, body);
    entry.status = got.status;
    if (rule?.action === 'lose') return res.destroy();
    if (rule?.action === 'duplicate') setTimeout(() => forward(req, body).catch(() => undefined), rule.ms ?? 500);
    if (rule?.action === 'stall') {
      const headers = { ...got.headers };
      delete headers['transfer-encoding'];
      headers['content-length'] = String(got.body.length);
      res.writeHead(got.status, headers);
      res.write(got.body.subarray(0, Math.floor(got.body.length / 2)));
      hung.add(res);
      return;
    }
    answer(res, got);
  } catch {
    res.destroy();
  }
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${/** @type {import('node:net').AddressInfo} */ (server.address()).port}\n`));
// If whoever started us dies, do not linger.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
