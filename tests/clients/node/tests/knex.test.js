// knex (pg dialect) against occam: the schema builder, hasTable / hasColumn, migrations, typed CRUD,
// transactions, errors. In dsql mode DSQL's refusals decide: plain CREATE INDEX, SERIAL (knex's
// `increments()` and its migration table), DDL mixed with DML in one transaction.
'use strict';
const path = require('node:path');
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const createKnex = require('knex');
const { isDsql, url, assertSqlState, sample, localDay } = require('./helpers');

let knex;

before(() => {
  knex = createKnex({ client: 'pg', connection: url, pool: { min: 0, max: 3 } });
});

after(async () => {
  await knex.destroy();
});

test('schema builder: createTable, hasTable, hasColumn', async () => {
  await knex.schema.createTable('knex_items', (t) => {
    t.integer('id').primary();
    t.bigInteger('big').notNullable();
    t.decimal('amount', 12, 2);
    t.text('name');
    t.boolean('flag');
    t.timestamp('at', { useTz: true });
    t.date('day');
    t.uuid('uid');
    t.jsonb('doc');
    t.binary('data');
    if (!isDsql) t.specificType('tags', 'text[]');
  });
  assert.equal(await knex.schema.hasTable('knex_items'), true);
  assert.equal(await knex.schema.hasTable('knex_nothing'), false);
  assert.equal(await knex.schema.hasColumn('knex_items', 'amount'), true);
  assert.equal(await knex.schema.hasColumn('knex_items', 'nope'), false);
  const info = await knex('knex_items').columnInfo();
  assert.deepEqual(info.amount, { type: 'numeric', maxLength: null, nullable: true, defaultValue: null });
  assert.equal(info.big.type, 'bigint');
  assert.equal(info.big.nullable, false);
});

test('increments() (SERIAL)', async () => {
  const create = knex.schema.createTable('knex_serial', (t) => {
    t.increments('id');
    t.string('label');
  });
  if (isDsql) {
    await assertSqlState(create, '42704', /type "serial" does not exist/);
    return;
  }
  await create;
  const ids = await knex('knex_serial').insert([{ label: 'a' }, { label: 'b' }]).returning('id');
  assert.deepEqual(ids, [{ id: 1 }, { id: 2 }]);
});

test('indexes: plain CREATE INDEX, and DSQL refuses it', async () => {
  const addIndex = knex.schema.alterTable('knex_items', (t) => t.index(['name'], 'knex_items_name_idx'));
  if (isDsql) {
    await assertSqlState(addIndex, '0A000', /unsupported mode\. please use CREATE INDEX ASYNC/);
    // What a DSQL user runs instead.
    await knex.raw('CREATE INDEX ASYNC knex_items_name_idx ON knex_items (name)');
  } else {
    await addIndex;
  }
  const { rows } = await knex.raw(`SELECT indexname FROM pg_indexes WHERE tablename = 'knex_items' ORDER BY indexname`);
  assert.deepEqual(rows.map((r) => r.indexname), ['knex_items_name_idx', 'knex_items_pkey']);
});

test('typed CRUD', async () => {
  const s = sample;
  const row = {
    id: s.id, big: s.big, amount: s.amount, name: s.name, flag: s.flag, at: s.at, day: s.day, uid: s.uid,
    doc: JSON.stringify(s.doc), data: s.data,
  };
  if (!isDsql) row.tags = s.tags;
  const returned = await knex('knex_items').insert(row).returning(['id', 'big']);
  assert.deepEqual(returned, [{ id: 1, big: s.big }]);
  const got = await knex('knex_items').where({ id: 1 }).first();
  assert.equal(got.amount, s.amount);
  assert.equal(got.name, s.name);
  assert.equal(got.at.toISOString(), s.at.toISOString());
  assert.equal(localDay(got.day), s.day);
  assert.equal(got.uid, s.uid);
  assert.deepEqual(got.doc, s.doc);
  assert.deepEqual(got.data, s.data);
  if (!isDsql) assert.deepEqual(got.tags, s.tags);

  await knex('knex_items').insert([{ id: 2, big: 2, name: 'b' }, { id: 3, big: 3, name: 'c' }]);
  assert.equal(await knex('knex_items').where('id', '>', 1).update({ flag: false }), 2);
  const rows = await knex('knex_items').select('id', 'flag').whereIn('id', [2, 3]).orderBy('id');
  assert.deepEqual(rows, [{ id: 2, flag: false }, { id: 3, flag: false }]);
  assert.equal(await knex('knex_items').where({ id: 3 }).del(), 1);
  const [{ count }] = await knex('knex_items').count('* as count');
  assert.equal(Number(count), 2);
  const jsonRows = await knex('knex_items').whereRaw(`doc->>'c' IS NOT NULL`).select('id');
  assert.deepEqual(jsonRows, [{ id: 1 }]);
});

