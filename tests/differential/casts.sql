-- Casts between types: text <-> numbers, booleans, dates; invalid input; type of result.

-- id: text_to_int
SELECT '42'::int
-- id: text_to_int_spaces
SELECT ' 42 '::int
-- id: text_to_int_invalid
SELECT 'abc'::int
-- id: text_to_int_decimal
SELECT '1.5'::int
-- id: numeric_to_int_round
SELECT 1.5::int, 2.5::int, (-1.5)::int
-- id: float_to_int_round
SELECT 1.5::float8::int, 2.5::float8::int, (-2.5)::float8::int
-- id: int_to_smallint_overflow
SELECT 40000::smallint
-- id: bigint_to_int_overflow
SELECT 3000000000::int
-- id: text_to_bigint
SELECT '9223372036854775807'::bigint
-- id: text_to_bigint_overflow
SELECT '9223372036854775808'::bigint
-- id: text_to_numeric
SELECT '123.4500'::numeric
-- id: numeric_typmod
SELECT 123.456::numeric(5,2)
-- id: numeric_typmod_overflow
SELECT 1234.5::numeric(5,2)
-- id: text_to_float8
SELECT '1.25'::float8, '-0'::float8
-- id: text_to_float_special
SELECT 'NaN'::float8, 'Infinity'::float8, '-Infinity'::float8
-- id: text_to_float4
SELECT '3.14159265358979'::float4
-- id: int_to_text
SELECT 42::text, (-7)::text
-- id: float_to_text
SELECT 0.1::float8::text, 1e20::float8::text, 1e-5::float8::text
-- id: numeric_to_text
SELECT 1.50::numeric::text
-- id: bool_to_text
SELECT true::text, false::text
-- id: text_to_bool
SELECT 'yes'::boolean, 'off'::boolean, 't'::boolean, '0'::boolean
-- id: text_to_bool_invalid
SELECT 'maybe'::boolean
-- id: int_to_bool
SELECT 1::boolean, 0::boolean
-- id: bool_to_int
SELECT true::int, false::int
-- id: text_to_date
SELECT '2024-02-29'::date
-- id: text_to_date_invalid
SELECT '2023-02-29'::date
-- id: text_to_timestamp
SELECT '2024-01-02 03:04:05'::timestamp
-- id: text_to_timestamp_fraction
SELECT '2024-01-02 03:04:05.123456'::timestamp
-- id: text_to_timestamptz
SELECT '2024-01-02 03:04:05+02'::timestamptz
-- id: date_to_timestamp
SELECT '2024-01-02'::date::timestamp
-- id: timestamp_to_date
SELECT '2024-01-02 23:59:59'::timestamp::date
-- id: date_to_text
SELECT '2024-01-02'::date::text
-- id: text_to_time
SELECT '13:45:00'::time
-- id: text_to_interval
SELECT '1 day 2 hours'::interval
-- id: text_to_varchar_n
SELECT 'abcdef'::varchar(3)
-- id: text_to_char_n
SELECT 'ab'::char(4), length('ab'::char(4))
-- id: cast_function_syntax
SELECT CAST(1 AS text), CAST('1' AS integer)
-- id: int_literal_type
SELECT pg_typeof(1), pg_typeof(3000000000), pg_typeof(1.5), pg_typeof('a')
-- id: typeof_expressions
SELECT pg_typeof(1 + 1.5), pg_typeof(1::smallint + 1::smallint), pg_typeof(1 / 2)
-- id: typeof_float_mix
SELECT pg_typeof(1::float4 + 1::float8), pg_typeof(1::int + 1::float4)
-- id: typeof_text_concat
SELECT pg_typeof('a' || 1)
-- id: int2_type_oid
SELECT 1::int2, 1::int4, 1::int8
-- id: real_double_names
SELECT 1::real, 1::double precision
-- id: cast_column_age_text
SELECT age::text FROM person ORDER BY id LIMIT 3
-- id: cast_column_age_numeric
SELECT age::numeric / 3 FROM person ORDER BY id LIMIT 3
-- id: cast_column_since_text
SELECT since::text FROM knows WHERE since IS NOT NULL ORDER BY since LIMIT 3
-- id: cast_null_typed
SELECT NULL::int, NULL::text, NULL::date
-- id: cast_text_array
SELECT '{1,2,3}'::int[]
-- id: cast_array_to_text
SELECT ARRAY[1,2]::text
-- id: cast_int_to_numeric_scale
SELECT 5::numeric(10,3)
-- id: cast_bigint_to_float4
SELECT 123456789::float4
-- id: cast_float_to_numeric
SELECT 0.1::float8::numeric
-- id: cast_numeric_to_float
SELECT 1.1::numeric::float8
-- id: cast_large_float_to_int
SELECT 1e10::float8::int
-- id: cast_nan_to_int
SELECT 'NaN'::float8::int
-- id: cast_text_to_oid
SELECT '123'::oid
-- id: cast_regclass
SELECT 'person'::regclass::text
-- id: cast_regclass_missing
SELECT 'no_such_table'::regclass
-- id: cast_regtype
SELECT 'integer'::regtype::text, 'int8'::regtype::text
-- id: cast_unknown_type
SELECT 1::no_such_type
-- id: cast_json
SELECT '{"a": 1}'::json
-- id: cast_jsonb_text
SELECT '{"b": 1, "a": 2}'::jsonb::text
-- id: cast_bytea
SELECT 'abc'::bytea
-- id: cast_uuid
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid
-- id: cast_uuid_invalid
SELECT 'not-a-uuid'::uuid
-- id: cast_int_to_char
SELECT 65::int::text::char(1)
-- id: implicit_text_int_compare
SELECT 1 = '1'
-- id: implicit_text_column_compare
SELECT count(*) FROM person WHERE age = '40'
-- id: cast_boolean_and_int_compare
SELECT true = 1
-- id: text_to_smallint_overflow
SELECT '40000'::smallint
-- id: varchar_n_type
SELECT 'abc'::varchar(5), pg_typeof('abc'::varchar(5)), pg_typeof('abc'::char(5))
-- id: char_n_as_text
SELECT 'ab'::char(4) || 'x', 'ab'::char(4)::text
-- id: typeof_values_and_array
SELECT pg_typeof(x), pg_typeof(ARRAY[x]) FROM (VALUES (1)) t(x)
-- id: typeof_int_with_bigint
SELECT pg_typeof(1 + 1::bigint), pg_typeof(age + 1), pg_typeof(NULL) FROM person LIMIT 1
-- id: case_bool_int_error
SELECT CASE WHEN true THEN 1 ELSE false END
