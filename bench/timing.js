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

/**
 * A step of some 50 to 150 ms, measured once, is at the mercy of whatever else this shared
 * machine does (one run gave 0.7x, the next 1.4x): `local()` and `s3()` run `reps` times
 * each, alternating, and the median of each side is kept. `s3()` resolves to { ms, stats };
 * the stats kept are those of its median run.
 */
async function medianPairs(reps, local, s3) {
  const locals = [];
  const runs = [];
  for (let i = 0; i < reps; i++) {
    locals.push(local());
    runs.push(await s3());
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mid = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
  return { ms: mid.ms, localMs: median(locals), stats: mid.stats };
}

module.exports = { timeIt, timeAsync, medianPairs };
