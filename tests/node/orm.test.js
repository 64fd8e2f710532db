// knex and Sequelize (both over node-postgres) against omnigraph-server.
//
// Run with PGHOST/PGPORT (PGDATABASE=demo, PGUSER=tester) pointing at a server started
// with --demo:   node tests/node/orm.test.js
// tests/test_node.py runs it and judges the results against its KNOWN_GAPS list. Rows
// written here use names starting with "knex." or "seq." so they never collide with the
// demo data or other suites sharing the server.

'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const Knex = require('knex');
const { Sequelize, DataTypes, Op, QueryTypes } = require('sequelize');

const connection = {
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT),
  user: process.env.PGUSER || 'tester',
  database: process.env.PGDATABASE || 'demo',
};
if (!connection.host || !connection.port) {
  throw new Error('set PGHOST and PGPORT to a running omnigraph-server --demo');
}

const knex = Knex({ client: 'pg', connection, pool: { min: 0, max: 2 } });
const sequelize = new Sequelize(connection.database, connection.user, null, {
  host: connection.host,
  port: connection.port,
  dialect: 'postgres',
  logging: false,
  pool: { max: 2 },
});
const Person = sequelize.define(
  'Person',
  {
    id: { type: DataTypes.TEXT, primaryKey: true },
    name: DataTypes.TEXT,
    age: DataTypes.INTEGER,
    city: DataTypes.TEXT,
  },
  { tableName: 'person', timestamps: false },
);

test.after(async () => {
  await knex.destroy();
  await sequelize.close();
});

// knex

test('knex select with order', async () => {
  const rows = await knex('person').select('name', 'age').orderBy('name');
  assert.equal(rows.length, 200);
  assert.deepEqual(rows[0], { name: 'alice.chen', age: 28 });
});

test('knex count', async () => {
  const [{ n }] = await knex('person').count('* as n');
  assert.equal(n, '200'); // bigint comes back as a string, as from PostgreSQL
  const [plain] = await knex('person').count();
  assert.deepEqual(plain, { count: '200' });
});

test('knex where with parameters', async () => {
  const rows = await knex('person')
    .where('age', '>', 30)
    .andWhere('city', 'Oslo')
    .orderBy('name')
    .select('name', 'age');
  assert.ok(rows.length > 0);
  assert.ok(rows.every((r) => r.age > 30));
  const named = await knex('person').whereIn('name', ['alice.chen', 'alice.jones']).orderBy('name').pluck('name');
  assert.deepEqual(named, ['alice.chen', 'alice.jones']);
});

test('knex pagination with limit and offset', async () => {
  const rows = await knex('person').orderBy('name').limit(2).offset(1).pluck('name');
  assert.deepEqual(rows, ['alice.garcia', 'alice.jones']);
});

test('knex insert, update and delete', async () => {
  await knex('person').insert([{ name: 'knex.one', age: 1 }, { name: 'knex.two', age: 2 }]);
  assert.equal(await knex('person').where('name', 'like', 'knex.%').update({ city: 'Rome' }), 2);
  const rows = await knex('person').where('city', 'Rome').andWhere('name', 'like', 'knex.%').orderBy('name').pluck('name');
  assert.deepEqual(rows, ['knex.one', 'knex.two']);
  assert.equal(await knex('person').where('name', 'like', 'knex.%').del(), 2);
});

test('knex insert returning', async () => {
  const rows = await knex('person').insert({ name: 'knex.returned', age: 3 }).returning(['id', 'name']);
  assert.deepEqual(rows, [{ id: 'knex.returned', name: 'knex.returned' }]);
});

test('knex transaction', async () => {
  await knex.transaction(async (trx) => {
    await trx('person').insert({ name: 'knex.tx', age: 4 });
    const [{ n }] = await trx('person').where('name', 'knex.tx').count('* as n');
    assert.equal(n, '1');
  });
  assert.equal(await knex('person').where('name', 'knex.tx').del(), 1);
});

test('knex raw with bindings', async () => {
  const result = await knex.raw('select name from person where age = ? order by name', [28]);
  assert.equal(result.rows[0].name, 'alice.chen');
});

// Sequelize

test('sequelize authenticate', async () => {
  await sequelize.authenticate();
});

test('sequelize findAll with where, order, limit and offset', async () => {
  const rows = await Person.findAll({
    where: { age: { [Op.gt]: 30 } },
    order: [['name', 'ASC']],
    limit: 2,
    offset: 1,
    attributes: ['name', 'age'],
  });
  assert.deepEqual(
    rows.map((r) => r.toJSON()),
    [
      { name: 'alice.jones', age: 40 },
      { name: 'alice.kowalski', age: 48 },
    ],
  );
});

test('sequelize count and findByPk', async () => {
  // Other tests of this file write persons too: compare with the server's own count.
  const [rows] = await sequelize.query('SELECT count(*) AS n FROM person');
  assert.equal(await Person.count(), Number(rows[0].n));
  const alice = await Person.findByPk('alice.chen');
  assert.deepEqual(alice.toJSON(), { id: 'alice.chen', name: 'alice.chen', age: 28, city: 'Tokyo' });
});

test('sequelize create', async () => {
  const created = await Person.create({ name: 'seq.created', age: 5 });
  assert.equal(created.name, 'seq.created');
  assert.equal(await Person.destroy({ where: { name: 'seq.created' } }), 1);
});

test('sequelize update and destroy', async () => {
  await sequelize.query("INSERT INTO person (name, age) VALUES ('seq.one', 6)");
  const [updated] = await Person.update({ city: 'Lima' }, { where: { name: 'seq.one' } });
  assert.equal(updated, 1);
  assert.equal((await Person.findOne({ where: { name: 'seq.one' } })).city, 'Lima');
  assert.equal(await Person.destroy({ where: { name: 'seq.one' } }), 1);
});

test('sequelize raw query with replacements and bind parameters', async () => {
  const replaced = await sequelize.query('SELECT name FROM person WHERE age = :age ORDER BY name LIMIT 1', {
    replacements: { age: 28 },
    type: QueryTypes.SELECT,
  });
  assert.deepEqual(replaced, [{ name: 'alice.chen' }]);
  const bound = await sequelize.query('SELECT name FROM person WHERE age = $1 ORDER BY name LIMIT 1', {
    bind: [28],
    type: QueryTypes.SELECT,
  });
  assert.deepEqual(bound, [{ name: 'alice.chen' }]);
});

test('sequelize describeTable and showAllTables', async () => {
  const qi = sequelize.getQueryInterface();
  const columns = await qi.describeTable('person');
  assert.deepEqual(Object.keys(columns), ['id', 'name', 'age', 'city']);
  assert.equal(columns.id.primaryKey, true);
  assert.equal(columns.age.type, 'INTEGER');
  assert.equal(columns.age.allowNull, true);
  assert.deepEqual((await qi.showAllTables()).sort(), ['company', 'knows', 'person', 'works_at']);
});

test('sequelize foreign keys of edges', async () => {
  const keys = await sequelize.getQueryInterface().getForeignKeyReferencesForTable('knows');
  const ends = keys.map((k) => [k.columnName, k.referencedTableName, k.referencedColumnName]).sort();
  assert.deepEqual(ends, [
    ['dst', 'person', 'id'],
    ['src', 'person', 'id'],
  ]);
});
