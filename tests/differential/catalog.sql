-- Catalog queries that tools send: psql backslash commands (psql 15 -E), pgcli, SQLAlchemy's
-- PostgreSQL inspector, Django inspectdb, knex columnInfo. Where a tool sends a table's OID as
-- a literal, the query names the table with 'person'::regclass instead (OIDs differ by design).

-- id: psql_dt
SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2
-- id: psql_di
SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner",
  c2.relname as "Table"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
WHERE c.relkind IN ('i','I','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2
-- id: psql_df
SELECT n.nspname as "Schema",
  p.proname as "Name",
  pg_catalog.pg_get_function_result(p.oid) as "Result data type",
  pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
 CASE p.prokind
  WHEN 'a' THEN 'agg'
  WHEN 'w' THEN 'window'
  WHEN 'p' THEN 'proc'
  ELSE 'func'
 END as "Type"
FROM pg_catalog.pg_proc p
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE pg_catalog.pg_function_is_visible(p.oid)
      AND n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
ORDER BY 1, 2, 4
-- id: psql_dv
SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2
-- id: psql_dn
SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1
-- id: psql_l
SELECT d.datname as "Name",
       pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
       pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
       d.datcollate as "Collate",
       d.datctype as "Ctype",
       d.daticulocale as "ICU Locale",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       pg_catalog.array_to_string(d.datacl, E'\n') AS "Access privileges"
FROM pg_catalog.pg_database d
WHERE d.datname = 'demo'
ORDER BY 1
-- id: psql_d_lookup
SELECT n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(person)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1, 2
-- id: psql_d_relation
SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = 'person'::regclass
-- id: psql_d_columns
SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = 'person'::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
-- id: psql_d_indexes
SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
WHERE c.oid = 'person'::regclass AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname
-- id: pg_attribute_rows
SELECT a.attname, a.atttypid, a.attnum, a.attnotnull FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid WHERE c.relname = 'person' AND a.attnum > 0 ORDER BY a.attnum
-- id: pg_class_relkinds
SELECT relname, relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY relname
-- id: pg_tables
SELECT schemaname, tablename, tableowner FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename
-- id: pg_indexes
SELECT tablename, indexname, indexdef FROM pg_catalog.pg_indexes WHERE schemaname = 'public' ORDER BY indexname
-- id: pg_views_public
SELECT viewname FROM pg_catalog.pg_views WHERE schemaname = 'public'
-- id: pg_type_basic
SELECT typname, oid, typlen, typtype, typcategory FROM pg_catalog.pg_type WHERE typname IN ('bool', 'int2', 'int4', 'int8', 'text', 'float8', 'numeric', 'date', 'timestamp', 'timestamptz', 'varchar', '_int4', '_text') ORDER BY typname
-- id: pg_type_array_links
SELECT t.typname, a.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type a ON a.oid = t.typarray WHERE t.typname IN ('int4', 'text', 'bool') ORDER BY 1
-- id: format_type
SELECT format_type(23, NULL), format_type(1043, 36), format_type(1700, 655366), format_type(25, -1)
-- id: pg_get_userbyid
SELECT pg_get_userbyid(10)
-- id: pg_namespace_names
SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1
-- id: pg_database_current
SELECT datname, pg_encoding_to_char(encoding), datallowconn FROM pg_catalog.pg_database WHERE datname = current_database()
-- id: pg_roles_current
SELECT rolname, rolsuper, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = current_user
-- id: pg_settings_some
SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ('server_encoding', 'client_encoding', 'DateStyle', 'integer_datetimes', 'standard_conforming_strings', 'TimeZone') ORDER BY name
-- id: show_search_path
SHOW search_path
-- id: show_timezone
SHOW TimeZone
-- id: show_standard_conforming
SHOW standard_conforming_strings
-- id: show_transaction_isolation
SHOW transaction_isolation
-- id: current_setting_server_version_num
SELECT current_setting('server_version_num')::int >= 150000
-- id: current_schema
SELECT current_schema(), current_database(), current_user, session_user
-- id: current_schemas
SELECT current_schemas(false), current_schemas(true)
-- id: version_prefix
SELECT split_part(version(), ' ', 1)
-- id: has_privileges
SELECT has_table_privilege('person', 'SELECT'), has_schema_privilege('public', 'USAGE'), has_database_privilege('demo', 'CONNECT')
-- id: pg_table_is_visible
SELECT pg_table_is_visible('person'::regclass)
-- id: obj_description
SELECT obj_description('person'::regclass, 'pg_class'), col_description('person'::regclass, 1)
-- id: pg_get_constraintdef
SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE conrelid = 'person'::regclass ORDER BY conname
-- id: pg_relation_size_sign
SELECT pg_total_relation_size('person'::regclass) >= 0
-- id: is_schemata
SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('public', 'information_schema', 'pg_catalog') ORDER BY 1
-- id: is_tables
SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name
-- id: is_columns
SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type, character_maximum_length, numeric_precision, numeric_scale, datetime_precision, udt_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
-- id: is_table_constraints
SELECT constraint_name, table_name, constraint_type FROM information_schema.table_constraints WHERE table_schema = 'public' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') ORDER BY constraint_name
-- id: is_key_column_usage
SELECT constraint_name, table_name, column_name, ordinal_position FROM information_schema.key_column_usage WHERE table_schema = 'public' ORDER BY constraint_name, ordinal_position
-- id: is_views
SELECT table_name FROM information_schema.views WHERE table_schema = 'public'
-- id: is_routines_public
SELECT routine_name FROM information_schema.routines WHERE routine_schema = 'public'
-- id: sqlalchemy_has_table
SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace WHERE pg_catalog.pg_class.relname = 'person' AND pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm']) AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog'
-- id: sqlalchemy_get_table_names
SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace WHERE pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p']) AND pg_catalog.pg_class.relpersistence != 't' AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog' ORDER BY 1
-- id: sqlalchemy_get_columns
SELECT pg_catalog.pg_attribute.attname AS name, pg_catalog.format_type(pg_catalog.pg_attribute.atttypid, pg_catalog.pg_attribute.atttypmod) AS format_type, (SELECT pg_catalog.pg_get_expr(pg_catalog.pg_attrdef.adbin, pg_catalog.pg_attrdef.adrelid) AS pg_get_expr_1 FROM pg_catalog.pg_attrdef WHERE pg_catalog.pg_attrdef.adrelid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_attrdef.adnum = pg_catalog.pg_attribute.attnum AND pg_catalog.pg_attribute.atthasdef) AS "default", pg_catalog.pg_attribute.attnotnull AS not_null, pg_catalog.pg_class.relname AS table_name, pg_catalog.pg_description.description AS comment, pg_catalog.pg_attribute.attgenerated AS generated, pg_catalog.pg_attribute.attidentity AS identity_options FROM pg_catalog.pg_class LEFT OUTER JOIN pg_catalog.pg_attribute ON pg_catalog.pg_class.oid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_attribute.attnum > 0 AND NOT pg_catalog.pg_attribute.attisdropped LEFT OUTER JOIN pg_catalog.pg_description ON pg_catalog.pg_description.objoid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_description.objsubid = pg_catalog.pg_attribute.attnum JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace WHERE pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm']) AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog' AND pg_catalog.pg_class.relname IN ('person', 'knows') ORDER BY pg_catalog.pg_class.relname, pg_catalog.pg_attribute.attnum
-- id: sqlalchemy_pk_constraint
SELECT attr.conrelid::regclass::text AS table_name, attr.conname, array_agg(attr.attname ORDER BY attr.ord) FROM (SELECT con.conrelid, con.conname, a.attname, k.ord FROM pg_catalog.pg_constraint con CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum WHERE con.contype = 'p' AND con.conrelid IN ('person'::regclass, 'knows'::regclass)) attr GROUP BY 1, 2 ORDER BY 1
-- id: sqlalchemy_server_version
select pg_catalog.version() IS NOT NULL
-- id: sqlalchemy_current_schema
select current_schema()
-- id: sqlalchemy_std_strings
show standard_conforming_strings
-- id: django_table_list
SELECT
    c.relname,
    CASE
        WHEN c.relispartition THEN 'p'
        WHEN c.relkind IN ('m', 'v') THEN 'v'
        ELSE 't'
    END,
    obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
    AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
    AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1
-- id: django_table_description
SELECT
    a.attname AS column_name,
    NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS is_nullable,
    pg_get_expr(ad.adbin, ad.adrelid) AS column_default,
    CASE WHEN collname = 'default' THEN NULL ELSE collname END AS collation,
    a.attidentity != '' AS is_autofield,
    col_description(a.attrelid, a.attnum) AS column_comment
FROM pg_attribute a
LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
LEFT JOIN pg_collation co ON a.attcollation = co.oid
JOIN pg_type t ON a.atttypid = t.oid
JOIN pg_class c ON a.attrelid = c.oid
JOIN pg_namespace n ON c.relnamespace = n.oid
WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
    AND c.relname = 'person'
    AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
    AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY a.attnum
-- id: django_sequences
SELECT
    s.relname AS sequence_name,
    a.attname AS colname
FROM
    pg_class s
    JOIN pg_depend d ON d.objid = s.oid
        AND d.classid = 'pg_catalog.pg_class'::regclass
        AND d.refclassid = 'pg_catalog.pg_class'::regclass
    JOIN pg_attribute a ON d.refobjid = a.attrelid
        AND d.refobjsubid = a.attnum
    JOIN pg_class tbl ON tbl.oid = d.refobjid
        AND tbl.relname = 'person'
        AND pg_catalog.pg_table_is_visible(tbl.oid)
WHERE
    s.relkind = 'S'
-- id: django_constraints
SELECT
    c.conname,
    array(
        SELECT attname
        FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx)
        JOIN pg_attribute AS ca ON cols.colid = ca.attnum
        WHERE ca.attrelid = c.conrelid
        ORDER BY cols.arridx
    ),
    c.contype,
    (SELECT fkc.relname || '.' || fka.attname
    FROM pg_attribute AS fka
    JOIN pg_class AS fkc ON fka.attrelid = fkc.oid
    WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]),
    cl.reloptions
