// node-postgres (pg) against occam: parameters, named prepared statements, typed values, transactions,
// errors, a pool, and catalog introspection.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const pg = require('pg');
const { isDsql, url, assertSqlState, sample, localDay } = require('./helpers');

let client;

before(async () => {
  client = new pg.Client({ connectionString: url });
  await client.connect();
});

after(async () => {
  await client.end();
});

test('create the schema', async () => {
  await client.query(`CREATE TABLE pg_items (
    id integer PRIMARY KEY,
    big bigint NOT NULL,
    amount numeric(12,2),
    name text,
    flag boolean,
    at timestamptz,
    day date,
    uid uuid,
    doc jsonb,
    data bytea
    ${isDsql ? '' : ', tags text[]'}
  )`);
  if (isDsql) {
    await assertSqlState(client.query('CREATE TABLE pg_arrays (id int PRIMARY KEY, tags text[])'), '0A000');
  }
});

test('typed insert with parameters and read back', async () => {
  const s = sample;
  const columns = ['id', 'big', 'amount', 'name', 'flag', 'at', 'day', 'uid', 'doc', 'data'];
  const values = [s.id, s.big, s.amount, s.name, s.flag, s.at, s.day, s.uid, s.doc, s.data];
  if (!isDsql) {
    columns.push('tags');
    values.push(s.tags);
  }
  const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
  const inserted = await client.query(
    `INSERT INTO pg_items (${columns.join(', ')}) VALUES (${placeholders}) RETURNING id`,
    values,
  );
  assert.equal(inserted.rowCount, 1);
  assert.deepEqual(inserted.rows, [{ id: 1 }]);

  const { rows, fields } = await client.query('SELECT * FROM pg_items WHERE id = $1', [1]);
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.equal(row.id, 1);
  assert.equal(row.big, s.big);
  assert.equal(row.amount, s.amount);
  assert.equal(row.name, s.name);
  assert.equal(row.flag, true);
  assert.equal(row.at.toISOString(), s.at.toISOString());
  assert.equal(localDay(row.day), s.day);
  assert.equal(row.uid, s.uid);
  assert.deepEqual(row.doc, s.doc);
  assert.deepEqual(row.data, s.data);
  if (!isDsql) assert.deepEqual(row.tags, s.tags);
  const typeOf = Object.fromEntries(fields.map((f) => [f.name, f.dataTypeID]));
  assert.deepEqual(
    [typeOf.id, typeOf.big, typeOf.amount, typeOf.name, typeOf.flag, typeOf.at, typeOf.day, typeOf.uid, typeOf.doc, typeOf.data],
    [23, 20, 1700, 25, 16, 1184, 1082, 2950, 3802, 17],
  );
  if (!isDsql) assert.equal(typeOf.tags, 1009);
});

test('arrays as parameters and results', async () => {
  const { rows } = await client.query(
    'SELECT $1::int[] AS ints, $2::text[] AS texts, array_length($1::int[], 1) AS n, ARRAY[1.5, 2.25]::numeric[] AS nums',
    [[1, 2, 3], s2()],
  );
  assert.deepEqual(rows[0], { ints: [1, 2, 3], texts: s2(), n: 3, nums: [1.5, 2.25] }); // pg parses numeric[] into numbers
  function s2() {
    return ['a', null, 'b c'];
  }
});

test('update, delete and NULLs', async () => {
  await client.query('INSERT INTO pg_items (id, big) VALUES ($1, $2), ($3, $4)', [2, 2, 3, 3]);
  const updated = await client.query('UPDATE pg_items SET name = $1, flag = $2 WHERE id >= $3', ['two+', false, 2]);
  assert.equal(updated.rowCount, 2);
  const { rows } = await client.query('SELECT id, name, flag, doc FROM pg_items WHERE id >= 2 ORDER BY id');
  assert.deepEqual(rows, [
    { id: 2, name: 'two+', flag: false, doc: null },
    { id: 3, name: 'two+', flag: false, doc: null },
  ]);
  const deleted = await client.query('DELETE FROM pg_items WHERE id = $1', [3]);
  assert.equal(deleted.rowCount, 1);
});

test('named prepared statements', async () => {
  const query = { name: 'pg-item-by-id', text: 'SELECT id, name FROM pg_items WHERE id = $1' };
  const first = await client.query({ ...query, values: [1] });
  const second = await client.query({ ...query, values: [2] });
  assert.deepEqual(first.rows, [{ id: 1, name: sample.name }]);
  assert.deepEqual(second.rows, [{ id: 2, name: 'two+' }]);
  // The same statement in array row mode.
  const arrays = await client.query({ ...query, values: [2], rowMode: 'array' });
  assert.deepEqual(arrays.rows, [[2, 'two+']]);
});

