// drizzle schema (test fixture) for drizzle-kit generate + drizzle-orm's migrator.
'use strict';
const { pgTable, integer, text, timestamp } = require('drizzle-orm/pg-core');

const drzMigrated = pgTable('drz_migrated', {
  id: integer('id').primaryKey(),
  label: text('label').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).defaultNow(),
});

module.exports = { drzMigrated };
