// An HTTP proxy in front of the S3 server that names every request that changes the
// bucket (PUT, POST ?delete, DELETE) and can kill a writer at a named one: the crash tests
// and the soak use it to kill a writer at an exact point of a commit.
//
// A kill point is a label and an occurrence, e.g. "PUT db/v/0000000003.2 #1" or
// "PUT db/lease.json release #1", never a bare request count. The label is the same in
// every run of the same writer on the same database, whatever the timing:
// - a retry (the AWS SDK's amz-sdk-request: attempt=2, after a 500 from s3rver, say) is
//   the same mutation again, so it is forwarded but not counted;
// - a versioned block key is named by its block index (its commit number and random part
//   differ between runs), so parallel uploads finishing in another order still name the
//   same points; a patch object or a map page by its kind alone;
// - a lease renewal happens when the clock says so, so it is counted apart (renewals) and
//   is never a kill point; the lease's creation, takeover and release are.
// A kill point the run never reaches is a bug of the test, reported with both runs'
// points, never a silent pass.
//
// Faults can be mixed in, the same in every run: { every: n, action } acts on every n-th
// mutation (its first attempt): 'error' answers 500 without forwarding it (the SDK tries
// again), 'lose' forwards it and then drops the answer (S3 applied it; the writer must find
// that out).
const { spawn } = require('node:child_process');
const http = require('node:http');
const { readBody, deleteKeysOf } = require('../../scripts/http-bodies');

const MUTATING = new Set(['PUT', 'POST', 'DELETE']);

/** The attempt number the AWS SDK puts on a request (1 when there is none). */
function attemptOf(headers) {
  const m = /attempt=(\d+)/.exec(headers['amz-sdk-request'] ?? '');
  return m ? Number(m[1]) : 1;
}

/**
 * A versioned block key by its block index alone: its commit number depends on how many
 * commits the database had (restoring it is one) and its last part is random.
 */
function versionedBlock(key) {
  return key
    .replace(/\/v\/(\d{10})\.\d+\.[0-9a-f]+$/, '/v/$1')
    .replace(/\/v\/(patch|map)\.\d+\.[0-9a-f]+$/, '/v/$1')
    .replace(/\/probe\.[0-9a-f]+$/, '/probe');
}

/** bucket/key of a path-style request, a versioned block's by its index. */
function objectOf(url) {
  const u = new URL(url, 'http://proxy');
  const key = versionedBlock(decodeURIComponent(u.pathname.slice(1)));
  return { key, query: u.searchParams };
}

/**
 * What a mutating request does, in the same words in every run; null for a lease renewal
 * (timing, not a kill point). `held` maps a lease key to the { owner, generation } the
 * writer last stored there.
 */
function labelOf(req, body, held) {
  const { key, query } = objectOf(req.url);
  if (req.method === 'POST' && query.has('delete')) {
    const keys = deleteKeysOf(body).map(versionedBlock);
    return `DELETE ${keys.length} keys from ${keys[0]}`;
  }
  if (req.method === 'PUT' && key.endsWith('/lease.json')) {
    const lease = JSON.parse(body.toString('utf8'));
    if (lease.released) return `PUT ${key} release`;
    if (req.headers['if-none-match']) return `PUT ${key} create`;
    const mine = held.get(key);
    if (mine && mine.owner === lease.owner && mine.generation === lease.generation) return null;
    return `PUT ${key} takeover`;
  }
  return `${req.method} ${key}`;
}

function startCountingProxy(targetPort) {
  const state = fresh();
  function fresh() {
    return { counts: {}, mutations: [], occurrences: new Map(), retries: 0, renewals: 0, held: new Map(), onMutation: null, faults: null, faulted: 0 };
  }
  const agent = new http.Agent({ keepAlive: true });
  const forward = (req, res, body, onOk, loseAnswer = false) => {
    const up = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        if (upRes.statusCode < 300) onOk?.();
        if (loseAnswer) {
          upRes.resume();
          return res.destroy();
        }
        res.writeHead(upRes.statusCode, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  };
  const server = http.createServer(async (req, res) => {
    const run = state.run;
    const body = await readBody(req).catch(() => null);
    if (body === null) return res.destroy();
    state.counts[req.method] = (state.counts[req.method] ?? 0) + 1;
    if (!MUTATING.has(req.method)) return forward(req, res, body);
    if (attemptOf(req.headers) > 1) {
      state.retries++;
      return forward(req, res, body);
    }
    let label;
    try {
      label = labelOf(req, body, state.held);
    } catch (err) {
      label = `${req.method} ${objectOf(req.url).key} (unreadable body: ${err.message})`;
    }
    if (label === null) {
      state.renewals++;
      return forward(req, res, body);
    }
    const n = (state.occurrences.get(label) ?? 0) + 1;
    state.occurrences.set(label, n);
    const point = `${label} #${n}`;
    state.mutations.push(point);
    // 'drop': the request never reaches S3 (the writer is killed before it is sent).
    if (state.onMutation && state.onMutation(point) === 'drop') {
      res.destroy();
      return;
    }
    const fault = state.faults && state.mutations.length % state.faults.every === 0 ? state.faults.action : null;
    if (fault) state.faulted++;
    if (fault === 'error') {
      res.writeHead(500, { 'content-type': 'application/xml' });
      return res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>');
    }
    const lease = label.includes('/lease.json ') ? JSON.parse(body.toString('utf8')) : null;
    const held = lease && (() => {
      if (state.run === run) state.held.set(objectOf(req.url).key, { owner: lease.owner, generation: lease.generation });
    });
    forward(req, res, body, held, fault === 'lose');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
        state,
        reset() {
          Object.assign(state, fresh(), { run: (state.run ?? 0) + 1 });
        },
        close: () => new Promise((r) => { agent.destroy(); server.closeAllConnections?.(); server.close(r); }),
      });
    });
  });
}