test('transaction commit and rollback', async () => {
  await client.query('BEGIN');
  await client.query('INSERT INTO pg_items (id, big) VALUES (10, 10)');
  await client.query('COMMIT');
  await client.query('BEGIN');
  await client.query('INSERT INTO pg_items (id, big) VALUES (11, 11)');
  const inside = await client.query('SELECT count(*)::int AS n FROM pg_items WHERE id IN (10, 11)');
  assert.equal(inside.rows[0].n, 2);
  await client.query('ROLLBACK');
  const { rows } = await client.query('SELECT id FROM pg_items WHERE id IN (10, 11) ORDER BY id');
  assert.deepEqual(rows, [{ id: 10 }]);
});

test('unique violation is 23505 and the connection stays usable', async () => {
  const err = await assertSqlState(client.query('INSERT INTO pg_items (id, big) VALUES ($1, $2)', [1, 1]), '23505');
  assert.equal(err.table, 'pg_items');
  assert.match(err.detail, /Key \(id\)=\(1\) already exists/);
  const { rows } = await client.query('SELECT 1 AS one');
  assert.deepEqual(rows, [{ one: 1 }]);

  // Inside a transaction: the error aborts it (25P02) until ROLLBACK.
  await client.query('BEGIN');
  await assertSqlState(client.query('INSERT INTO pg_items (id, big) VALUES (1, 1)'), '23505');
  await assertSqlState(client.query('SELECT 1'), '25P02');
  await client.query('ROLLBACK');
  assert.equal((await client.query('SELECT 2 AS two')).rows[0].two, 2);

  // Other errors carry their SQLSTATE and position.
  await assertSqlState(client.query('SELECT * FROM no_such_table'), '42P01');
  await assertSqlState(client.query('SELEC 1'), '42601');
  await assertSqlState(client.query('SELECT 1/0'), '22012');
  await assertSqlState(client.query('SELECT $1::int', ['x']), '22P02');
});

test('savepoints', async () => {
  await client.query('BEGIN');
  if (isDsql) {
    await assertSqlState(client.query('SAVEPOINT s1'), '0A000', /unsupported transaction statement/);
    await client.query('ROLLBACK');
    return;
  }
  await client.query('INSERT INTO pg_items (id, big) VALUES (20, 20)');
  await client.query('SAVEPOINT s1');
  await client.query('INSERT INTO pg_items (id, big) VALUES (21, 21)');
  await client.query('ROLLBACK TO SAVEPOINT s1');
  await client.query('COMMIT');
  const { rows } = await client.query('SELECT id FROM pg_items WHERE id IN (20, 21)');
  assert.deepEqual(rows, [{ id: 20 }]);
});

test('pool: concurrent queries on several connections', async () => {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.query('SELECT $1::int * 2 AS doubled, pg_backend_pid() AS pid', [i])),
    );
    assert.deepEqual(results.map((r) => r.rows[0].doubled), Array.from({ length: 12 }, (_, i) => i * 2));
    const pooled = await pool.connect();
    try {
      await pooled.query('BEGIN');
      await pooled.query('INSERT INTO pg_items (id, big) VALUES (30, 30)');
      await pooled.query('COMMIT');
    } finally {
      pooled.release();
    }
    const { rows } = await pool.query('SELECT big FROM pg_items WHERE id = 30');
    assert.deepEqual(rows, [{ big: '30' }]);
  } finally {
    await pool.end();
  }
});

test('introspection through information_schema and pg_catalog', async () => {
  const columns = await client.query(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    ['pg_items'],
  );
  const expected = [
    ['id', 'integer', 'NO'],
    ['big', 'bigint', 'NO'],
    ['amount', 'numeric', 'YES'],
    ['name', 'text', 'YES'],
    ['flag', 'boolean', 'YES'],
    ['at', 'timestamp with time zone', 'YES'],
    ['day', 'date', 'YES'],
    ['uid', 'uuid', 'YES'],
    ['doc', 'jsonb', 'YES'],
    ['data', 'bytea', 'YES'],
  ];
  if (!isDsql) expected.push(['tags', 'ARRAY', 'YES']);
  assert.deepEqual(columns.rows.map((r) => [r.column_name, r.data_type, r.is_nullable]), expected);

  const catalog = await client.query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname = 'pg_items' AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum LIMIT 3`,
  );
  assert.deepEqual(catalog.rows, [
    { attname: 'id', type: 'integer', attnotnull: true },
    { attname: 'big', type: 'bigint', attnotnull: true },
    { attname: 'amount', type: 'numeric(12,2)', attnotnull: false },
  ]);
  const pk = await client.query(
    `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'pg_items'::regclass AND contype = 'p'`,
  );
  assert.deepEqual(pk.rows, [{ conname: 'pg_items_pkey', def: 'PRIMARY KEY (id)' }]);
});
