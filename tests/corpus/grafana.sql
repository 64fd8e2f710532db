-- Grafana PostgreSQL data source (grafana-postgresql-datasource, Grafana 11/12) corpus:
-- the configuration page's version/TimescaleDB auto-detection, the SQL query editor's
-- schema/table/column pickers, the backend schema service (pgx, extended protocol,
-- `$n` parameters bound as below), and the legacy (pre-10) query builder's lookups.
-- The backend health check (pgx Conn.Ping, which sends the comment-only query
-- `-- ping`) cannot be written in this format; tests/test_corpus.py replays it separately.
-- Format: statements separated by lines that are exactly `-- next`; each starts with a
-- `-- tool:` header; `-- param $n type: value` binds a parameter (the simple-protocol run
-- inlines it as a literal); `-- expect:` lists strings that must appear in the result rows.
-- `-- known-gap: reason` marks a statement the server cannot answer yet (a strict xfail
-- in tests/test_corpus.py: delete the line once the statement passes).

-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (getVersion), purpose: auto-detect the server version when the data source is saved
SELECT current_setting('server_version_num')::int/100 as version
-- next
-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (getTimescaleDBVersion), purpose: auto-detect TimescaleDB when the data source is saved
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'
-- next
-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (showSchemas), purpose: schema picker of the query editor
-- expect: public
SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name
-- next
-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (showTables, no schema), purpose: table picker of the query editor (tables on the search_path unqualified, the rest schema-qualified)
-- expect: person, company, knows, works_at
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1
-- next
-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (showTables('public')), purpose: table picker after a schema was chosen
-- expect: person, company, knows, works_at
SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1
-- next
-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (getSchema('person')), purpose: column picker of the query editor for an unqualified table
-- expect: age, city
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('person'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('person'))[1]
          AND quote_ident(table_name) = (parse_ident('person'))[2]
        ELSE quote_ident(table_name) = 'person'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END
-- next
-- tool: Grafana, source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (getSchema('public.works_at')), purpose: column picker of the query editor for a schema-qualified table
-- expect: role
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('public.works_at'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('public.works_at'))[1]
          AND quote_ident(table_name) = (parse_ident('public.works_at'))[2]
        ELSE quote_ident(table_name) = 'public.works_at'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END
-- next
-- tool: Grafana (backend, pgx v5), source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go (querySchemas), purpose: schema list of the data source schema service
-- expect: public
SELECT schema_name FROM information_schema.schemata
		 WHERE schema_name NOT LIKE 'pg_%' AND schema_name != 'information_schema'
		 ORDER BY schema_name
-- next
-- tool: Grafana (backend, pgx v5), source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go (queryTables), purpose: tables of one schema for the schema service
-- param $1 text: public
-- expect: person, company, knows, works_at
SELECT table_name FROM information_schema.tables
		 WHERE table_schema = $1 AND table_type IN ('BASE TABLE', 'VIEW')
		 ORDER BY table_name
-- next
-- tool: Grafana (backend, pgx v5), source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go (queryColumns), purpose: columns (type, udt, precision) of one table for the schema service
-- param $1 text: public
-- param $2 text: person
-- expect: age, city
SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale
		 FROM information_schema.columns
		 WHERE table_schema = $1 AND table_name = $2
		 ORDER BY ordinal_position
-- next
-- tool: Grafana (backend, pgx v5), source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go (ColumnValues), purpose: distinct values of the columns the user filters on (schema service), for public.person city and name
SELECT 'city' AS col_name, "city"::text AS val FROM (SELECT DISTINCT "city" FROM "public"."person" WHERE "city" IS NOT NULL ORDER BY "city" LIMIT 100) sub_0 UNION ALL SELECT 'name' AS col_name, "name"::text AS val FROM (SELECT DISTINCT "name" FROM "public"."person" WHERE "name" IS NOT NULL ORDER BY "name" LIMIT 100) sub_1
-- next
-- tool: Grafana (legacy query builder), source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (findMetricTable), purpose: pick a default table with a timestamp and a float8 column for a new panel
SELECT
	quote_ident(table_name) as table_name,
	( SELECT
	    quote_ident(column_name) as column_name
	  FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name IN ('timestamptz','timestamp')
    ORDER BY ordinal_position LIMIT 1
  ) AS time_column,
  ( SELECT
      quote_ident(column_name) AS column_name
    FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name='float8'
    ORDER BY ordinal_position LIMIT 1
  ) AS value_column
FROM information_schema.tables t
WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) AND
  EXISTS
  ( SELECT 1
    FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name IN ('timestamptz','timestamp')
  ) AND
  EXISTS
  ( SELECT 1
    FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name='float8'
  )
LIMIT 1
;
-- next
-- tool: Grafana (legacy query builder), source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (buildTableQuery), purpose: table dropdown of the legacy builder
-- expect: person, company, knows, works_at
SELECT quote_ident(table_name) FROM information_schema.tables WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) ORDER BY table_name
-- next
-- tool: Grafana (legacy query builder), source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (buildColumnQuery('value') for table knows, time column since), purpose: value-column dropdown of the legacy builder
SELECT quote_ident(column_name) FROM information_schema.columns WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) AND table_name = 'knows' AND data_type IN ('bigint','integer','double precision','real','numeric') AND column_name <> 'since' ORDER BY column_name
-- next
-- tool: Grafana (legacy query builder), source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (buildDatatypeQuery('age') for table public.person), purpose: data type of a chosen column (drives the operator list)
SELECT udt_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'person' AND column_name = 'age'
-- next
-- tool: Grafana (legacy query builder), source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (buildAggregateQuery), purpose: aggregate-function dropdown of the legacy builder
-- known-gap: pg_aggregate.aggfnoid is text ('pg_catalog.avg'), not a regproc comparable with pg_proc.oid
SELECT DISTINCT proname FROM pg_aggregate INNER JOIN pg_proc ON pg_aggregate.aggfnoid = pg_proc.oid INNER JOIN pg_type ON pg_type.oid=pg_proc.prorettype WHERE pronargs=1 AND typname IN ('float8') AND aggkind='n' ORDER BY 1
