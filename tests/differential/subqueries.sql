-- Scalar, IN, EXISTS, ANY/ALL and correlated subqueries.

-- id: scalar_subquery
SELECT (SELECT count(*) FROM company) AS n
-- id: scalar_subquery_correlated
SELECT c.name, (SELECT count(*) FROM works_at w WHERE w.dst = c.id) AS staff FROM company c ORDER BY c.name
-- id: scalar_subquery_multiple_rows
SELECT (SELECT name FROM company)
-- id: scalar_subquery_empty
SELECT (SELECT name FROM company WHERE false)
-- id: in_subquery
SELECT count(*) FROM person WHERE id IN (SELECT src FROM works_at)
-- id: not_in_subquery
SELECT count(*) FROM person WHERE id NOT IN (SELECT src FROM works_at)
-- id: exists_correlated
SELECT name FROM company c WHERE EXISTS (SELECT 1 FROM works_at w WHERE w.dst = c.id AND w.role = 'ceo') ORDER BY name
-- id: not_exists_correlated
SELECT count(*) FROM person p WHERE NOT EXISTS (SELECT 1 FROM knows k WHERE k.src = p.id)
-- id: exists_in_select
SELECT name, EXISTS (SELECT 1 FROM works_at w WHERE w.dst = c.id) FROM company c ORDER BY name LIMIT 3
-- id: in_subquery_in_select
SELECT name, id IN (SELECT dst FROM works_at WHERE role = 'engineer') FROM company ORDER BY name LIMIT 5
-- id: any_subquery
SELECT count(*) FROM person WHERE age = ANY (SELECT age FROM person WHERE city = 'Oslo')
-- id: all_subquery
SELECT name, age FROM person WHERE age > ALL (SELECT age FROM person WHERE city = 'Lima') ORDER BY name
-- id: all_subquery_empty
SELECT count(*) FROM person WHERE age > ALL (SELECT age FROM person WHERE false)
-- id: any_subquery_empty
SELECT count(*) FROM person WHERE age = ANY (SELECT age FROM person WHERE false)
-- id: some_subquery
SELECT count(*) FROM person WHERE age < SOME (SELECT 20)
-- id: all_with_null
SELECT 5 > ALL (SELECT x FROM (VALUES (1), (NULL)) v(x))
-- id: any_array_literal
SELECT count(*) FROM person WHERE city = ANY (ARRAY['Oslo', 'Rome'])
-- id: all_array_literal
SELECT 5 > ALL (ARRAY[1, 2, 3]), 5 = ALL (ARRAY[5, 5])
-- id: any_array_null
SELECT 1 = ANY (ARRAY[2, NULL]), 1 = ANY (ARRAY[1, NULL])
-- id: any_text_array_cast
SELECT count(*) FROM person WHERE city = ANY ('{Oslo,Rome}'::text[])
-- id: ne_all
SELECT count(*) FROM person WHERE city <> ALL (ARRAY['Oslo', 'Rome'])
-- id: subquery_in_from
SELECT city, n FROM (SELECT city, count(*) AS n FROM person GROUP BY city) t WHERE n > 20 ORDER BY city
-- id: subquery_in_from_no_alias
SELECT count(*) FROM (SELECT 1)
-- id: correlated_in_where
SELECT name, age FROM person p WHERE age = (SELECT max(age) FROM person q WHERE q.city = p.city) ORDER BY name
-- id: correlated_in_having
SELECT city FROM person p GROUP BY city HAVING max(age) > (SELECT avg(age) + 30 FROM person) ORDER BY city
-- id: nested_subqueries
SELECT name FROM company WHERE id IN (SELECT dst FROM works_at WHERE src IN (SELECT id FROM person WHERE age > 76)) ORDER BY name
-- id: subquery_order_limit
SELECT name FROM (SELECT name FROM person ORDER BY age DESC, name LIMIT 3) t ORDER BY name
-- id: scalar_subquery_in_order
SELECT name FROM company c ORDER BY (SELECT count(*) FROM works_at w WHERE w.dst = c.id) DESC, name LIMIT 3
-- id: row_subquery_in
SELECT count(*) FROM person WHERE (city, age) IN (SELECT city, max(age) FROM person GROUP BY city)
-- id: scalar_subquery_type
SELECT (SELECT 1) + 1
-- id: in_empty_subquery_null
SELECT NULL::int IN (SELECT 1 WHERE false)
-- id: exists_limit_zero
SELECT EXISTS (SELECT 1 FROM person LIMIT 0)
-- id: in_values_subquery
SELECT count(*) FROM person WHERE age IN (VALUES (40), (41))
-- id: lateral_top_n
SELECT c.name, t.name FROM company c, LATERAL (SELECT p.name FROM works_at w JOIN person p ON p.id = w.src WHERE w.dst = c.id ORDER BY p.age DESC, p.name LIMIT 1) t ORDER BY c.name LIMIT 5
-- id: any_all_null_cases
SELECT 5 > ANY (SELECT x FROM (VALUES (1), (NULL)) v(x)), 0 > ANY (SELECT x FROM (VALUES (1), (NULL)) v(x)), 1 <> ALL (SELECT x FROM (VALUES (1), (NULL)) v(x)), 2 = ALL (SELECT x FROM (VALUES (2), (2)) v(x)), 2 <> ANY (SELECT x FROM (VALUES (2), (2)) v(x)), NULL::int < ALL (SELECT 1 WHERE false)
-- id: any_subquery_in_select
SELECT name, age >= ALL (SELECT age FROM person q WHERE q.city = p.city) FROM person p ORDER BY name LIMIT 5
-- id: not_in_subquery_in_select
SELECT name, id NOT IN (SELECT dst FROM works_at WHERE role = 'engineer') FROM company ORDER BY name LIMIT 5
-- id: exists_in_case
SELECT name, CASE WHEN EXISTS (SELECT 1 FROM works_at w WHERE w.dst = c.id AND w.role = 'ceo') THEN 'led' ELSE 'not led' END FROM company c ORDER BY name LIMIT 5
-- id: any_array_null_other_operators
SELECT 1 <> ANY (ARRAY[1, NULL]), 3 > ANY (ARRAY[5, NULL]), 6 > ANY (ARRAY[5, NULL]), 1 = ALL (ARRAY[1, NULL]), 1 = ANY (ARRAY[]::int[])
-- id: any_array_null_under_not
SELECT count(*) FROM person WHERE NOT (city = ANY (ARRAY['Oslo', NULL]))
-- id: scalar_subquery_empty_coalesced
SELECT coalesce((SELECT name FROM company WHERE false), 'none')
