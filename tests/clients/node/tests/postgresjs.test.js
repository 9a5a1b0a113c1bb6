// postgres.js 4 (the `postgres` package, an ES module) against occam: see postgresjs-scenarios.js.
'use strict';
const { default: postgres } = require('postgres');
require('./postgresjs-scenarios')({ postgres, table: 'pgjs_items', array: (values) => values });
