// postgres.js 3 (the `postgres3` alias of postgres@3, still the most used line) against occam: see
// postgresjs-scenarios.js.
'use strict';
const postgres = require('postgres3');
require('./postgresjs-scenarios')({ postgres, table: 'pgjs3_items', array: null });
