-- Scalar expressions, operators, CASE, comparisons, boolean logic.
-- Format: see tests/test_differential.py (`-- id: name`, then the query).

-- id: int_literal
SELECT 1
-- id: bigint_literal
SELECT 3000000000
-- id: numeric_literal
SELECT 1.5
-- id: exp_literal
SELECT 1e3
-- id: string_literal
SELECT 'hello'
-- id: escape_string
SELECT E'a\tb'
-- id: bool_literal
SELECT true, false
-- id: null_literal
SELECT NULL
-- id: multiple_columns
SELECT 1 AS a, 'x' AS b, 2.5 AS c
-- id: unnamed_expression
SELECT 1 + 2
-- id: case_simple
SELECT CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END
-- id: case_searched
SELECT CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END
-- id: case_no_else
SELECT CASE WHEN false THEN 1 END
-- id: case_mixed_types
SELECT CASE WHEN true THEN 1 ELSE 2.5 END
-- id: case_over_table
SELECT name, CASE WHEN age < 30 THEN 'young' WHEN age < 60 THEN 'middle' ELSE 'old' END AS band FROM person ORDER BY name LIMIT 10
-- id: coalesce_basic
SELECT coalesce(NULL, 2, 3)
-- id: nullif_basic
SELECT nullif(1, 1), nullif(1, 2)
-- id: greatest_least
SELECT greatest(1, 5, 3), least(1, 5, 3)
-- id: greatest_null
SELECT greatest(1, NULL, 3), least(NULL, NULL::int)
-- id: greatest_mixed
SELECT greatest(1, 2.5)
-- id: between
SELECT 5 BETWEEN 1 AND 10, 5 NOT BETWEEN 1 AND 10
-- id: between_symmetric
SELECT 5 BETWEEN SYMMETRIC 10 AND 1
-- id: in_list
SELECT 3 IN (1, 2, 3), 4 NOT IN (1, 2, 3)
-- id: in_list_null
SELECT 4 IN (1, 2, NULL), 4 NOT IN (1, NULL)
-- id: is_distinct
SELECT 1 IS DISTINCT FROM NULL, NULL IS NOT DISTINCT FROM NULL
-- id: boolean_logic
SELECT true AND NULL, false AND NULL, true OR NULL, NOT NULL::boolean
-- id: is_true
SELECT NULL::boolean IS TRUE, NULL::boolean IS NOT FALSE, NULL::boolean IS UNKNOWN
-- id: comparison_chain
SELECT 1 < 2, 2 <= 2, 3 <> 3, 3 != 4, 'a' < 'b'
-- id: row_comparison
SELECT (1, 2) < (1, 3), (1, 2) = (1, 2)
-- id: where_and_or
SELECT name FROM person WHERE (city = 'Oslo' OR city = 'Rome') AND age > 50 ORDER BY name
-- id: where_in_list
SELECT name, city FROM person WHERE city IN ('Lima', 'Quito') ORDER BY name LIMIT 8
-- id: where_like
SELECT name FROM person WHERE name LIKE 'bob.%' ORDER BY name
-- id: where_ilike
SELECT name FROM person WHERE name ILIKE 'ALICE.S%' ORDER BY name
-- id: where_not_like
SELECT count(*) FROM person WHERE name NOT LIKE '%a%'
-- id: like_escape
SELECT 'a_b' LIKE 'a\_b', 'axb' LIKE 'a\_b'
-- id: similar_to
SELECT 'abc' SIMILAR TO 'a(b|c)c', 'abd' SIMILAR TO 'a(b|c)c'
-- id: regex_match
SELECT 'alice' ~ '^al', 'alice' ~* '^AL', 'alice' !~ 'z'
-- id: regex_where
SELECT name FROM person WHERE name ~ '^(eve|dave)\.s' ORDER BY name
-- id: select_star_limit
SELECT * FROM person ORDER BY id LIMIT 5
-- id: select_distinct
SELECT DISTINCT city FROM person ORDER BY city
-- id: select_distinct_on
SELECT DISTINCT ON (city) city, name, age FROM person ORDER BY city, age DESC, name
-- id: order_desc_nulls
SELECT name, since FROM knows JOIN person ON person.id = knows.src ORDER BY since DESC, knows.id LIMIT 5
-- id: order_nulls_first
SELECT since FROM knows ORDER BY since NULLS FIRST, id LIMIT 3
-- id: order_nulls_last_desc
SELECT since FROM knows ORDER BY since DESC NULLS LAST, id LIMIT 3
-- id: order_by_ordinal
SELECT city, count(*) FROM person GROUP BY 1 ORDER BY 2 DESC, 1
-- id: order_by_alias
SELECT age * 2 AS twice FROM person ORDER BY twice DESC, 1 LIMIT 3
-- id: order_by_expression_not_selected
SELECT name FROM person ORDER BY length(name) DESC, name LIMIT 5
-- id: limit_offset
SELECT name FROM person ORDER BY name LIMIT 3 OFFSET 10
-- id: offset_only
SELECT name FROM person ORDER BY name OFFSET 197
-- id: fetch_first
SELECT name FROM person ORDER BY name FETCH FIRST 2 ROWS ONLY
-- id: limit_all
SELECT count(*) FROM (SELECT * FROM person LIMIT ALL) t
-- id: limit_zero
SELECT name FROM person LIMIT 0
-- id: join_inner
SELECT p.name, c.name AS company, w.role FROM works_at w JOIN person p ON p.id = w.src JOIN company c ON c.id = w.dst ORDER BY p.name, c.name LIMIT 10
-- id: join_left
SELECT p.name, w.role FROM person p LEFT JOIN works_at w ON w.src = p.id ORDER BY p.name, w.role NULLS FIRST LIMIT 10
-- id: join_left_count_null
SELECT count(*) FROM person p LEFT JOIN works_at w ON w.src = p.id WHERE w.id IS NULL
-- id: join_right
SELECT c.name, count(w.id) FROM works_at w RIGHT JOIN company c ON c.id = w.dst GROUP BY c.name ORDER BY c.name
-- id: join_full
SELECT count(*) FROM person p FULL JOIN works_at w ON w.src = p.id
-- id: join_cross_count
SELECT count(*) FROM company a CROSS JOIN company b
-- id: join_using
SELECT count(*) FROM knows JOIN works_at USING (src)
-- id: join_using_star
SELECT * FROM company JOIN (SELECT id, 'x' AS tag FROM company) t USING (id) ORDER BY id LIMIT 3
-- id: join_natural
SELECT * FROM company NATURAL JOIN (SELECT id, name FROM company WHERE industry = 'energy') t ORDER BY id
-- id: self_join_knows
SELECT a.name, b.name FROM knows k JOIN person a ON a.id = k.src JOIN person b ON b.id = k.dst WHERE a.city = b.city ORDER BY 1, 2 LIMIT 10
-- id: lateral_join
SELECT p.name, t.n FROM person p, LATERAL (SELECT count(*) AS n FROM knows k WHERE k.src = p.id) t ORDER BY t.n DESC, p.name LIMIT 5
-- id: values_list
SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, s) ORDER BY n
-- id: values_bare
VALUES (1, 'one'), (2, 'two')
-- id: values_column_names
SELECT * FROM (VALUES (1), (2)) v ORDER BY 1
-- id: table_alias_columns
SELECT x, y FROM company AS c(x, y) ORDER BY x LIMIT 2
-- id: select_no_from_where
SELECT 1 WHERE false
-- id: group_by_having
SELECT city, count(*) AS n FROM person GROUP BY city HAVING count(*) > 20 ORDER BY city
-- id: qualified_star
SELECT c.* FROM company c ORDER BY c.id LIMIT 2
-- id: quoted_identifier
SELECT name AS "Name With Space" FROM company ORDER BY 1 LIMIT 1
-- id: upper_case_identifier
SELECT NAME FROM COMPANY ORDER BY Name LIMIT 1
-- id: column_name_of_function
SELECT lower('A'), upper('b'), length('abc')
-- id: column_name_of_cast
SELECT '1'::int, CAST('2' AS bigint)
-- id: column_name_of_case
SELECT CASE WHEN true THEN 1 END
-- id: column_name_of_operator
SELECT 1 + 1, 'a' || 'b'
-- id: column_name_of_subquery
SELECT (SELECT 1)
-- id: column_name_of_literal
SELECT 'x', 1, NULL
-- id: column_name_of_coalesce
SELECT coalesce(1, 2), nullif(1, 2), greatest(1, 2)
-- id: column_name_exists
SELECT EXISTS (SELECT 1)
-- id: not_between_symmetric
SELECT 5 NOT BETWEEN SYMMETRIC 10 AND 1, 11 NOT BETWEEN SYMMETRIC 10 AND 1
-- id: fetch_first_offset
SELECT name FROM person ORDER BY name OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY
