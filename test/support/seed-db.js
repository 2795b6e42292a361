// The database the Python sqlite-s3vfs tests build, made the same way on any
// connection, so an S3 copy can be compared with a plain local file.
const PAGE_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const BLOCK_SIZES = [4095, 4096, 4097];
const JOURNAL_MODES = ['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY', 'OFF'];

function setPragmas(db, pageSize, journalMode) {
  db.pragma(`page_size = ${pageSize}`);
  db.unsafeMode(journalMode === 'OFF'); // better-sqlite3 keeps journal_mode=OFF from taking effect otherwise
  db.pragma(`journal_mode = ${journalMode}`);
  db.unsafeMode(false);
}

function createDb(db) {
  db.exec('BEGIN');
  db.exec('CREATE TABLE foo(x,y);');
  db.exec('INSERT INTO foo VALUES ' + Array(100).fill('(1,2)').join(',') + ';');
  for (let i = 0; i < 10; i++) db.exec(`CREATE TABLE foo_${i}(x,y);`);
  db.exec('COMMIT');
}

function emptyDb(db) {
  db.exec('BEGIN');
  db.exec('DROP TABLE foo;');
  for (let i = 0; i < 10; i++) db.exec(`DROP TABLE foo_${i};`);
  db.exec('COMMIT');
}

function expectSeedContent(db) {
  const rows = db.prepare('SELECT * FROM foo').all();
  expect(rows).toHaveLength(100);
  expect(rows.every((r) => r.x === 1 && r.y === 2)).toBe(true);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
}

module.exports = { PAGE_SIZES, BLOCK_SIZES, JOURNAL_MODES, setPragmas, createDb, emptyDb, expectSeedContent };
