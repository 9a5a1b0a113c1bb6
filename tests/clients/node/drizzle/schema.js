// drizzle schema (test fixture) in plain JS: what drizzle-kit push creates, drizzle-orm queries, and
// drizzle-kit pull must give back. Array columns only in postgres mode (DSQL refuses them).
'use strict';
const {
  pgTable, integer, bigint, numeric, text, varchar, boolean, timestamp, date, uuid, jsonb, customType, index,
} = require('drizzle-orm/pg-core');

const isDsql = process.env.OCCAM_MODE === 'dsql';

const bytea = customType({ dataType: () => 'bytea' });

const drzUsers = pgTable('drz_users', {
  id: integer('id').primaryKey(),
  email: varchar('email', { length: 200 }).notNull().unique(),
  big: bigint('big', { mode: 'bigint' }),
  amount: numeric('amount', { precision: 12, scale: 2 }),
  name: text('name'),
  active: boolean('active').notNull().default(true),
  at: timestamp('at', { withTimezone: true }),
  day: date('day'),
  uid: uuid('uid'),
  doc: jsonb('doc'),
  data: bytea('data'),
  ...(isDsql ? {} : { tags: text('tags').array() }),
});

// A plain index (postgres mode: DSQL builds indexes only with CREATE INDEX ASYNC): drizzle-kit reads its
// operator class from pg_opclass, so a second push finds it unchanged.
const drzPosts = pgTable('drz_posts', {
  id: integer('id').primaryKey(),
  userId: integer('user_id').notNull().references(() => drzUsers.id),
  title: text('title').notNull(),
}, (t) => (isDsql ? [] : [index('drz_posts_title_idx').on(t.title)]));

module.exports = { drzUsers, drzPosts };
