// node-postgres (pg) client suite for omnigraph-server.
//
// Run with PGHOST/PGPORT (and optionally PGDATABASE=demo, PGUSER=tester) pointing at a
// server started with --demo:   node tests/node/client.test.js
// Uses only node's built-in test runner; every test opens its own client(s). Rows written
// here use names starting with "node." so they never collide with the demo data or other
// suites sharing the server.
//
// Tests declared with privateTest() cancel queries; a cancelled query keeps running on the
// server (a known gap) and would slow down every later test, so they need a server of
// their own. NODE_TEST_SELECT picks what runs: unset, every test; `shared`, all but those
// (each is announced as `# needs a private server: <name>`); a test's name, only that
// test. tests/test_node.py runs `shared` once, then each private test against a fresh
// server, and passes OMNIGRAPH_SERVER_PID so that tests can measure the server's CPU use.

'use strict';

const fs = require('node:fs');
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, Pool } = require('pg');

process.env.PGDATABASE = process.env.PGDATABASE || 'demo';
process.env.PGUSER = process.env.PGUSER || 'tester';
if (!process.env.PGHOST || !process.env.PGPORT) {
  throw new Error('set PGHOST and PGPORT to a running omnigraph-server --demo');
}

const SELECT = process.env.NODE_TEST_SELECT;

function sharedTest(name, fn) {
  if (!SELECT || SELECT === 'shared' || SELECT === name) {
    test(name, fn);
  }
}