test('transactions: commit and rollback', async () => {
  await knex.transaction(async (trx) => {
    await trx('knex_items').insert({ id: 10, big: 10 });
  });
  await assert.rejects(
    knex.transaction(async (trx) => {
      await trx('knex_items').insert({ id: 11, big: 11 });
      throw new Error('undo');
    }),
    /undo/,
  );
  const trx = await knex.transaction();
  await trx('knex_items').insert({ id: 12, big: 12 });
  await trx.rollback();
  const rows = await knex('knex_items').whereIn('id', [10, 11, 12]).select('id');
  assert.deepEqual(rows, [{ id: 10 }]);
});

test('DDL inside a transaction, and truncate', async () => {
  const ddlThenDml = knex.transaction(async (trx) => {
    await trx.schema.createTable('knex_in_tx', (t) => t.integer('id').primary());
    await trx('knex_in_tx').insert({ id: 1 });
  });
  if (isDsql) {
    // DSQL: one DDL statement per transaction, never with DML; and no TRUNCATE.
    await assertSqlState(ddlThenDml, '0A000', /ddl and dml are not supported in the same transaction/);
    assert.equal(await knex.schema.hasTable('knex_in_tx'), false);
    await assertSqlState(knex('knex_items').truncate(), '0A000', /unsupported statement: Truncate/);
    return;
  }
  await ddlThenDml;
  assert.deepEqual(await knex('knex_in_tx').select('id'), [{ id: 1 }]);
  await knex('knex_in_tx').truncate();
  assert.deepEqual(await knex('knex_in_tx').select('id'), []);
});

test('unique violation is 23505 and the pool stays usable', async () => {
  const err = await assertSqlState(knex('knex_items').insert({ id: 1, big: 1 }), '23505');
  assert.equal(err.constraint, 'knex_items_pkey');
  await assertSqlState(
    knex.transaction(async (trx) => {
      await trx('knex_items').insert({ id: 13, big: 13 });
      await trx('knex_items').insert({ id: 1, big: 1 });
    }),
    '23505',
  );
  assert.equal(await knex('knex_items').where({ id: 13 }).first(), undefined);
  const [{ one }] = (await knex.raw('SELECT 1 AS one')).rows;
  assert.equal(one, 1);
});

test('migrate:latest and rollback with a migrations directory', async () => {
  const config = { directory: path.join(__dirname, '..', 'knex-migrations') };
  if (isDsql) {
    // knex's bookkeeping table has an `increments()` key: DSQL has no SERIAL.
    await assertSqlState(knex.migrate.latest(config), '42704', /type "serial" does not exist/);
    return;
  }
  const [batch, applied] = await knex.migrate.latest(config);
  assert.equal(batch, 1);
  assert.deepEqual(applied.map((f) => path.basename(f)), ['20260101000000_create_authors.js', '20260102000000_add_bio.js']);
  assert.equal(await knex.schema.hasColumn('knex_authors', 'bio'), true);
  await knex('knex_authors').insert({ id: 1, name: 'Ada', bio: 'first' });
  const author = await knex('knex_authors').first();
  assert.ok(author.created_at instanceof Date);
  const [, again] = await knex.migrate.latest(config);
  assert.deepEqual(again, []);
  assert.equal(await knex.migrate.currentVersion(config), '20260102000000');
  await knex.migrate.rollback(config);
  assert.equal(await knex.schema.hasTable('knex_authors'), false);
  const done = await knex('knex_migrations').count('* as n');
  assert.equal(Number(done[0].n), 0);
});
