-- UNION / INTERSECT / EXCEPT, with and without ALL; type coercion across branches.

-- id: union_dedup
SELECT city FROM person WHERE age > 75 UNION SELECT city FROM person WHERE age < 20 ORDER BY 1
-- id: union_all_count
SELECT count(*) FROM (SELECT city FROM person UNION ALL SELECT name FROM company) t
-- id: union_all_values
SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT 2 ORDER BY 1
-- id: union_int_numeric
SELECT 1 AS x UNION SELECT 2.5 ORDER BY 1
-- id: union_int_bigint
SELECT 1 UNION SELECT 3000000000 ORDER BY 1
-- id: union_text_unknown
SELECT 'a' UNION SELECT 'b' ORDER BY 1
-- id: union_int_text_error
SELECT 1 UNION SELECT 'abc'
-- id: union_int_text_literal
SELECT 1 UNION SELECT '2' ORDER BY 1
-- id: union_null_first
SELECT NULL UNION SELECT 1 ORDER BY 1
-- id: union_column_names_first
SELECT 1 AS a UNION SELECT 2 AS b ORDER BY 1
-- id: union_column_count_mismatch
SELECT 1, 2 UNION SELECT 1
-- id: union_date_text
SELECT DATE '2024-01-01' UNION SELECT '2024-01-02' ORDER BY 1
-- id: union_order_limit
SELECT name FROM company UNION SELECT city FROM person ORDER BY 1 LIMIT 5
-- id: union_parenthesized_limit
(SELECT name FROM company ORDER BY name LIMIT 2) UNION ALL (SELECT name FROM company ORDER BY name DESC LIMIT 2) ORDER BY 1
-- id: intersect
SELECT src FROM knows INTERSECT SELECT src FROM works_at ORDER BY 1 LIMIT 5
-- id: intersect_count
SELECT count(*) FROM (SELECT src FROM knows INTERSECT SELECT src FROM works_at) t
-- id: intersect_all
SELECT x FROM (VALUES (1), (1), (1), (2)) a(x) INTERSECT ALL SELECT y FROM (VALUES (1), (1), (3)) b(y) ORDER BY 1
-- id: except
SELECT id FROM person EXCEPT SELECT src FROM knows ORDER BY 1
-- id: except_count
SELECT count(*) FROM (SELECT id FROM person EXCEPT SELECT src FROM works_at) t
-- id: except_all
SELECT x FROM (VALUES (1), (1), (1), (2)) a(x) EXCEPT ALL SELECT y FROM (VALUES (1), (3)) b(y) ORDER BY 1
-- id: except_all_counts
SELECT city, count(*) FROM (SELECT city FROM person EXCEPT ALL SELECT city FROM person WHERE age > 40) t GROUP BY city ORDER BY city
-- id: intersect_all_counts
SELECT city, count(*) FROM (SELECT city FROM person INTERSECT ALL SELECT city FROM person WHERE age > 60) t GROUP BY city ORDER BY city
-- id: union_precedence
SELECT 1 UNION SELECT 2 INTERSECT SELECT 2 ORDER BY 1
-- id: except_null
SELECT NULL::int EXCEPT SELECT NULL::int
-- id: union_types_three
SELECT 1 UNION SELECT 2.5 UNION SELECT 3::bigint ORDER BY 1
-- id: union_bool_int_error
SELECT true UNION SELECT 1
-- id: union_all_distinct_mix
SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 1 UNION SELECT 2) t ORDER BY 1
-- id: union_in_subquery
SELECT count(*) FROM person WHERE city IN (SELECT 'Oslo' UNION SELECT 'Rome')
-- id: union_float_int
SELECT 1.5::float8 UNION SELECT 2 ORDER BY 1
-- id: union_varchar_text
SELECT 'a'::varchar(3) UNION SELECT 'bb'::text ORDER BY 1
-- id: intersect_all_nulls
SELECT x FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) a(x) INTERSECT ALL SELECT y FROM (VALUES (1), (1), (3), (NULL)) b(y) ORDER BY 1
-- id: except_all_nulls
SELECT x FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) a(x) EXCEPT ALL SELECT y FROM (VALUES (1), (3), (NULL)) b(y) ORDER BY 1
-- id: except_all_two_columns
SELECT a, b FROM (VALUES (1, 'x'), (1, 'x'), (1, 'y'), (2, NULL), (2, NULL)) t(a, b) EXCEPT ALL SELECT a, b FROM (VALUES (1, 'x'), (2, NULL)) u(a, b) ORDER BY 1, 2
-- id: intersect_all_right_larger
SELECT x FROM (VALUES (1), (2)) a(x) INTERSECT ALL SELECT y FROM (VALUES (1), (1), (1), (2), (2)) b(y) ORDER BY 1
-- id: union_text_varchar
SELECT 'bb'::text UNION SELECT 'a'::varchar(3) ORDER BY 1
-- id: union_varchar_text_typeof
SELECT DISTINCT pg_typeof(x) FROM (SELECT 'a'::varchar(3) AS x UNION ALL SELECT 'b'::text) u