FROM pg_constraint AS c
JOIN pg_class AS cl ON c.conrelid = cl.oid
WHERE cl.relname = 'person' AND pg_catalog.pg_table_is_visible(cl.oid)
ORDER BY 1
-- id: knex_column_info
select column_name, data_type, character_maximum_length, is_nullable, column_default from information_schema.columns where table_name = 'person' and table_catalog = current_database() and table_schema = current_schema() order by ordinal_position
-- id: knex_has_table
select * from information_schema.tables where table_name = 'person' and table_schema = current_schema()
-- id: pgcli_schemata
SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' ORDER BY 1
-- id: pgcli_tables
SELECT n.nspname schema_name, c.relname table_name FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = ANY(ARRAY['r','p']) AND n.nspname = 'public' ORDER BY 1, 2
-- id: pgcli_columns
SELECT nsp.nspname schema_name, cls.relname table_name, att.attname column_name, att.atttypid::regtype::text type_name, att.atthasdef AS has_default, pg_catalog.pg_get_expr(def.adbin, def.adrelid, true) as default FROM pg_catalog.pg_attribute att INNER JOIN pg_catalog.pg_class cls ON att.attrelid = cls.oid INNER JOIN pg_catalog.pg_namespace nsp ON cls.relnamespace = nsp.oid LEFT OUTER JOIN pg_attrdef def ON def.adrelid = att.attrelid AND def.adnum = att.attnum WHERE cls.relkind = ANY(ARRAY['r','p']) AND NOT att.attisdropped AND att.attnum > 0 AND nsp.nspname = 'public' ORDER BY 1, 2, att.attnum
-- id: pgcli_foreignkeys
SELECT s_p.nspname AS parentschema, t_p.relname AS parenttable FROM pg_catalog.pg_constraint fk JOIN pg_catalog.pg_class t_p ON t_p.oid = fk.confrelid JOIN pg_catalog.pg_namespace s_p ON s_p.oid = t_p.relnamespace WHERE fk.contype = 'f' ORDER BY 1, 2
-- id: pgcli_datatypes
SELECT n.nspname schema_name, t.typname type_name FROM pg_catalog.pg_type t INNER JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid)) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid) AND n.nspname = 'public' ORDER BY 1, 2
-- id: pgcli_functions_public
SELECT n.nspname schema_name, p.proname func_name FROM pg_catalog.pg_proc p INNER JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.prorettype::regtype != 'trigger'::regtype AND n.nspname = 'public' ORDER BY 1, 2
-- id: pg_proc_builtin_exists
SELECT count(*) > 0 FROM pg_catalog.pg_proc WHERE proname = 'lower'
-- id: pg_stat_activity_self
SELECT datname, usename FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()
-- id: pg_is_in_recovery
SELECT pg_is_in_recovery()
-- id: txid_current_sign
SELECT txid_current() > 0
-- id: pg_encoding
SELECT pg_client_encoding(), getdatabaseencoding()
-- id: pg_index_of_person
SELECT i.indisprimary, i.indisunique, i.indnatts FROM pg_catalog.pg_index i WHERE i.indrelid = 'person'::regclass
-- id: information_schema_column_types
SELECT data_type, count(*) FROM information_schema.columns WHERE table_schema = 'public' GROUP BY 1 ORDER BY 1
-- id: pg_class_each_table_once
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE 'pe%' ORDER BY 1, 2
-- id: pg_constraint_foreign_keys
SELECT r.conname, c.relname, f.relname AS target, r.conkey, r.confkey, pg_catalog.pg_get_constraintdef(r.oid, true) FROM pg_catalog.pg_constraint r JOIN pg_catalog.pg_class c ON c.oid = r.conrelid JOIN pg_catalog.pg_class f ON f.oid = r.confrelid WHERE r.contype = 'f' ORDER BY 1
-- id: psql_d_foreign_keys
SELECT true as sametable, conname,
  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
  conrelid::pg_catalog.regclass AS ontable
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = 'knows'::regclass AND r.contype = 'f'
     AND conparentid = 0
