// drizzle-orm (node-postgres driver) and drizzle-kit against occam: `push` a JS schema (drizzle-kit
// introspects pg_catalog to diff it, so a second push must find nothing to do), typed CRUD and transactions
// through the query builder, `pull` (introspect) back to a schema file, `generate` + drizzle-orm's migrator.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const pg = require('pg');
const { drizzle } = require('drizzle-orm/node-postgres');
const { migrate } = require('drizzle-orm/node-postgres/migrator');
const { eq, gt, sql: dsql } = require('drizzle-orm');
const { isDsql, url, assertSqlState, rejection, sample, localDay } = require('./helpers');
const { drzUsers, drzPosts } = require('../drizzle/schema');

const root = path.join(__dirname, '..');
const drizzleKit = path.join(root, 'node_modules', 'drizzle-kit', 'bin.cjs');
let workDir;
let pool;
let db;

// Writes a drizzle.config.js for `schema` with output under the test's scratch directory.
function writeConfig(name, schema, out) {
  const file = path.join(workDir, `${name}.config.js`);
  const config = { dialect: 'postgresql', schema, out, dbCredentials: { url }, tablesFilter: ['drz_*'] };
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

// Runs the drizzle-kit CLI; resolves to its output, rejects with the output when it fails.
async function drizzleKitRun(...args) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [drizzleKit, ...args], {
      cwd: workDir, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, timeout: 60_000,
    });
    return stdout + stderr;
  } catch (err) {
    throw new Error(`drizzle-kit ${args.join(' ')} failed:\n${err.stdout}\n${err.stderr}`);
  }
}

before(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'occam-drizzle-'));
  pool = new pg.Pool({ connectionString: url, max: 3 });
  db = drizzle(pool);
});

after(async () => {
  await pool.end();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('drizzle-kit push creates the schema', async () => {
  const config = writeConfig('push', path.join(root, 'drizzle', 'schema.js'), path.join(workDir, 'push-out'));
  if (isDsql) {
    // drizzle-kit adds the foreign key with ALTER TABLE ... ADD CONSTRAINT after creating the tables; DSQL
    // only takes one NOT VALID (validated later by ALTER TABLE ASYNC): the tables exist, the key does not.
    // (drizzle-kit push exits 0 after printing that error.)
    const output = await drizzleKitRun('push', '--config', config, '--force').catch((err) => err.message);
    assert.match(output, /unsupported ALTER TABLE ADD CONSTRAINT statement/);
  } else {
    const first = await drizzleKitRun('push', '--config', config, '--force');
    assert.match(first, /Changes applied/);
  }
  const { rows } = await pool.query(
    `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'drz\\_%' ORDER BY 1`,
  );
  assert.deepEqual(rows.map((r) => r.table_name), ['drz_posts', 'drz_users']);
});

test('a second drizzle-kit push finds no changes (it introspects pg_catalog to diff)', async () => {
  const config = writeConfig('push', path.join(root, 'drizzle', 'schema.js'), path.join(workDir, 'push-out'));
  if (isDsql) {
    // Everything but the foreign key is there: that is all it tries again, and DSQL refuses it again.
    const output = await drizzleKitRun('push', '--config', config, '--force', '--verbose').catch((err) => err.message);
    assert.match(output, /unsupported ALTER TABLE ADD CONSTRAINT statement/);
    assert.doesNotMatch(output, /CREATE TABLE/);
    return;
  }
  const second = await drizzleKitRun('push', '--config', config, '--force', '--verbose');
  assert.match(second, /No changes detected/, second);
});

test('typed CRUD through the query builder', async () => {
  const s = sample;
  const row = {
    id: 1, email: 'ada@example.com', big: BigInt(s.big), amount: s.amount, name: s.name, active: true,
    at: s.at, day: s.day, uid: s.uid, doc: s.doc, data: s.data,
  };
  if (!isDsql) row.tags = s.tags;
  const inserted = await db.insert(drzUsers).values(row).returning({ id: drzUsers.id, big: drzUsers.big });
  assert.deepEqual(inserted, [{ id: 1, big: BigInt(s.big) }]);
  const [got] = await db.select().from(drzUsers).where(eq(drzUsers.id, 1));
  assert.equal(got.email, row.email);
  assert.equal(got.big, BigInt(s.big));
  assert.equal(got.amount, s.amount);
  assert.equal(got.active, true);
  assert.equal(got.at.toISOString(), s.at.toISOString());
  assert.equal(localDay(got.day), s.day);
  assert.equal(got.uid, s.uid);
  assert.deepEqual(got.doc, s.doc);
  assert.deepEqual(got.data, s.data);
  if (!isDsql) assert.deepEqual(got.tags, s.tags);

  await db.insert(drzUsers).values([{ id: 2, email: 'b@example.com' }, { id: 3, email: 'c@example.com' }]);
  await db.insert(drzPosts).values([{ id: 1, userId: 1, title: 'hello' }, { id: 2, userId: 2, title: 'again' }]);
  const joined = await db
    .select({ title: drzPosts.title, email: drzUsers.email })
    .from(drzPosts)
    .innerJoin(drzUsers, eq(drzPosts.userId, drzUsers.id))
    .orderBy(drzPosts.id);
  assert.deepEqual(joined, [{ title: 'hello', email: 'ada@example.com' }, { title: 'again', email: 'b@example.com' }]);
  const updated = await db.update(drzUsers).set({ active: false }).where(gt(drzUsers.id, 1)).returning({ id: drzUsers.id });
  assert.deepEqual(updated.map((r) => r.id).sort(), [2, 3]);
  await db.delete(drzUsers).where(eq(drzUsers.id, 3));
  const [{ n }] = await db.select({ n: dsql`count(*)::int` }).from(drzUsers);
  assert.equal(n, 2);
});

test('transactions: commit, and rollback through tx.rollback()', async () => {
  await db.transaction(async (tx) => {
    await tx.insert(drzUsers).values({ id: 10, email: 'ten@example.com' });
  });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.insert(drzUsers).values({ id: 11, email: 'eleven@example.com' });
      tx.rollback();
    }),
    /Rollback/,
  );
  const rows = await db.select({ id: drzUsers.id }).from(drzUsers).where(gt(drzUsers.id, 9));
  assert.deepEqual(rows, [{ id: 10 }]);
});

