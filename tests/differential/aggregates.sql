-- Aggregates: results, result types, GROUP BY variants, FILTER, DISTINCT, statistics.

-- id: count_star
SELECT count(*) FROM person
-- id: count_column
SELECT count(age), count(city) FROM person
-- id: count_distinct
SELECT count(DISTINCT city) FROM person
-- id: sum_int
SELECT sum(age) FROM person
-- id: sum_bigint_type
SELECT sum(age::bigint) FROM person
-- id: sum_numeric
SELECT sum(age::numeric / 10) FROM person
-- id: sum_float
SELECT sum(age::float8 / 10) FROM person
-- id: avg_int
SELECT avg(age) FROM person
-- id: avg_float
SELECT avg(age::float8) FROM person
-- id: avg_rounded
SELECT round(avg(age), 2) FROM person
-- id: min_max_int
SELECT min(age), max(age) FROM person
-- id: min_max_text
SELECT min(name), max(name) FROM person
-- id: group_count
SELECT city, count(*) FROM person GROUP BY city ORDER BY city
-- id: group_avg
SELECT city, avg(age) FROM person GROUP BY city ORDER BY city
-- id: group_sum_having
SELECT city, sum(age) FROM person GROUP BY city HAVING sum(age) > 700 ORDER BY city
-- id: group_by_two
SELECT c.industry, w.role, count(*) FROM works_at w JOIN company c ON c.id = w.dst GROUP BY c.industry, w.role ORDER BY 1, 2 LIMIT 10
-- id: group_by_expression
SELECT age / 10 * 10 AS decade, count(*) FROM person GROUP BY age / 10 * 10 ORDER BY 1
-- id: group_by_alias
SELECT age / 10 AS d, count(*) FROM person GROUP BY d ORDER BY d
-- id: having_without_group
SELECT count(*) FROM person HAVING count(*) > 1
-- id: having_false_without_group
SELECT count(*) FROM person HAVING count(*) > 1000
-- id: aggregate_empty_group
SELECT city, count(*) FROM person WHERE false GROUP BY city
-- id: aggregate_filter
SELECT count(*) FILTER (WHERE age > 50), sum(age) FILTER (WHERE city = 'Oslo') FROM person
-- id: aggregate_distinct_sum
SELECT sum(DISTINCT age), avg(DISTINCT age) FROM person
-- id: string_agg
SELECT city, string_agg(name, ';' ORDER BY name) FROM person WHERE age > 75 GROUP BY city ORDER BY city
-- id: array_agg_ordered
SELECT array_agg(name ORDER BY name) FROM company WHERE industry = 'software'
-- id: array_agg_distinct
SELECT array_agg(DISTINCT city ORDER BY city) FROM person
-- id: bool_and_or
SELECT bool_and(age > 10), bool_or(age > 77), every(age > 18) FROM person
-- id: stddev_variance
SELECT round(stddev(age), 6), round(variance(age), 6) FROM person
-- id: stddev_pop_samp
SELECT stddev_pop(age::float8), stddev_samp(age::float8), var_pop(age::float8), var_samp(age::float8) FROM person
-- id: stddev_single_row
SELECT stddev(x), var_samp(x) FROM (VALUES (1)) v(x)
-- id: corr_covar
SELECT corr(age, length(name)), covar_pop(age, length(name)) FROM person
-- id: regr_slope
SELECT regr_slope(age, length(name)), regr_count(age, length(name)) FROM person
-- id: percentile_cont
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY age) FROM person
-- id: percentile_disc
SELECT percentile_disc(0.25) WITHIN GROUP (ORDER BY age) FROM person
-- id: mode_aggregate
SELECT mode() WITHIN GROUP (ORDER BY city) FROM person
-- id: bit_and_or
SELECT bit_and(age), bit_or(age) FROM person
-- id: count_nonexistent_column
SELECT count(nope) FROM person
-- id: aggregate_in_where
SELECT name FROM person WHERE count(*) > 1
-- id: ungrouped_column
SELECT city, count(*) FROM person
-- id: nested_aggregate
SELECT sum(count(*)) FROM person
-- id: group_by_ordinal_out_of_range
SELECT city FROM person GROUP BY 2
-- id: grouping_sets
SELECT city, age > 50 AS old, count(*) FROM person WHERE city IN ('Oslo', 'Rome') GROUP BY GROUPING SETS ((city), (age > 50), ()) ORDER BY 1 NULLS LAST, 2 NULLS LAST
-- id: rollup
SELECT city, count(*) FROM person WHERE city IN ('Oslo', 'Rome') GROUP BY ROLLUP (city) ORDER BY city NULLS LAST
-- id: cube_grouping
SELECT city, grouping(city), count(*) FROM person WHERE city IN ('Oslo', 'Rome') GROUP BY CUBE (city) ORDER BY city NULLS LAST
-- id: count_over_join
SELECT p.city, count(DISTINCT k.dst) FROM person p JOIN knows k ON k.src = p.id GROUP BY p.city ORDER BY p.city
-- id: max_of_date
SELECT max(since) - min(since) FROM knows
-- id: sum_overflow_bigint
SELECT sum(x) FROM (VALUES (9223372036854775807), (1)) v(x)
-- id: avg_of_bigint
SELECT avg(x) FROM (VALUES (1::bigint), (2::bigint)) v(x)
-- id: sum_of_smallint_type
SELECT sum(x) FROM (VALUES (1::smallint), (2::smallint)) v(x)
-- id: aggregate_order_by_aggregate
SELECT city FROM person GROUP BY city ORDER BY count(*) DESC, city LIMIT 3
-- id: aggregate_with_case
SELECT sum(CASE WHEN age >= 50 THEN 1 ELSE 0 END) AS old, sum(CASE WHEN age < 50 THEN 1 ELSE 0 END) AS young FROM person
-- id: count_distinct_two_columns
SELECT count(DISTINCT (city, age)) FROM person
-- id: json_agg
SELECT json_agg(name ORDER BY name) FROM company WHERE industry = 'energy'
-- id: min_max_bool
SELECT min(x), max(x) FROM (VALUES (true), (false)) v(x)
-- id: avg_numeric_scale
SELECT avg(x) FROM (VALUES (1.5), (2.25)) v(x)
-- id: sum_numeric_scale
SELECT sum(x) FROM (VALUES (1.5), (2.25)) v(x)
-- id: percentile_disc_desc
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY age DESC) FROM person
-- id: mode_grouped
SELECT city, mode() WITHIN GROUP (ORDER BY age) FROM person GROUP BY city ORDER BY city
