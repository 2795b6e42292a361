// An HTTP proxy in front of the S3 server that counts requests and can act on the
// n-th one that changes the bucket (PUT, POST ?delete, DELETE): the crash tests use it
// to kill a writer at an exact point of a commit.
const { spawn } = require('node:child_process');
const http = require('node:http');

const MUTATING = new Set(['PUT', 'POST', 'DELETE']);

function startCountingProxy(targetPort) {
  const state = { counts: {}, mutations: 0, onMutation: null, paused: false };
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    state.counts[req.method] = (state.counts[req.method] ?? 0) + 1;
    if (MUTATING.has(req.method)) {
      state.mutations++;
      // 'drop': the request never reaches S3 (the writer is killed before it is sent).
      if (state.onMutation && state.onMutation(state.mutations, req) === 'drop') {
        req.resume();
        res.destroy();
        return;
      }
    }
    const up = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        state,
        reset() {
          state.counts = {};
          state.mutations = 0;
          state.onMutation = null;
        },
        close: () => new Promise((r) => { agent.destroy(); server.closeAllConnections?.(); server.close(r); }),
      });
    });
  });
}

/**
 * Runs `node script argsJson` with S3 requests through the proxy (args.s3 gets the proxy's
 * endpoint) and, unless killAt is 0, SIGKILLs it when its killAt-th mutating request
 * arrives, which is dropped. Resolves to { code, signal, out, mutations }.
 */
function runKilledAt(proxy, script, args, killAt) {
  return new Promise((resolve) => {
    proxy.reset();
    const s3 = { ...args.s3, endpoint: `http://127.0.0.1:${proxy.port}` };
    const child = spawn(process.execPath, [script, JSON.stringify({ ...args, s3 })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    if (killAt) {
      proxy.state.onMutation = (n) => {
        if (n !== killAt) return 'pass';
        child.kill('SIGKILL');
        return 'drop';
      };
    }
    // 'close', not 'exit': what the child wrote before it died must all be read.
    child.on('close', (code, signal) => resolve({ code, signal, out, mutations: proxy.state.mutations }));
  });
}

module.exports = { startCountingProxy, runKilledAt };
