// knex migration (test fixture): a table created through the schema builder.
exports.up = (knex) =>
  knex.schema.createTable('knex_authors', (t) => {
    t.integer('id').primary();
    t.string('name', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).defaultTo(knex.fn.now());
  });

exports.down = (knex) => knex.schema.dropTable('knex_authors');
