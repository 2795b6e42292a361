// The state of the soak's tables t(id, v) and meta(step) as a short hash: equal states, equal hashes.
const crypto = require('node:crypto');

function hashOf(db) {
  const h = crypto.createHash('sha1');
  h.update(`step ${db.prepare('SELECT step FROM meta').pluck().get()}\n`);
  for (const [id, v] of db.prepare('SELECT id, v FROM t ORDER BY id').raw().iterate()) h.update(`${id}:${v}\n`);
  return h.digest('hex').slice(0, 16);
}

module.exports = { hashOf };
