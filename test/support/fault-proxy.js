// Starts test/support/fault-proxy-process.js in front of an S3 server and drives it.
'use strict';
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

function call(port, method, what, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: `/__faults/${what}` }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Resolves to { port, s3 (the client configuration through the proxy), faults(rules),
 * reset(), log(), close() }. See fault-proxy-process.js for the rules.
 */
async function startFaultProxy(targetPort, s3) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fault-proxy-process.js'), String(targetPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the fault proxy exited (${code})`)));
  });
  return {
    port,
    s3: { ...s3, endpoint: `http://127.0.0.1:${port}` },
    faults: (rules) => call(port, 'POST', 'rules', rules),
    reset: () => call(port, 'POST', 'reset'),
    log: async () => JSON.parse(await call(port, 'GET', 'log')),
    close: () => new Promise((resolve) => {
      child.on('exit', () => resolve());
      child.kill();
    }),
  };
}

module.exports = { startFaultProxy };
