-- Arrays: constructors, indexing, functions, text form, unnest.

-- id: array_literal
SELECT ARRAY[1, 2, 3]
-- id: array_text_literal
SELECT ARRAY['a', 'b c', NULL]
-- id: array_empty_typed
SELECT ARRAY[]::int[]
-- id: array_quoted_text
SELECT '{"a,b",c}'::text[]
-- id: array_index
SELECT (ARRAY[10, 20, 30])[2], (ARRAY[10, 20, 30])[5]
-- id: array_slice
SELECT (ARRAY[10, 20, 30, 40])[2:3]
-- id: array_length_functions
SELECT array_length(ARRAY[1, 2, 3], 1), cardinality(ARRAY[1, 2]), array_ndims(ARRAY[1])
-- id: array_length_empty
SELECT array_length(ARRAY[]::int[], 1), cardinality(ARRAY[]::int[])
-- id: array_append_prepend
SELECT array_append(ARRAY[1, 2], 3), array_prepend(0, ARRAY[1, 2])
-- id: array_cat
SELECT array_cat(ARRAY[1], ARRAY[2, 3]), ARRAY[1] || ARRAY[2], ARRAY[1] || 2
-- id: array_position
SELECT array_position(ARRAY['a', 'b', 'c'], 'b'), array_positions(ARRAY[1, 2, 1], 1)
-- id: array_remove_replace
SELECT array_remove(ARRAY[1, 2, 1], 1), array_replace(ARRAY[1, 2, 1], 1, 9)
-- id: array_to_string
SELECT array_to_string(ARRAY[1, NULL, 3], ','), array_to_string(ARRAY[1, NULL, 3], ',', '*')
-- id: array_contains
SELECT ARRAY[1, 2, 3] @> ARRAY[2], ARRAY[2] <@ ARRAY[1, 2], ARRAY[1, 2] && ARRAY[2, 5]
-- id: array_equality
SELECT ARRAY[1, 2] = ARRAY[1, 2], ARRAY[1, 2] < ARRAY[1, 3]
-- id: array_lower_upper
SELECT array_lower(ARRAY[1, 2], 1), array_upper(ARRAY[1, 2], 1)
-- id: array_dims
SELECT array_dims(ARRAY[1, 2, 3])
-- id: unnest
SELECT unnest(ARRAY[3, 1, 2]) AS x ORDER BY x
-- id: unnest_from
SELECT x FROM unnest(ARRAY['b', 'a']) AS t(x) ORDER BY x
-- id: unnest_with_ordinality
SELECT * FROM unnest(ARRAY['a', 'b']) WITH ORDINALITY AS t(x, n) ORDER BY n
-- id: unnest_column_name
SELECT * FROM unnest(ARRAY[1, 2]) ORDER BY 1
-- id: array_agg_then_unnest
SELECT count(*) FROM (SELECT unnest(array_agg(name)) FROM company) t
-- id: array_two_dim
SELECT ARRAY[[1, 2], [3, 4]]
-- id: array_float
SELECT ARRAY[1.5, 2.25]::float8[]
-- id: array_bool
SELECT ARRAY[true, false]
-- id: array_of_dates
SELECT ARRAY[DATE '2024-01-01', DATE '2024-01-02']
-- id: array_in_where_any
SELECT name FROM company WHERE id = ANY (ARRAY['acme', 'globex']) ORDER BY name
-- id: array_subquery_constructor
SELECT ARRAY(SELECT name FROM company ORDER BY name LIMIT 3)
-- id: array_string_escape
SELECT ARRAY['a"b', 'c\d', '']
-- id: array_int_type_oid
SELECT ARRAY[1::bigint], ARRAY[1::smallint]
-- id: array_null_element_text
SELECT ARRAY[NULL::int, 1]
-- id: array_mixed_types
SELECT ARRAY[1, 2.5]
-- id: array_index_column
SELECT (string_to_array(name, '.'))[1] FROM person ORDER BY id LIMIT 3
-- id: array_upper_bound_error
SELECT ARRAY[1, 2] || ARRAY['a']
-- id: generate_series_int
SELECT generate_series(1, 5)
-- id: generate_series_step
SELECT * FROM generate_series(10, 0, -3) ORDER BY 1 DESC
-- id: generate_series_from_column_name
SELECT g FROM generate_series(1, 3) g ORDER BY g
-- id: array_length_missing_dimension
SELECT array_length(ARRAY[1, 2], 2), array_dims(ARRAY[]::int[])
-- id: cast_array_to_text_quoting
SELECT ARRAY['a b', NULL, '', 'x"y']::text, ARRAY[true, false]::text, ARRAY[[1, 2], [3, 4]]::text
-- id: text_column_to_array
SELECT t::int[] FROM (VALUES (1, '{1,2}'), (2, '{}'), (3, NULL)) v(k, t) ORDER BY k
-- id: array_subquery_constructor_empty
SELECT ARRAY(SELECT name FROM company WHERE false)
-- id: array_overlap
SELECT ARRAY[1] && ARRAY[3], ARRAY['a'] && ARRAY['a', 'b']
-- id: generate_series_in_expression
SELECT (generate_series(1, 3) * 10)::int AS x ORDER BY x
-- id: unnest_alias_column
SELECT u FROM unnest(ARRAY['b', 'a']) u ORDER BY u
