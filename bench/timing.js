// Wall-clock timing of one workload step, for the benchmark's reports.
'use strict';

function timeIt(fn) {
  const t = performance.now();
  const out = fn();
  return { ms: performance.now() - t, out };
}

async function timeAsync(fn) {
  const t = performance.now();
  const out = await fn();
  return { ms: performance.now() - t, out };
}

module.exports = { timeIt, timeAsync };
