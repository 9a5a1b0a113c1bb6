// postgres.js (the `postgres` package) against occam, shared by postgresjs.test.js (postgres 4) and
// postgresjs3.test.js (postgres 3): tagged queries (prepared statements by default), dynamic inserts,
// sql.begin, errors (postgres.js follows Parse/Describe with Flush, not Sync, so an error must arrive without
// a Sync or the query hangs), array parameters (sql.array() in 3, plain arrays in 4), sql.json, unsafe,
// introspection.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { isDsql, url, assertSqlState, sample, localDay } = require('./helpers');

// Defines the scenarios for `postgres` (the package's export), on table `table`.
// `array` wraps a JS array parameter: sql.array() in postgres 3, the array itself in 4 (which removed it).
module.exports = function postgresjsScenarios({ postgres, table, array }) {
  let sql;
  const wrapArray = (values) => (array ? array(values) : sql.array(values));

  before(() => {
    sql = postgres(url, { max: 3, onnotice: () => {}, idle_timeout: 5, connect_timeout: 10 });
  });

  after(async () => {
    await sql.end({ timeout: 5 });
  });

  test('create the schema', async () => {
    await sql`CREATE TABLE ${sql(table)} (
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
      ${isDsql ? sql`` : sql`, tags text[]`}
    )`;
  });

  test('typed insert with a dynamic row and read back', async () => {
    const s = sample;
    const row = {
      id: s.id, big: s.big, amount: s.amount, name: s.name, flag: s.flag, at: s.at, day: s.day, uid: s.uid,
      doc: sql.json(s.doc), data: s.data,
    };
    if (!isDsql) row.tags = wrapArray(s.tags);
    const inserted = await sql`INSERT INTO ${sql(table)} ${sql(row)} RETURNING id`;
    assert.equal(inserted.count, 1);
    assert.deepEqual([...inserted], [{ id: 1 }]);

    const [got] = await sql`SELECT * FROM ${sql(table)} WHERE id = ${1}`;
    assert.equal(got.id, 1);
    assert.equal(got.big, s.big);
    assert.equal(got.amount, s.amount);
    assert.equal(got.name, s.name);
    assert.equal(got.flag, true);
    assert.equal(got.at.toISOString(), s.at.toISOString());
    assert.equal(localDay(got.day), s.day);
    assert.equal(got.uid, s.uid);
    assert.deepEqual(got.doc, s.doc);
    assert.deepEqual(Buffer.from(got.data), s.data);
    if (!isDsql) assert.deepEqual(got.tags, s.tags);
  });

  test('several rows, update, delete, dynamic columns and IN lists', async () => {
    const rows = [2, 3, 4].map((id) => ({ id, big: id * 1000, name: `n${id}` }));
    await sql`INSERT INTO ${sql(table)} ${sql(rows, 'id', 'big', 'name')}`;
    const updated = await sql`UPDATE ${sql(table)} SET ${sql({ name: 'updated', flag: false }, 'name', 'flag')} WHERE id IN ${sql([2, 3])}`;
    assert.equal(updated.count, 2);
    const got = await sql`SELECT ${sql(['id', 'name', 'flag'])} FROM ${sql(table)} WHERE id >= ${2} ORDER BY id`;
    assert.deepEqual([...got], [
      { id: 2, name: 'updated', flag: false },
      { id: 3, name: 'updated', flag: false },
      { id: 4, name: 'n4', flag: null },
    ]);
    const deleted = await sql`DELETE FROM ${sql(table)} WHERE id = ${4}`;
    assert.equal(deleted.count, 1);
  });

  test('arrays, sql.json and typed parameters', async () => {
    const [row] = await sql`SELECT ${wrapArray([1, 2, 3])}::int[] AS ints,
      ${wrapArray(['a', 'b c'])}::text[] AS texts,
      ${sql.json({ k: [1, 2] })}::jsonb -> 'k' AS k,
      ${123n}::bigint AS big,
      ${true}::boolean AS yes`;
    assert.deepEqual(row.ints, [1, 2, 3]);
    assert.deepEqual(row.texts, ['a', 'b c']);
    assert.deepEqual(row.k, [1, 2]);
    assert.equal(row.big, '123');
    assert.equal(row.yes, true);
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM ${sql(table)} WHERE id = ANY(${wrapArray([1, 2, 99])}::int[])`;
    assert.equal(n, 2);
  });

  test('unsafe, with and without parameters, and several statements', async () => {
    const rows = await sql.unsafe('SELECT $1::int + 1 AS x, $2::text AS t', [41, 'hi']);
    assert.deepEqual([...rows], [{ x: 42, t: 'hi' }]);
    const prepared = await sql.unsafe(`SELECT name FROM ${table} WHERE id = $1`, [1], { prepare: true });
    assert.deepEqual([...prepared], [{ name: sample.name }]);
    const multi = await sql.unsafe('SELECT 1 AS a; SELECT 2 AS b');
    assert.deepEqual(multi.map((r) => [...r]), [[{ a: 1 }], [{ b: 2 }]]);
  });

  test('the same prepared statement runs many times', async () => {
    for (let i = 0; i < 5; i += 1) {
      const [row] = await sql`SELECT id, name FROM ${sql(table)} WHERE id = ${1 + (i % 2)}`;
      assert.equal(row.id, 1 + (i % 2));
    }
    // Describe-only: postgres.js asks for a statement's parameter and column types.
    const described = await sql`SELECT id, name FROM ${sql(table)} WHERE id = ${1}`.describe();
    assert.deepEqual(described.types, [23]);
    assert.deepEqual(described.columns.map((c) => [c.name, c.type]), [['id', 23], ['name', 25]]);
  });

  test('sql.begin commits, and rolls back on a thrown error', async () => {
    const result = await sql.begin(async (tx) => {
      await tx`INSERT INTO ${sql(table)} (id, big) VALUES (10, 10)`;
      return tx`SELECT count(*)::int AS n FROM ${sql(table)} WHERE id = 10`;
    });
    assert.equal(result[0].n, 1);
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`INSERT INTO ${sql(table)} (id, big) VALUES (11, 11)`;
        throw new Error('roll back please');
      }),
      /roll back please/,
    );
    const rows = await sql`SELECT id FROM ${sql(table)} WHERE id IN (10, 11) ORDER BY id`;
    assert.deepEqual([...rows], [{ id: 10 }]);
  });

  test('errors arrive (no hang) and the connection stays usable', async () => {
    const err = await assertSqlState(sql`INSERT INTO ${sql(table)} (id, big) VALUES (${1}, ${1})`, '23505');
    assert.equal(err.table_name, table);
    assert.equal(err.constraint_name, `${table}_pkey`);
    // A parse error on a prepared statement (error at Parse), a bad parameter (error at Bind), a runtime error.
    await assertSqlState(sql`SELECT * FROM no_such_table WHERE id = ${1}`, '42P01');
    await assertSqlState(sql`SELECT ${'x'}::int`, '22P02');
    await assertSqlState(sql`SELECT 1 / ${0}::int`, '22012');
    await assertSqlState(sql.unsafe('SELEC 1'), '42601');
    // One connection, used again and again after errors.
    const reserved = await sql.reserve();
    try {
      await assertSqlState(reserved`INSERT INTO ${sql(table)} (id, big) VALUES (${1}, ${1})`, '23505');
      const [row] = await reserved`SELECT ${7}::int AS seven`;
      assert.equal(row.seven, 7);
    } finally {
      reserved.release();
    }
    // A failure inside sql.begin rolls back and reports the server's error.
    await assertSqlState(
      sql.begin(async (tx) => {
        await tx`INSERT INTO ${sql(table)} (id, big) VALUES (12, 12)`;
        await tx`INSERT INTO ${sql(table)} (id, big) VALUES (1, 1)`;
      }),
      '23505',
    );
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM ${sql(table)} WHERE id = 12`;
    assert.equal(n, 0);
  });

  test('savepoints in sql.begin', async () => {
    if (isDsql) {
      await assertSqlState(
        sql.begin(async (tx) => {
          await tx.savepoint(async (sp) => sp`SELECT 1`);
        }),
        '0A000',
        /unsupported transaction statement/,
      );
      return;
    }
    await sql.begin(async (tx) => {
      await tx`INSERT INTO ${sql(table)} (id, big) VALUES (20, 20)`;
      await tx.savepoint(async (sp) => {
        await sp`INSERT INTO ${sql(table)} (id, big) VALUES (21, 21)`;
      });
      await tx.savepoint(async (sp) => {
        await sp`INSERT INTO ${sql(table)} (id, big) VALUES (22, 22)`;
        await sp`INSERT INTO ${sql(table)} (id, big) VALUES (1, 1)`;
      }).catch((err) => assert.equal(err.code, '23505'));
    });
    const rows = await sql`SELECT id FROM ${sql(table)} WHERE id BETWEEN 20 AND 22 ORDER BY id`;
    assert.deepEqual([...rows], [{ id: 20 }, { id: 21 }]);
  });

  test('introspection', async () => {
    const columns = await sql`SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = ${table} ORDER BY ordinal_position LIMIT 3`;
    assert.deepEqual([...columns], [
      { column_name: 'id', data_type: 'integer' },
      { column_name: 'big', data_type: 'bigint' },
      { column_name: 'amount', data_type: 'numeric' },
    ]);
    const tables = await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ${table}`;
    assert.equal(tables.length, 1);
  });
};
