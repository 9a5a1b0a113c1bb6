// Shared by the Node client tests: which mode the occam under test runs in, its URL, and small helpers
// for asserting PostgreSQL / DSQL errors by SQLSTATE.
'use strict';
const assert = require('node:assert/strict');

const mode = process.env.OCCAM_MODE || 'postgres';
const isDsql = mode === 'dsql';
const url = process.env.OCCAM_URL;
if (!url) throw new Error('OCCAM_URL is not set: run tests/clients/node/run.sh');

// Resolves to the error a promise rejects with; fails the test when it resolves instead.
async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the statement to fail');
}

// Asserts that `promise` fails with SQLSTATE `code` (and, when given, a message matching `message`).
async function assertSqlState(promise, code, message) {
  const err = await rejection(promise);
  assert.equal(err.code, code, `expected SQLSTATE ${code}, got ${err.code}: ${err.message}`);
  if (message) assert.match(err.message, message);
  return err;
}

// The typed row every client writes and reads back (arrays only as a column in postgres mode: DSQL
// refuses array column types).
const sample = {
  id: 1,
  big: '9007199254740993', // above 2^53: must survive as a string
  amount: '12345.67',
  name: 'héllo wörld',
  flag: true,
  at: new Date('2026-03-04T05:06:07.123Z'),
  day: '2026-03-04',
  uid: '7f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  doc: { a: 1, b: [true, null, 'x'], c: { d: 'e' } },
  data: Buffer.from([0, 1, 2, 254, 255]),
  tags: ['red', 'green', 'with space', 'quote"d'],
};

// Formats a JS Date as the local calendar date (drivers parse `date` values at local midnight).
function localDay(value) {
  if (typeof value === 'string') return value;
  const pad = (n) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

module.exports = { mode, isDsql, url, rejection, assertSqlState, sample, localDay };
