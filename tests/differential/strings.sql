-- String functions and operators.

-- id: concat_operator
SELECT 'a' || 'b' || 'c'
-- id: concat_with_int
SELECT 'n=' || 42
-- id: concat_null
SELECT 'a' || NULL
-- id: concat_function_null
SELECT concat('a', NULL, 'b', 1)
-- id: concat_ws
SELECT concat_ws(', ', 'a', NULL, 'b')
-- id: length_variants
SELECT length('héllo'), char_length('héllo'), octet_length('héllo'), bit_length('ab')
-- id: upper_lower
SELECT upper('héllo'), lower('ÀBC'), initcap('hello wORLD')
-- id: substring_from_for
SELECT substring('abcdef' FROM 2 FOR 3), substring('abcdef' FROM 3)
-- id: substr_function
SELECT substr('abcdef', 2, 3), substr('abcdef', 0, 2), substr('abcdef', -1, 3)
-- id: substr_negative_length
SELECT substr('abcdef', 2, -1)
-- id: substring_regex
SELECT substring('alice.smith' FROM '\.(.*)$')
-- id: position
SELECT position('c' IN 'abcabc'), strpos('abcabc', 'ca')
-- id: left_right
SELECT left('abcdef', 2), right('abcdef', 2), left('abcdef', -2)
-- id: trim_variants
SELECT trim('  x  '), ltrim('  x  '), rtrim('  x  '), trim(BOTH 'x' FROM 'xxaxx')
-- id: trim_leading_chars
SELECT trim(LEADING 'ab' FROM 'abbaxab'), btrim('xyxhixy', 'xy')
-- id: lpad_rpad
SELECT lpad('7', 3, '0'), rpad('ab', 5, '-'), lpad('abcdef', 3)
-- id: repeat_reverse
SELECT repeat('ab', 3), reverse('abc')
-- id: replace_translate
SELECT replace('a-b-c', '-', '+'), translate('abc', 'ab', 'xy')
-- id: split_part
SELECT split_part('a,b,c', ',', 2), split_part('a,b,c', ',', 5)
-- id: split_part_negative
SELECT split_part('a,b,c', ',', -1)
-- id: starts_with
SELECT starts_with('alice', 'al')
-- id: ascii_chr
SELECT ascii('A'), chr(66)
-- id: md5
SELECT md5('abc')
-- id: to_hex
SELECT to_hex(255), to_hex(-1)
-- id: quote_functions
SELECT quote_ident('a b'), quote_literal('it''s'), quote_nullable(NULL)
-- id: format_function
SELECT format('%s has %s', 'alice', 3)
-- id: format_ident_literal
SELECT format('%I = %L', 'Col', 'v''al')
-- id: regexp_replace
SELECT regexp_replace('alice.smith', '\.', '_'), regexp_replace('aaa', 'a', 'b', 'g')
-- id: regexp_match
SELECT regexp_match('alice.smith', '(\w+)\.(\w+)')
-- id: regexp_matches_set
SELECT regexp_matches('a1b22c333', '\d+', 'g') ORDER BY 1
-- id: regexp_split_to_array
SELECT regexp_split_to_array('a, b,c', ',\s*')
-- id: string_to_array
SELECT string_to_array('a,b,,c', ','), string_to_array('a b', NULL)
-- id: string_agg_ordered
SELECT string_agg(name, ',' ORDER BY name) FROM company
-- id: string_compare_case
SELECT 'a' < 'B', 'A' < 'b', 'abc' = 'ABC'
-- id: string_order_c_collation
SELECT x FROM (VALUES ('b'), ('B'), ('a'), ('_'), ('A')) v(x) ORDER BY x
-- id: name_of_names
SELECT split_part(name, '.', 1) AS first, count(*) FROM person GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5
-- id: upper_column
SELECT upper(city) FROM person GROUP BY upper(city) ORDER BY 1
-- id: length_column
SELECT name, length(name) FROM company ORDER BY length(name) DESC, name LIMIT 5
-- id: like_column_underscore
SELECT count(*) FROM person WHERE name LIKE '___.%'
-- id: text_concat_column
SELECT name || ' (' || city || ')' FROM person ORDER BY id LIMIT 3
-- id: char_padding_compare
SELECT 'a '::char(3) = 'a'::char(3), 'a '::text = 'a'::text
-- id: varchar_length
SELECT length('ab  '::varchar), length('ab  '::char(4))
-- id: overlay
SELECT overlay('abcdef' PLACING 'XY' FROM 2 FOR 3)
-- id: unicode_escape
SELECT U&'\0041\00e9'
-- id: encode_decode
SELECT encode('abc'::bytea, 'base64'), decode('YWJj', 'base64')
-- id: encode_hex
SELECT encode('abc'::bytea, 'hex')
-- id: sha256
SELECT sha256('abc'::bytea)
-- id: string_repeat_negative
SELECT repeat('x', -1)
-- id: chr_zero
SELECT chr(0)
-- id: left_column
SELECT left(name, 3), count(*) FROM person GROUP BY 1 ORDER BY 1 LIMIT 5
-- id: position_column
SELECT name, position('.' IN name) FROM person ORDER BY id LIMIT 3
-- id: concat_ws_column
SELECT concat_ws('/', city, age, name) FROM person ORDER BY id LIMIT 3
-- id: string_escape_backslash
SELECT 'a\b', length('a\b')
-- id: dollar_quoted
SELECT $$it's$$, $tag$a$b$tag$
-- id: case_mapping_ascii_only
SELECT initcap('hello wORLD 2nd'), lower('ÉCOLE'), upper('straße')
-- id: substring_regex_no_group
SELECT substring('alice.smith' FROM '[a-z]+$'), substring('alice' FROM 'z')
-- id: regexp_split_to_array_flags
SELECT regexp_split_to_array('aXbxc', 'x', 'i'), regexp_split_to_array('ab c', '\s*')
-- id: like_other_escape
SELECT 'pg_x' LIKE 'pg!_x' ESCAPE '!', 'pgax' LIKE 'pg!_x' ESCAPE '!', 'a%' LIKE 'a' || '#%' ESCAPE '#', 'a\b' LIKE 'a\b' ESCAPE ''
-- id: like_pattern_ends_in_escape
SELECT 'abc' LIKE 'ab' || 'c!' ESCAPE '!'
-- id: like_escape_too_long
SELECT 'a' LIKE 'a' ESCAPE 'ab'
-- id: regexp_split_to_table_select
SELECT regexp_split_to_table('a,b,,c', ',') AS part, 1 AS n
-- id: regexp_split_to_table_from
SELECT w, length(w) FROM regexp_split_to_table('one two  three', '\s+') AS t(w) ORDER BY w
-- id: regexp_split_to_table_unaliased
SELECT * FROM regexp_split_to_table('x1y22z', '[0-9]+')