ORDER BY conname
-- id: psql_l_all
SELECT d.datname as "Name", pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding", d.datcollate as "Collate", d.datctype as "Ctype" FROM pg_catalog.pg_database d WHERE d.datname = 'demo'
-- id: pg_indexes_pretty
SELECT indexrelid::regclass::text, pg_catalog.pg_get_indexdef(indexrelid, 0, true), pg_catalog.pg_get_indexdef(indexrelid, 1, true) FROM pg_catalog.pg_index WHERE indrelid = 'person'::regclass ORDER BY 1
-- id: pg_client_encoding_name
SELECT pg_catalog.pg_encoding_to_char(6), pg_catalog.getdatabaseencoding()
-- id: set_config_search_path
SELECT pg_catalog.set_config('search_path', 'public', false)
-- id: is_referential_constraints
SELECT constraint_name, unique_constraint_schema, unique_constraint_name, match_option, update_rule, delete_rule FROM information_schema.referential_constraints WHERE constraint_schema = 'public' ORDER BY 1
-- id: is_constraint_column_usage
SELECT table_name, column_name, constraint_name FROM information_schema.constraint_column_usage WHERE constraint_schema = 'public' ORDER BY constraint_name
-- id: is_schemata_owners
SELECT catalog_name, schema_name, schema_owner FROM information_schema.schemata WHERE schema_name IN ('public', 'information_schema', 'pg_catalog') ORDER BY 2
-- id: psql_d_referenced_by
SELECT conname, conrelid::pg_catalog.regclass AS ontable,
       pg_catalog.pg_get_constraintdef(oid, true) AS condef
  FROM pg_catalog.pg_constraint c
 WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('person'::regclass)
                     UNION ALL VALUES ('person'::pg_catalog.regclass))
       AND contype = 'f' AND conparentid = 0
