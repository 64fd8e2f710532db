-- Common table expressions, including WITH RECURSIVE and column lists.

-- id: simple_cte
WITH old AS (SELECT * FROM person WHERE age > 75) SELECT name FROM old ORDER BY name
-- id: two_ctes
WITH a AS (SELECT city, count(*) AS n FROM person GROUP BY city), b AS (SELECT max(n) AS m FROM a) SELECT city FROM a, b WHERE a.n = b.m ORDER BY city
-- id: cte_column_list
WITH t(x, y) AS (SELECT 1, 'a') SELECT x, y FROM t
-- id: cte_column_list_partial
WITH t(x) AS (SELECT 1, 2) SELECT * FROM t
-- id: cte_referenced_twice
WITH t AS (SELECT id FROM company) SELECT count(*) FROM t a JOIN t b ON a.id < b.id
-- id: cte_shadows_table
WITH person AS (SELECT 'x' AS name) SELECT name FROM person
-- id: cte_in_subquery
SELECT (WITH t AS (SELECT 41 AS v) SELECT v + 1 FROM t)
-- id: recursive_count
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT sum(n) FROM t
-- id: recursive_no_column_list
WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT n FROM t ORDER BY n
-- id: recursive_union_dedup
WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT (n % 3) + 1 FROM t) SELECT n FROM t ORDER BY n
-- id: recursive_graph_reach
WITH RECURSIVE reach(id, depth) AS (SELECT 'alice.smith'::text, 0 UNION SELECT k.dst, r.depth + 1 FROM reach r JOIN knows k ON k.src = r.id WHERE r.depth < 2) SELECT count(DISTINCT id) FROM reach
-- id: recursive_path
WITH RECURSIVE p(id, path, depth) AS (SELECT 'alice.smith'::text, 'alice.smith'::text, 0 UNION ALL SELECT k.dst, p.path || '>' || k.dst, p.depth + 1 FROM p JOIN knows k ON k.src = p.id WHERE p.depth < 2) SELECT path FROM p ORDER BY depth, path LIMIT 8
-- id: recursive_fibonacci
WITH RECURSIVE fib(i, a, b) AS (SELECT 1, 0::bigint, 1::bigint UNION ALL SELECT i + 1, b, a + b FROM fib WHERE i < 50) SELECT a FROM fib ORDER BY i DESC LIMIT 1
-- id: recursive_dates
WITH RECURSIVE d(day) AS (SELECT DATE '2024-02-27' UNION ALL SELECT day + 1 FROM d WHERE day < DATE '2024-03-02') SELECT day FROM d ORDER BY day
-- id: recursive_type_widening
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n * 2 FROM t WHERE n < 2000000000) SELECT max(n) FROM t
-- id: recursive_strings
WITH RECURSIVE s(x) AS (SELECT 'a' UNION ALL SELECT x || 'a' FROM s WHERE length(x) < 4) SELECT x FROM s ORDER BY x
-- id: cte_materialized
WITH t AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM t
-- id: cte_not_materialized
WITH t AS NOT MATERIALIZED (SELECT 1 AS x) SELECT x FROM t
-- id: cte_with_window
WITH ranked AS (SELECT city, name, rank() OVER (PARTITION BY city ORDER BY age DESC, name) AS r FROM person) SELECT city, name FROM ranked WHERE r = 1 ORDER BY city
-- id: cte_values
WITH v(a, b) AS (VALUES (1, 'x'), (2, 'y')) SELECT b FROM v ORDER BY a DESC
-- id: cte_union
WITH a AS (SELECT 1 AS x), b AS (SELECT 2 AS x) SELECT x FROM a UNION ALL SELECT x FROM b ORDER BY x
-- id: cte_nested_reference
WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT y FROM b
-- id: cte_missing_reference
WITH a AS (SELECT 1 AS x) SELECT * FROM missing_cte
-- id: cte_duplicate_name
WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a
-- id: recursive_without_union
WITH RECURSIVE t(n) AS (SELECT 1) SELECT n FROM t
-- id: cte_column_list_partial_named
WITH t(a) AS (SELECT 1, 2 AS b) SELECT a, b FROM t
-- id: recursive_integer_columns
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT pg_typeof(n), n FROM t ORDER BY n
-- id: cte_unaliased_aggregate_names
WITH c AS (SELECT city, count(*), max(age) FROM person GROUP BY city) SELECT city, count, max FROM c ORDER BY count DESC, city LIMIT 3
-- id: derived_unaliased_aggregate_name
SELECT w.count FROM (SELECT count(*) FROM person) w
