// knex migration (test fixture): a second step that alters the first one's table.
exports.up = (knex) => knex.schema.alterTable('knex_authors', (t) => t.text('bio'));

exports.down = (knex) => knex.schema.alterTable('knex_authors', (t) => t.dropColumn('bio'));