/**
 * Runs `node script argsJson` with S3 requests through the proxy (args.s3 gets the proxy's
 * endpoint) and, when killAt names a kill point, SIGKILLs it as that request arrives (the
 * request is dropped); `faults` as above. Resolves to { code, signal, out, mutations,
 * reached, retries, renewals, faulted }: mutations are the kill points the run passed.
 */
function runKilledAt(proxy, script, args, killAt = null, faults = null) {
  return new Promise((resolve) => {
    proxy.reset();
    proxy.state.faults = faults;
    const s3 = { ...args.s3, endpoint: `http://127.0.0.1:${proxy.port}` };
    const child = spawn(process.execPath, [script, JSON.stringify({ ...args, s3 })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let reached = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    if (killAt) {
      proxy.state.onMutation = (point) => {
        // Once killed, whatever else arrives from the dying process is dropped too.
        if (point !== killAt && !reached) return 'pass';
        reached = true;
        child.kill('SIGKILL');
        return 'drop';
      };
    }
    // 'close', not 'exit': what the child wrote before it died must all be read.
    child.on('close', (code, signal) => {
      const { mutations, retries, renewals, faulted } = proxy.state;
      resolve({ code, signal, out, mutations: [...mutations], reached, retries, renewals, faulted });
    });
  });
}

/**
 * Throws unless the run was killed at its kill point: a point that is not reached means
 * the test chose it wrongly (the writer's requests differ from the clean run's).
 */
function assertKilledAt(run, killAt, clean) {
  if (run.reached && run.signal === 'SIGKILL') return;
  const why = run.reached ? `the writer was not killed (exit ${run.code}, signal ${run.signal})` : `the writer finished (exit ${run.code}) before it`;
  throw new Error(
    `test bug: kill point "${killAt}" was not reached: ${why}.\n` +
      `This run's ${run.mutations.length} mutations (${run.retries} retries, ${run.renewals} lease renewals not counted):\n  ${run.mutations.join('\n  ')}\n` +
      `The clean run's ${clean.mutations.length}:\n  ${clean.mutations.join('\n  ')}\nOutput:\n${run.out}`,
  );
}

/**
 * Puts `bytes` back as the database at prefix before the next run. A killed writer's lease
 * is still live for its TTL: wait for it to run out, as the next writer would.
 */
async function restoreDatabase(vfs, prefix, bytes, { waitMs = 15000 } = {}) {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await vfs.deserialize(prefix, [bytes]);
    } catch (err) {
      if (err.code !== 'EBUSY' || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const CRASH_WRITER = require('node:path').join(__dirname, 'crash-writer.js');

/**
 * For a jest test file: a counting proxy in front of the test server while the file's tests
 * run (none against an external endpoint, which a proxy cannot stand in front of), and
 * run(args, killAt) to run support/crash-writer.js through it, killed at `killAt`.
 */
function crashWriterHarness(config) {
  let proxy;
  beforeAll(async () => {
    if (config.port) proxy = await startCountingProxy(config.port);
  });
  afterAll(async () => {
    await proxy?.close();
  });
  return {
    /** False against an external endpoint: kill-point tests skip. */
    available: Boolean(config.port),
    run: (args, killAt = null) => runKilledAt(proxy, CRASH_WRITER, { bucket: config.bucket, s3: config.s3, ...args }, killAt),
  };
}

module.exports = { startCountingProxy, runKilledAt, assertKilledAt, restoreDatabase, crashWriterHarness };
