-- Run over the extended protocol with psycopg 3 server-side binding: `-- params:` is a JSON
-- list; `%s` placeholders become $1, $2 ...; JSON lists are sent as PostgreSQL arrays.

-- id: param_int
-- params: [40]
SELECT count(*) FROM person WHERE age = %s
-- id: param_text
-- params: ["Oslo"]
SELECT name FROM person WHERE city = %s ORDER BY name LIMIT 3
-- id: param_select_value
-- params: [5, "x"]
SELECT %s, %s
-- id: param_limit
-- params: [3]
SELECT name FROM person ORDER BY name LIMIT %s
-- id: param_offset
-- params: [2, 5]
SELECT name FROM person ORDER BY name LIMIT %s OFFSET %s
-- id: param_offset_only
-- params: [198]
SELECT name FROM person ORDER BY name OFFSET %s
-- id: param_any_int_list
-- params: [[40, 41, 42]]
SELECT count(*) FROM person WHERE age = ANY(%s)
-- id: param_any_text_list
-- params: [["Oslo", "Rome"]]
SELECT city, count(*) FROM person WHERE city = ANY(%s) GROUP BY city ORDER BY city
-- id: param_any_empty_list
-- params: [[]]
SELECT count(*) FROM person WHERE city = ANY(%s)
-- id: param_all_list
-- params: [["Oslo", "Rome"]]
SELECT count(*) FROM person WHERE city <> ALL(%s)
-- id: param_text_array_cast
-- params: [["acme", "globex"]]
SELECT name FROM company WHERE id = ANY(%s::text[]) ORDER BY name
-- id: param_array_value
-- params: [[1, 2, 3]]
SELECT %s::int[]
-- id: param_array_length
-- params: [["a", "b"]]
SELECT array_length(%s::text[], 1)
-- id: param_unnest
-- params: [["b", "a", "c"]]
SELECT x FROM unnest(%s::text[]) AS t(x) ORDER BY x
-- id: param_in_expression
-- params: [10]
SELECT age + %s FROM person ORDER BY id LIMIT 3
-- id: param_null
-- params: [null]
SELECT count(*) FROM person WHERE city = %s
-- id: param_is_null
-- params: [null]
SELECT %s::int IS NULL
-- id: param_like
-- params: ["bob.%%"]
SELECT count(*) FROM person WHERE name LIKE %s
-- id: param_float
-- params: [2.5]
SELECT %s * 2
-- id: param_bool
-- params: [true]
SELECT count(*) FROM person WHERE (age > 50) = %s
-- id: param_date_text
-- params: ["2020-01-01"]
SELECT count(*) FROM knows WHERE since > %s::date
-- id: param_between
-- params: [30, 40]
SELECT count(*) FROM person WHERE age BETWEEN %s AND %s
-- id: param_in_subquery
-- params: ["engineer"]
SELECT count(*) FROM person WHERE id IN (SELECT src FROM works_at WHERE role = %s)
-- id: param_repeated
-- params: ["Oslo", "Oslo"]
SELECT count(*) FROM person WHERE city = %s OR city = %s
-- id: param_bigint
-- params: [3000000000]
SELECT %s + 1
-- id: param_in_cte
-- params: [75]
WITH old AS (SELECT * FROM person WHERE age > %s) SELECT count(*) FROM old
-- id: param_case
-- params: ["x", "y"]
SELECT CASE WHEN age > 50 THEN %s ELSE %s END AS band, count(*) FROM person GROUP BY 1 ORDER BY 1
-- id: param_limit_null
-- params: [null]
SELECT count(*) FROM (SELECT name FROM person LIMIT %s) t
-- id: param_limit_negative
-- params: [-1]
SELECT name FROM person LIMIT %s
-- id: param_text_for_int_column
-- params: ["40"]
SELECT count(*) FROM person WHERE age = %s::int
-- id: param_limit_untyped_text
-- params: ["3", "5"]
SELECT name FROM person ORDER BY name LIMIT %s OFFSET %s
-- id: param_offset_negative
-- params: [-1]
SELECT name FROM person OFFSET %s
-- id: param_any_bigint_list
-- params: [[40, 41, 9000000000]]
SELECT count(*) FROM person WHERE age = ANY(%s)
-- id: param_array_nulls_and_quotes
-- params: [["a,b", null, "", "NULL", "say \"hi\""]]
SELECT %s::text[]