test('unique and foreign-key violations, and the pool stays usable', async () => {
  const unique = await rejection(db.insert(drzUsers).values({ id: 99, email: 'ada@example.com' }));
  // drizzle-orm 0.45 wraps the driver's error: the server's is its cause.
  const cause = unique.cause ?? unique;
  assert.equal(cause.code, '23505');
  assert.equal(cause.constraint, 'drz_users_email_unique');
  if (!isDsql) {
    // (In dsql mode push could not add the key: see the first test.)
    const fk = await rejection(db.insert(drzPosts).values({ id: 50, userId: 12345, title: 'orphan' }));
    assert.equal((fk.cause ?? fk).code, '23503');
  }
  const [{ one }] = await db.execute(dsql`SELECT 1 AS one`).then((r) => r.rows);
  assert.equal(one, 1);
});

test('drizzle-kit pull gives back the declared schema', async () => {
  const out = path.join(workDir, 'pull-out');
  const config = writeConfig('pull', path.join(root, 'drizzle', 'schema.js'), out);
  await drizzleKitRun('pull', '--config', config);
  const pulled = fs.readFileSync(path.join(out, 'schema.ts'), 'utf8');
  const expected = [
    'export const drzUsers = pgTable("drz_users", {',
    'id: integer().primaryKey().notNull(),',
    'email: varchar({ length: 200 }).notNull(),',
    'big: bigint({ mode: "number" }),',
    'amount: numeric({ precision: 12, scale:  2 }),',
    'name: text(),',
    'active: boolean().default(true).notNull(),',
    'at: timestamp({ withTimezone: true, mode: \'string\' }),',
    'day: date(),',
    'uid: uuid(),',
    'doc: jsonb(),',
    'unique("drz_users_email_unique").on(table.email),',
    'export const drzPosts = pgTable("drz_posts", {',
    'userId: integer("user_id").notNull(),',
    'title: text().notNull(),',
  ];
  if (!isDsql) {
    expected.push('tags: text().array(),', 'foreignColumns: [drzUsers.id],', 'name: "drz_posts_user_id_drz_users_id_fk"');
    expected.push('index("drz_posts_title_idx").using("btree", table.title.asc().nullsLast().op("text_ops")),');
  }
  for (const line of expected) assert.ok(pulled.includes(line), `pulled schema lacks ${line}:\n${pulled}`);
  if (!isDsql) {
    const relations = fs.readFileSync(path.join(out, 'relations.ts'), 'utf8');
    assert.match(relations, /drzPosts: many\(drzPosts\)/);
  }
});

test('drizzle-kit generate + drizzle-orm migrate', async () => {
  const out = path.join(workDir, 'migrations');
  const config = writeConfig('generate', path.join(root, 'drizzle', 'migrate-schema.js'), out);
  await drizzleKitRun('generate', '--config', config, '--name', 'init');
  const [migration] = fs.readdirSync(out).filter((f) => f.endsWith('.sql'));
  assert.match(migration, /^0000_init\.sql$/);
  assert.match(fs.readFileSync(path.join(out, migration), 'utf8'), /CREATE TABLE "drz_migrated"/);
  if (isDsql) {
    // The migrator's bookkeeping table has a SERIAL key: DSQL has no SERIAL.
    await assertSqlState(migrate(db, { migrationsFolder: out }).catch((e) => { throw e.cause ?? e; }), '42704', /serial/);
    return;
  }
  await migrate(db, { migrationsFolder: out });
  await migrate(db, { migrationsFolder: out }); // applied already: nothing to do
  const applied = await pool.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
  assert.equal(applied.rows[0].n, 1);
  await pool.query(`INSERT INTO drz_migrated (id, label) VALUES (1, 'x')`);
  const { rows } = await pool.query('SELECT label, created_at IS NOT NULL AS stamped FROM drz_migrated');
  assert.deepEqual(rows, [{ label: 'x', stamped: true }]);
});
