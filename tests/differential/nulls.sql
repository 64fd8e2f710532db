-- NULL semantics in expressions, filters, ordering, grouping and joins.

-- id: null_arith
SELECT 1 + NULL, NULL * 2
-- id: null_compare
SELECT NULL = NULL, NULL <> 1, NULL IS NULL
-- id: null_concat_function
SELECT concat(NULL, NULL)
-- id: null_in_where
SELECT count(*) FROM knows WHERE since = NULL
-- id: is_null_count
SELECT count(*) FROM knows WHERE since IS NULL
-- id: is_not_null_count
SELECT count(*), count(since) FROM knows
-- id: null_order_default_asc
SELECT since FROM knows ORDER BY since, id LIMIT 2 OFFSET 498
-- id: null_order_default_desc
SELECT since FROM knows ORDER BY since DESC, id LIMIT 2
-- id: null_group_by
SELECT industry IS NULL AS missing, count(*) FROM company GROUP BY 1 ORDER BY 1
-- id: null_group_key
SELECT since IS NULL, count(*) FROM knows GROUP BY since IS NULL ORDER BY 1
-- id: null_distinct
SELECT count(DISTINCT since), count(*) FROM (SELECT since FROM knows ORDER BY id LIMIT 50) t
-- id: null_sum_avg
SELECT sum(x), avg(x), min(x), max(x), count(x) FROM (VALUES (NULL::int), (NULL::int)) v(x)
-- id: null_sum_empty
SELECT sum(age), avg(age), count(age) FROM person WHERE false
-- id: null_in_subquery
SELECT 1 IN (SELECT NULL::int), 1 NOT IN (SELECT NULL::int)
-- id: null_not_in_filter
SELECT count(*) FROM person WHERE age NOT IN (SELECT NULL::int)
-- id: null_coalesce_column
SELECT coalesce(since::text, 'never') FROM knows ORDER BY id LIMIT 5
-- id: null_nullif_column
SELECT nullif(city, 'Oslo') FROM person ORDER BY id LIMIT 5
-- id: null_case
SELECT CASE NULL WHEN NULL THEN 'eq' ELSE 'ne' END
-- id: null_left_join_filter
SELECT c.name FROM company c LEFT JOIN works_at w ON w.dst = c.id AND w.role = 'nobody' WHERE w.id IS NULL ORDER BY c.name
-- id: null_join_key
SELECT count(*) FROM (VALUES (1), (NULL)) a(x) JOIN (VALUES (1), (NULL)) b(y) ON a.x = b.y
-- id: null_union_dedup
SELECT NULL::int UNION SELECT NULL::int
-- id: null_array_agg
SELECT array_agg(x ORDER BY x) FROM (VALUES (2), (NULL), (1)) v(x)
-- id: null_string_agg
SELECT string_agg(x, ',') FROM (VALUES ('a'), (NULL), ('b')) v(x)
-- id: null_greatest_all
SELECT greatest(NULL::int, NULL::int)
-- id: null_bool_and
SELECT bool_and(x), bool_or(x) FROM (VALUES (true), (NULL)) v(x)
-- id: null_is_distinct_column
SELECT count(*) FROM knows WHERE since IS DISTINCT FROM NULL
-- id: null_row_count_star
SELECT count(*) FROM (VALUES (NULL), (NULL)) v(x)
-- id: null_untyped_select
SELECT NULL AS n, NULL::text AS t
-- id: null_untyped_union
SELECT NULL UNION ALL SELECT 1 ORDER BY 1
-- id: null_untyped_case
SELECT CASE WHEN false THEN NULL ELSE NULL END
-- id: null_untyped_coalesce
SELECT coalesce(NULL, NULL)
-- id: null_max_text
SELECT max(industry), min(industry) FROM company
-- id: null_order_nulls_first_desc
SELECT industry FROM company ORDER BY industry DESC NULLS FIRST, id LIMIT 3
-- id: null_window_lag
SELECT id, lag(since) OVER (ORDER BY id) FROM knows ORDER BY id LIMIT 3
