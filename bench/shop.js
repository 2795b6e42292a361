// An ordinary shop database for the benchmark's realistic workloads: customers, products,
// orders and their items, with secondary indexes, built the same every time (no
// randomness) so that runs compare. scale 1 is about 140 MB; the size grows linearly.
'use strict';

/** Deterministic pseudo-random integers in [0, n), one stream per seed. */
function stream(seed) {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
}

const STATUSES = ['new', 'paid', 'packed', 'shipped', 'delivered', 'returned'];
const DAY = 86400;
const START = Date.UTC(2024, 0, 1) / 1000;

/** Row counts at a scale. */
function sizes(scale) {
  return {
    customers: Math.round(100_000 * scale),
    products: Math.round(10_000 * scale),
    orders: Math.round(700_000 * scale),
    itemsPerOrder: 3,
    days: 730,
  };
}

/** Creates the schema and rows in `db` (an empty better-sqlite3 database). */
function buildShop(db, scale = 1) {
  const n = sizes(scale);
  const r = stream(42);
  db.exec(`
    CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, country TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE products(id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT NOT NULL, category TEXT NOT NULL, price REAL NOT NULL);
    CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), placed_at INTEGER NOT NULL,
                        status TEXT NOT NULL, total REAL NOT NULL, note TEXT);
    CREATE TABLE order_items(order_id INTEGER NOT NULL REFERENCES orders(id), product_id INTEGER NOT NULL REFERENCES products(id),
                             qty INTEGER NOT NULL, price REAL NOT NULL, PRIMARY KEY (order_id, product_id)) WITHOUT ROWID;
  `);
  const countries = ['DE', 'FR', 'GB', 'US', 'NL', 'SE', 'PL', 'ES', 'IT', 'JP'];
  const categories = ['books', 'garden', 'kitchen', 'toys', 'tools', 'music', 'sports', 'office'];
  const insert = (sql, count, row) => {
    const stmt = db.prepare(sql);
    db.transaction(() => {
      for (let i = 1; i <= count; i++) stmt.run(row(i));
    })();
  };
  insert('INSERT INTO customers VALUES (?, ?, ?, ?, ?)', n.customers, (i) => [
    i, `Customer ${i} ${'x'.repeat(r(20))}`, `customer${i}@example.${countries[i % 10].toLowerCase()}`, countries[r(10)], START - r(1000) * DAY,
  ]);
  const prices = [0];
  insert('INSERT INTO products VALUES (?, ?, ?, ?, ?)', n.products, (i) => {
    prices[i] = 1 + r(20000) / 100;
    return [i, `SKU-${String(i).padStart(7, '0')}`, `Product ${i} ${'lorem ipsum '.repeat(1 + r(4))}`, categories[r(8)], prices[i]];
  });
  const orders = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)');
  const items = db.prepare('INSERT INTO order_items VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let id = 1; id <= n.orders; id++) {
      const placed = START + Math.floor((id / n.orders) * n.days * DAY) + r(DAY);
      let total = 0;
      const lines = new Map();
      for (let k = 0; k < n.itemsPerOrder; k++) {
        const p = 1 + r(n.products);
        const qty = 1 + r(4);
        if (lines.has(p)) continue;
        lines.set(p, qty);
        total += qty * prices[p];
      }
      orders.run(id, 1 + r(n.customers), placed, STATUSES[Math.min(5, r(7))], Math.round(total * 100) / 100, r(3) === 0 ? `gift wrap ${id}` : null);
      for (const [p, qty] of lines) items.run(id, p, qty, prices[p]);
    }
  })();
  db.exec(`
    CREATE INDEX orders_customer ON orders(customer_id);
    CREATE INDEX orders_placed ON orders(placed_at);
    CREATE INDEX orders_status ON orders(status, placed_at);
    CREATE INDEX items_product ON order_items(product_id);
  `);
}

/** The cut-off that selects the oldest `fraction` of orders. */
function placedBefore(scale, fraction) {
  return START + Math.floor(fraction * sizes(scale).days * DAY);
}

/**
 * A bulk UPDATE that moves index entries all over: the oldest quarter of the orders are
 * archived and handed to other customers (orders_customer and orders_status change).
 */
function bulkUpdateSql(scale) {
  return `UPDATE orders SET customer_id = (customer_id * 7919) % ${sizes(scale).customers} + 1, status = 'archived' WHERE placed_at < ${placedBefore(scale, 0.25)}`;
}

module.exports = { buildShop, sizes, placedBefore, bulkUpdateSql, STATUSES };
