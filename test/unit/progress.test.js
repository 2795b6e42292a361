// The CLI's progress line: figures, rate, ETA only once it means something, and what a
// terminal and a log each get.
const { progressLine, Progress } = require('../../dist/cli/progress');

test('a known total gives a percentage, a rate and an ETA', () => {
  expect(progressLine('import', { bytes: 50e6, requests: 60 }, 200e6, 5000)).toBe('import: 50.0 MB of 200.0 MB (25%), 10.0 MB/s, ETA 15 s, 60 requests');
});

test('no ETA in the first second, nor before the first percent, nor once done', () => {
  expect(progressLine('x', { bytes: 10e6, requests: 1 }, 20e6, 500)).not.toMatch(/ETA/);
  expect(progressLine('x', { bytes: 1e6, requests: 1 }, 200e6, 5000)).not.toMatch(/ETA/);
  expect(progressLine('x', { bytes: 20e6, requests: 1 }, 20e6, 5000)).toBe('x: 20.0 MB of 20.0 MB (100%), 4.0 MB/s, 1 requests');
});

test('an unknown total shows bytes and rate only; gigabytes past 1 GB', () => {
  expect(progressLine('gc', { bytes: 0, requests: 4 }, 0, 1000)).toBe('gc: 0.0 MB, 0.0 MB/s, 4 requests');
  expect(progressLine('export', { bytes: 2.5e9, requests: 9 }, 0, 1000)).toMatch(/^export: 2\.50 GB, 2\.50 GB\/s/);
});

function drive(inPlace) {
  jest.useFakeTimers();
  let t = 0;
  const written = [];
  const m = { bytes: 0, requests: 0 };
  const p = new Progress('import', 4e6, () => m, { write: (s) => written.push(s), inPlace, intervalMs: 100, now: () => t });
  for (let i = 1; i <= 4; i++) {
    t += 1000;
    m.bytes = i * 1e6;
    m.requests = i;
    jest.advanceTimersByTime(100);
  }
  p.stop();
  p.stop();
  jest.useRealTimers();
  return written;
}

test('a terminal redraws one line in place and gives it back at the end', () => {
  const w = drive(true);
  expect(w.length).toBe(5);
  expect(w.slice(0, 4).every((s) => s.startsWith('\r') && !s.includes('\n'))).toBe(true);
  expect(w[4].trim()).toBe('');
});

test('a log gets one line per update and keeps the final figures', () => {
  const w = drive(false);
  expect(w.length).toBe(5);
  expect(w.every((s) => s.endsWith('\n'))).toBe(true);
  expect(w[4]).toBe('import: 4.0 MB of 4.0 MB (100%), 1.0 MB/s, 4 requests\n');
});