ORDER BY conname
-- id: regtype_of_columns
SELECT attname, atttypid::regtype, atttypid::regtype::text FROM pg_catalog.pg_attribute WHERE attrelid = 'person'::regclass AND attnum > 0 ORDER BY attnum
-- id: regclass_catalog_relation
SELECT 'pg_catalog.pg_class'::regclass::text, 'pg_class'::regclass::text
-- id: regtype_missing
SELECT 'no_such_type'::regtype
-- id: show_datestyle
SHOW datestyle
-- id: pg_get_userbyid_public_owner
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public'
-- id: like_escape_schemas
SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg!_%' ESCAPE '!' AND nspname IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1
-- id: psql_dd
SELECT DISTINCT tt.nspname AS "Schema", tt.name AS "Name", tt.object AS "Object", d.description AS "Description"
FROM (
  SELECT pgc.oid as oid, pgc.tableoid AS tableoid,
  n.nspname as nspname,
  CAST(pgc.conname AS pg_catalog.text) as name,  CAST('table constraint' AS pg_catalog.text) as object
  FROM pg_catalog.pg_constraint pgc
    JOIN pg_catalog.pg_class c ON c.oid = pgc.conrelid
    LEFT JOIN pg_catalog.pg_namespace n     ON n.oid = c.relnamespace
WHERE n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
UNION ALL
  SELECT t.oid as oid, t.tableoid as tableoid,
  n.nspname as nspname,
  CAST(t.tgname AS pg_catalog.text) as name,  CAST('trigger' AS pg_catalog.text) as object
  FROM pg_catalog.pg_trigger t
       JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
       LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
) AS tt
  JOIN pg_catalog.pg_description d ON (tt.oid = d.objoid AND tt.tableoid = d.classoid AND d.objsubid = 0)
ORDER BY 1, 2, 3
-- id: indkey_as_text
SELECT c.relname, i.indkey::varchar, i.indisunique, i.indisprimary FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'knows'::regclass ORDER BY 1