function privateTest(name, fn) {
  if (SELECT === 'shared') {
    console.log(`# needs a private server: ${name}`);
  } else if (!SELECT || SELECT === name) {
    test(name, fn);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// CPU seconds (user + system) the server process has used so far, from /proc (Linux).
function serverCpuSeconds() {
  const pid = process.env.OMNIGRAPH_SERVER_PID;
  assert.ok(pid, 'set OMNIGRAPH_SERVER_PID to the server process id: this test measures its CPU use');
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 of proc(5) (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / Number(process.env.OMNIGRAPH_CLK_TCK || 100);
}

// How many cores the server keeps busy over the next `ms` milliseconds.
async function serverCpuLoad(ms) {
  const before = serverCpuSeconds();
  await sleep(ms);
  return (serverCpuSeconds() - before) / (ms / 1000);
}

const RUN = Date.now().toString(36);
const uname = (tag, i) => `node.${RUN}.${tag}.${i}`;
// Runs for minutes (1.6e9 joined rows) and, unlike count(*), cannot be answered from statistics.
const SLOW_SQL = 'SELECT max(a.name || b.name || c.name || d.name) AS m FROM person a CROSS JOIN person b CROSS JOIN person c CROSS JOIN person d';

async function connect(options = {}) {
  const client = new Client({ connectionTimeoutMillis: 10000, ...options });
  await client.connect();
  return client;
}

async function withClient(fn, options) {
  const client = await connect(options);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function expectCode(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected SQLSTATE ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

sharedTest('simple text query with typed fields', () =>
  withClient(async (c) => {
    const r = await c.query("SELECT name, age, city FROM person WHERE name = 'alice.smith'");
    assert.equal(r.rowCount, 1);
    assert.equal(r.command, 'SELECT');
    assert.equal(r.rows[0].name, 'alice.smith');
    assert.equal(typeof r.rows[0].age, 'number');
    assert.equal(typeof r.rows[0].city, 'string');
    assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [
      ['name', 25],
      ['age', 23],
      ['city', 25],
    ]);
    const n = await c.query('SELECT count(*) AS n FROM person');
    assert.equal(n.fields[0].dataTypeID, 20, 'count(*) is int8');
    assert.ok(Number(n.rows[0].n) >= 200, `person count ${n.rows[0].n}`);
  }));

sharedTest('integer literals and int arithmetic are int4, as in PostgreSQL', () =>
  withClient(async (c) => {
    // PostgreSQL types 1 as int4 (pg parses it into a JS number); int8 comes back as a string.
    const r = await c.query('SELECT 1 AS a, $1::int + 1 AS b, 2147483648 AS big', [41]);
    assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [
      ['a', 23],
      ['b', 23],
      ['big', 20],
    ]);
    assert.equal(r.rows[0].a, 1);
    assert.equal(r.rows[0].b, 42);
  }));

sharedTest('multiple statements in one simple query', () =>
  withClient(async (c) => {
    const results = await c.query('SELECT 1 AS a; SELECT 2 AS b');
    assert.ok(Array.isArray(results), 'an array of results');
    assert.equal(results.length, 2);
    assert.equal(Number(results[0].rows[0].a), 1);
    assert.equal(Number(results[1].rows[0].b), 2);
  }));

sharedTest('parameterized queries: int, text, date, null', () =>
  withClient(async (c) => {
    const byName = await c.query('SELECT name, age FROM person WHERE name = $1', ['alice.smith']);
    assert.equal(byName.rowCount, 1);
    assert.equal(byName.rows[0].name, 'alice.smith');

    const plain = await c.query('SELECT count(*) AS n FROM person WHERE age > 40');
    const param = await c.query('SELECT count(*) AS n FROM person WHERE age > $1', [40]);
    assert.equal(param.rows[0].n, plain.rows[0].n, 'int parameter');

    const dates = await c.query(
      'SELECT since FROM knows WHERE since >= $1 ORDER BY since LIMIT 5',
      ['2010-01-01'],
    );
    assert.ok(dates.rowCount > 0, 'knows rows since 2010');
    for (const row of dates.rows) {
      assert.ok(row.since instanceof Date, `date column is a JS Date, got ${typeof row.since}`);
      assert.ok(row.since.getFullYear() >= 2010, `since ${row.since}`);
    }
    assert.equal(dates.fields[0].dataTypeID, 1082, 'date oid');

    // A JS Date parameter is sent as a timestamptz string with an unspecified type.
    const withDate = await c.query('SELECT count(*) AS n FROM knows WHERE since >= $1', [new Date(Date.UTC(2010, 0, 1))]);
    const withText = await c.query("SELECT count(*) AS n FROM knows WHERE since >= DATE '2010-01-01'");
    assert.equal(withDate.rows[0].n, withText.rows[0].n, 'JS Date parameter');

    const nul = await c.query('SELECT $1::int AS a, $2::text AS b', [null, null]);
    assert.equal(nul.rows[0].a, null);
    assert.equal(nul.rows[0].b, null);

    const typed = await c.query('SELECT $1::int + 1 AS a, $2::text AS b, $3::date AS d', [41, 'x', '2020-02-29']);
    assert.equal(Number(typed.rows[0].a), 42);
    assert.equal(typed.rows[0].b, 'x');
    assert.ok(typed.rows[0].d instanceof Date);
    assert.equal(typed.rows[0].d.getDate(), 29);
  }));

sharedTest('untyped LIMIT/OFFSET and array parameters, as node-postgres sends them', () =>
  withClient(async (c) => {
    // node-postgres sends every parameter as text of unspecified type.
    const page = await c.query('SELECT name FROM person ORDER BY name LIMIT $1 OFFSET $2', [3, 5]);
    const expected = await c.query('SELECT name FROM person ORDER BY name LIMIT 3 OFFSET 5');
    assert.deepEqual(page.rows, expected.rows);
    await assert.rejects(
      c.query('SELECT name FROM person LIMIT $1', [-1]),
      (e) => e.code === '2201W',
    );

    // A JS array is sent as PostgreSQL's array text ({"a","b"}), also of unspecified type.
    const inList = await c.query('SELECT count(*)::int AS n FROM person WHERE city = ANY($1)', [['Oslo', 'Rome']]);
    const inSql = await c.query("SELECT count(*)::int AS n FROM person WHERE city IN ('Oslo', 'Rome')");
    assert.equal(inList.rows[0].n, inSql.rows[0].n);
    assert.ok(inList.rows[0].n > 0);
    const ages = await c.query('SELECT count(*)::int AS n FROM person WHERE age = ANY($1)', [[40, 41, 42]]);
    const agesSql = await c.query('SELECT count(*)::int AS n FROM person WHERE age IN (40, 41, 42)');
    assert.equal(ages.rows[0].n, agesSql.rows[0].n);
    const none = await c.query('SELECT count(*)::int AS n FROM person WHERE city = ANY($1)', [[]]);
    assert.equal(none.rows[0].n, 0);
    const quoted = await c.query('SELECT $1::text[] AS a', [['a,b', 'say "hi"', null, '']]);
    assert.deepEqual(quoted.rows[0].a, ['a,b', 'say "hi"', null, '']);
  }));

sharedTest('parameterized insert with nulls and read back', () =>
  withClient(async (c) => {
    const a = uname('param', 1);
    const b = uname('param', 2);
    let r = await c.query('INSERT INTO person (name, age, city) VALUES ($1, $2, $3)', [a, 33, null]);
    assert.equal(r.command, 'INSERT');
    assert.equal(r.rowCount, 1);
    r = await c.query('INSERT INTO person (name, age, city) VALUES ($1, $2, $3)', [b, null, 'Lima']);
    assert.equal(r.rowCount, 1);
    r = await c.query('INSERT INTO knows (src, dst, since) VALUES ($1, $2, $3)', [a, b, '2022-05-06']);
    assert.equal(r.rowCount, 1);
    r = await c.query('SELECT p.age, p.city, k.since FROM person p JOIN knows k ON k.src = p.id WHERE p.name = $1', [a]);
    assert.equal(r.rowCount, 1);
    assert.equal(r.rows[0].age, 33);
    assert.equal(r.rows[0].city, null);
    assert.ok(r.rows[0].since instanceof Date);
    assert.equal(r.rows[0].since.getMonth(), 4);
    r = await c.query('UPDATE person SET city = $1 WHERE name IN ($2, $3)', ['Quito', a, b]);
    assert.equal(r.command, 'UPDATE');
    assert.equal(r.rowCount, 2);
    r = await c.query('DELETE FROM knows WHERE src = $1', [a]);
    assert.equal(r.command, 'DELETE');
    assert.equal(r.rowCount, 1);
  }));

sharedTest('named prepared statements reused', () =>
  withClient(async (c) => {
    const people = (await c.query('SELECT name, age FROM person WHERE age IS NOT NULL ORDER BY name LIMIT 8')).rows;
    assert.equal(people.length, 8);
    for (const p of people) {
      const r = await c.query({ name: 'q1', text: 'SELECT name, age FROM person WHERE name = $1', values: [p.name] });
      assert.equal(r.rowCount, 1);
      assert.deepEqual(r.rows[0], { name: p.name, age: p.age });
    }
    // A second named statement interleaved with the first.
    for (let i = 0; i < 6; i++) {
      const bound = 20 + 7 * i;
      const r2 = await c.query({ name: 'q2', text: 'SELECT count(*) AS n FROM person WHERE age > $1', values: [bound] });
      const plain = await c.query(`SELECT count(*) AS n FROM person WHERE age > ${bound}`);
      assert.equal(r2.rows[0].n, plain.rows[0].n, `q2 with ${bound}`);
      const r1 = await c.query({ name: 'q1', text: 'SELECT name, age FROM person WHERE name = $1', values: [people[i].name] });
      assert.equal(r1.rows[0].name, people[i].name);
    }
    // A named insert, reused.
    for (let i = 0; i < 6; i++) {
      const r = await c.query({
        name: 'ins',
        text: 'INSERT INTO company (name, industry) VALUES ($1, $2)',
        values: [uname('named', i), i % 2 ? null : 'media'],
      });
      assert.equal(r.command, 'INSERT');
      assert.equal(r.rowCount, 1, `named insert ${i}`);
    }
    const n = await c.query("SELECT count(*) AS n FROM company WHERE name LIKE $1", [`node.${RUN}.named.%`]);
    assert.equal(n.rows[0].n, '6');
  }));

sharedTest('named prepared statement with rowMode array', () =>
  withClient(async (c) => {
    const r = await c.query({
      name: 'arr',
      text: 'SELECT name, age, city FROM person WHERE name = $1',
      values: ['alice.smith'],
      rowMode: 'array',
    });
    assert.equal(r.rows.length, 1);
    assert.ok(Array.isArray(r.rows[0]));
    assert.equal(r.rows[0].length, 3);
    assert.equal(r.rows[0][0], 'alice.smith');
    const plain = await c.query({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' });
    assert.deepEqual(plain.rows.map((row) => row.map(Number)), [[1, 2]]);
  }));

sharedTest('transactions: BEGIN/ROLLBACK and BEGIN/COMMIT', async () => {
  const c = await connect();
  const other = await connect();
  try {
    const rolled = uname('tx', 1);
    const committed = uname('tx', 2);
    await c.query('BEGIN');
    await c.query('INSERT INTO person (name, age) VALUES ($1, $2)', [rolled, 1]);
    let r = await c.query('SELECT count(*) AS n FROM person WHERE name = $1', [rolled]);
    assert.equal(r.rows[0].n, '1', 'read-your-writes');
    r = await other.query('SELECT count(*) AS n FROM person WHERE name = $1', [rolled]);
    assert.equal(r.rows[0].n, '0', 'isolation');
    await c.query('ROLLBACK');
    r = await c.query('SELECT count(*) AS n FROM person WHERE name = $1', [rolled]);
    assert.equal(r.rows[0].n, '0', 'after rollback');

    await c.query('BEGIN');
    await c.query('INSERT INTO person (name, age) VALUES ($1, $2)', [committed, 2]);
    await c.query('COMMIT');
    r = await other.query('SELECT count(*) AS n FROM person WHERE name = $1', [committed]);
    assert.equal(r.rows[0].n, '1', 'after commit');
  } finally {
    await c.end();
    await other.end();
  }
});

sharedTest('SQLSTATE codes: 42P01, 42703, 23505', () =>
  withClient(async (c) => {
    await expectCode(c.query('SELECT * FROM node_no_such_table'), '42P01');
    await expectCode(c.query('SELECT * FROM node_no_such_table WHERE x = $1', [1]), '42P01');
    await expectCode(c.query('SELECT no_such_column FROM person'), '42703');
    await expectCode(c.query("INSERT INTO person (name) VALUES ('alice.smith')"), '23505');
    await expectCode(c.query('INSERT INTO person (name, age) VALUES ($1, $2)', ['alice.smith', 3]), '23505');
    const r = await c.query('SELECT 1 AS ok');
    assert.equal(Number(r.rows[0].ok), 1, 'client still usable');
  }));

sharedTest('25P02 after an error in a transaction (simple protocol)', () =>
  withClient(async (c) => {
    await c.query('BEGIN');
    await expectCode(c.query('SELECT * FROM node_no_such_table'), '42P01');
    await expectCode(c.query('SELECT 1'), '25P02');
    await c.query('ROLLBACK');
    const r = await c.query('SELECT 1 AS ok');
    assert.equal(Number(r.rows[0].ok), 1);
  }));

sharedTest('25P02 after an error in a transaction (extended protocol)', () =>
  withClient(async (c) => {
    await c.query('BEGIN');
    await expectCode(c.query('SELECT * FROM node_no_such_table WHERE x = $1', [1]), '42P01');
    await expectCode(c.query('SELECT $1::int AS v', [1]), '25P02');
    await c.query('ROLLBACK');
    const r = await c.query('SELECT $1::int AS v', [5]);
    assert.equal(r.rows[0].v, 5);
  }));

sharedTest('failed transaction does not publish its writes', () =>
  withClient(async (c) => {
    const name = uname('failtx', 1);
    await c.query('BEGIN');
    await c.query('INSERT INTO person (name) VALUES ($1)', [name]);
    await expectCode(c.query("INSERT INTO person (name) VALUES ('alice.smith')"), '23505');
    // COMMIT of a failed transaction rolls back (PostgreSQL answers with the tag ROLLBACK).
    const r = await c.query('COMMIT');
    assert.equal(r.command, 'ROLLBACK');
    const n = await c.query('SELECT count(*) AS n FROM person WHERE name = $1', [name]);
    assert.equal(n.rows[0].n, '0');
  }));

async function withPool(fn) {
  const pool = new Pool({ max: 8, connectionTimeoutMillis: 10000 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

sharedTest('Pool: concurrent reads on several clients', () =>
  withPool(async (pool) => {
    const names = (await pool.query('SELECT name FROM person ORDER BY name LIMIT 40')).rows.map((r) => r.name);
    assert.equal(names.length, 40);
    const results = await Promise.all(
      names.map((n) => pool.query('SELECT name, age FROM person WHERE name = $1', [n])),
    );
    results.forEach((r, i) => assert.equal(r.rows[0].name, names[i]));
    assert.ok(pool.totalCount > 1 && pool.totalCount <= 8, `pool used ${pool.totalCount} clients`);
  }));

sharedTest('Pool: checked-out clients running transactions in parallel', () =>
  withPool(async (pool) => {
    // Check the clients out first, then run the transactions in parallel: a connection
    // opened while another one begins or ends a transaction can fail (FATAL storage error:
    // Not found .../_tx...json; see tests/README.md), which is not what this test is about.
    const clients = await Promise.all([0, 1, 2, 3].map(() => pool.connect()));
    const counts = await Promise.all(clients.map(async (client) => {
      try {
        await client.query('BEGIN');
        const r = await client.query('SELECT count(*) AS n FROM person');
        await client.query('COMMIT');
        return Number(r.rows[0].n);
      } finally {
        client.release();
      }
    }));
    counts.forEach((cnt) => assert.ok(cnt >= 200, `count in txn ${cnt}`));
  }));

sharedTest('Pool: concurrent autocommit inserts of distinct rows all succeed', () =>
  withPool(async (pool) => {
    // In PostgreSQL, independent single-statement inserts of different keys never conflict.
    const settled = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        pool.query('INSERT INTO person (name, age) VALUES ($1, $2)', [uname('pool', i), i])),
    );
    const rejected = settled.filter((s) => s.status === 'rejected').map((s) => `${s.reason.code} ${s.reason.message}`);
    assert.deepEqual(rejected, [], `${rejected.length} of 16 concurrent inserts failed`);
    const n = await pool.query('SELECT count(*) AS n FROM person WHERE name LIKE $1', [`node.${RUN}.pool.%`]);
    assert.equal(n.rows[0].n, '16');
  }));

sharedTest('rowMode array', () =>
  withClient(async (c) => {
    const r = await c.query({ text: 'SELECT name, age FROM person ORDER BY name LIMIT 3', rowMode: 'array' });
    assert.equal(r.rows.length, 3);
    for (const row of r.rows) {
      assert.ok(Array.isArray(row));
      assert.equal(row.length, 2);
      assert.equal(typeof row[0], 'string');
    }
    assert.deepEqual(r.fields.map((f) => f.name), ['name', 'age']);
  }));

sharedTest('a query returning 100000 rows', () =>
  withClient(async (c) => {
    const r = await c.query('SELECT a.name AS a, b.name AS b, c.name AS c FROM person a CROSS JOIN person b CROSS JOIN person c LIMIT 100000');
    assert.equal(r.rowCount, 100000);
    assert.equal(r.rows.length, 100000);
    const p = await c.query({
      text: 'SELECT a.id, b.age FROM person a CROSS JOIN person b CROSS JOIN person c WHERE b.age > $1 LIMIT 100000',
      values: [-1],
      rowMode: 'array',
    });
    assert.equal(p.rows.length, 100000);
  }));

sharedTest('bound parameter as a table-function argument', () =>
  withClient(async (c) => {
    const plain = await c.query("SELECT count(*) AS n FROM neighbors('knows', 'alice.smith')");
    const param = await c.query("SELECT count(*) AS n FROM neighbors('knows', $1)", ['alice.smith']);
    assert.equal(param.rows[0].n, plain.rows[0].n);
  }));

sharedTest('CALL create_branch with a parameter', () =>
  withClient(async (c) => {
    const branch = `node_${RUN}_call`;
    await c.query('CALL create_branch($1)', [branch]);
    const r = await c.query('SELECT count(*) AS n FROM omnigraph.branches WHERE name = $1', [branch]);
    assert.equal(r.rows[0].n, '1');
    await withClient(async (b) => {
      const n = await b.query('SELECT count(*) AS n FROM person');
      assert.ok(Number(n.rows[0].n) > 0);
    }, { database: `demo@${branch}` });
  }));

sharedTest('notices arrive as notice events', () =>
  withClient(async (c) => {
    const notices = [];
    c.on('notice', (msg) => notices.push(msg));
    const a = uname('notice', 1);
    const b = uname('notice', 2);
    await c.query('INSERT INTO person (name) VALUES ($1), ($2)', [a, b]);
    await c.query('INSERT INTO knows (src, dst) VALUES ($1, $2)', [a, b]);
    const r = await c.query('DELETE FROM person WHERE name = $1', [a]);
    assert.equal(r.rowCount, 1);
    assert.ok(notices.length >= 1, 'a notice about the deleted edge');
  }));

privateTest('SET statement_timeout cancels with 57014', () =>
  withClient(async (c) => {
    await c.query('SET statement_timeout = 200');
    const shown = await c.query('SHOW statement_timeout');
    assert.match(String(Object.values(shown.rows[0])[0]), /200/);
    // Simple, then extended protocol. The second query starts while the server may still be
    // burning CPU on the first, abandoned one; it must time out just as promptly.
    for (const [label, run] of [
      ['simple', () => c.query(SLOW_SQL)],
      ['extended', () => c.query(`${SLOW_SQL} WHERE a.age > $1`, [-1])],
    ]) {
      const started = Date.now();
      await expectCode(run(), '57014');
      const took = Date.now() - started;
      assert.ok(took < 10000, `${label}: a 200 ms statement_timeout took ${took} ms`);
      // The timed-out query must stop: the server falls back to idle.
      await sleep(200);
      const load = await serverCpuLoad(1000);
      assert.ok(load < 0.5, `${label}: the server still computes the timed-out query (${load.toFixed(2)} cores busy in the second after 57014)`);
    }
    await c.query('RESET statement_timeout');
    const r = await c.query('SELECT 1 AS ok');
    assert.equal(Number(r.rows[0].ok), 1, 'client usable after the timeout');
  }));

sharedTest('pg-copy-streams copies rows in, and a bad row fails the whole COPY', () =>
  withClient(async (c) => {
    const { from: copyFrom } = require('pg-copy-streams');
    const { pipeline } = require('node:stream/promises');
    const { Readable } = require('node:stream');
    const tag = `node.copy.${Date.now()}`;
    const copy = (rows) => pipeline(
      Readable.from([rows]),
      c.query(copyFrom('COPY person (name, age) FROM STDIN (FORMAT csv)')),
    );
    await copy(`${tag}.a,7\n${tag}.b,\n`);
    const r = await c.query('SELECT count(*)::int AS n, sum(age)::int AS s FROM person WHERE name LIKE $1', [`${tag}.%`]);
    assert.deepEqual([r.rows[0].n, r.rows[0].s], [2, 7]);
    await expectCode(copy(`${tag}.c,1\n${tag}.d,one\n`), '22P02');
    const after = await c.query('SELECT count(*)::int AS n FROM person WHERE name LIKE $1', [`${tag}.%`]);
    assert.equal(after.rows[0].n, 2, 'nothing of the failed COPY');
  }));

privateTest('CancelRequest stops a running query with 57014', () =>
  withClient(async (c) => {
    const started = Date.now();
    const slow = expectCode(c.query(SLOW_SQL), '57014');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // pg has no public cancel(); send a CancelRequest over a raw socket as drivers do.
    await sendCancel(c);
    await slow;
    assert.ok(Date.now() - started < 10000, `cancel took ${Date.now() - started} ms`);
    const r = await c.query('SELECT 1 AS ok');
    assert.equal(Number(r.rows[0].ok), 1);
  }));

// A CancelRequest (protocol code 80877102) with the backend key data the server sent.
function sendCancel(client) {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(process.env.PGPORT), process.env.PGHOST, () => {
      const buf = Buffer.alloc(16);
      buf.writeInt32BE(16, 0);
      buf.writeInt32BE(80877102, 4);
      buf.writeInt32BE(client.processID, 8);
      buf.writeInt32BE(client.secretKey, 12);
      socket.end(buf);
    });
    socket.on('close', resolve);
    socket.on('error', reject);
  });
}
