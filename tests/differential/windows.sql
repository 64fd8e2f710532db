-- Window functions: ranking, offsets, frames, aggregates over partitions.

-- id: row_number
SELECT name, row_number() OVER (ORDER BY name) FROM company ORDER BY name
-- id: row_number_partition
SELECT city, name, row_number() OVER (PARTITION BY city ORDER BY age DESC, name) AS rn FROM person ORDER BY city, rn LIMIT 12
-- id: rank_dense_rank
SELECT age, rank() OVER (ORDER BY age), dense_rank() OVER (ORDER BY age) FROM person ORDER BY age, name LIMIT 12
-- id: percent_rank_cume_dist
SELECT age, percent_rank() OVER (ORDER BY age), cume_dist() OVER (ORDER BY age) FROM person ORDER BY age, name LIMIT 8
-- id: ntile
SELECT name, ntile(3) OVER (ORDER BY name) FROM company ORDER BY name
-- id: lag_lead
SELECT name, lag(name) OVER (ORDER BY name), lead(name, 2) OVER (ORDER BY name) FROM company ORDER BY name
-- id: lag_default
SELECT name, lag(name, 1, 'none') OVER (ORDER BY name) FROM company ORDER BY name LIMIT 3
-- id: first_last_value
SELECT city, name, first_value(name) OVER w, last_value(name) OVER w FROM person WHERE city = 'Oslo' WINDOW w AS (ORDER BY name) ORDER BY name LIMIT 5
-- id: last_value_full_frame
SELECT name, last_value(name) OVER (ORDER BY name ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM company ORDER BY name LIMIT 3
-- id: nth_value
SELECT name, nth_value(name, 2) OVER (ORDER BY name) FROM company ORDER BY name LIMIT 4
-- id: running_sum
SELECT name, age, sum(age) OVER (ORDER BY name) FROM person WHERE city = 'Lima' ORDER BY name
-- id: running_sum_ties_range
SELECT age, sum(age) OVER (ORDER BY age) FROM person WHERE city = 'Lima' ORDER BY age, name
-- id: rows_frame
SELECT name, age, avg(age) OVER (ORDER BY name ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM person WHERE city = 'Rome' ORDER BY name
-- id: range_frame_offset
SELECT age, count(*) OVER (ORDER BY age RANGE BETWEEN 5 PRECEDING AND CURRENT ROW) FROM person WHERE city = 'Rome' ORDER BY age, name
-- id: groups_frame
SELECT age, count(*) OVER (ORDER BY age GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM person WHERE city = 'Rome' ORDER BY age, name
-- id: partition_count
SELECT DISTINCT city, count(*) OVER (PARTITION BY city) FROM person ORDER BY city
-- id: partition_avg_type
SELECT city, avg(age) OVER (PARTITION BY city) FROM person WHERE city = 'Oslo' ORDER BY name LIMIT 1
-- id: window_no_order
SELECT count(*) OVER () FROM company ORDER BY 1 LIMIT 1
-- id: window_in_expression
SELECT name, age - avg(age) OVER (PARTITION BY city) AS diff FROM person WHERE city = 'Seoul' ORDER BY name LIMIT 5
-- id: window_over_aggregate
SELECT city, count(*), rank() OVER (ORDER BY count(*) DESC) FROM person GROUP BY city ORDER BY 3, 1
-- id: window_named
SELECT name, row_number() OVER w FROM company WINDOW w AS (ORDER BY id) ORDER BY id LIMIT 3
-- id: window_filter_outer
SELECT * FROM (SELECT name, city, row_number() OVER (PARTITION BY city ORDER BY age DESC, name) AS rn FROM person) t WHERE rn = 1 ORDER BY city
-- id: window_in_where
SELECT name FROM person WHERE row_number() OVER () = 1
-- id: window_exclude_current
SELECT name, count(*) OVER (ORDER BY name ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) FROM company ORDER BY name LIMIT 2
-- id: window_string_agg
SELECT name, string_agg(name, ',') OVER (ORDER BY name ROWS 2 PRECEDING) FROM company ORDER BY name LIMIT 4
-- id: window_column_names
SELECT row_number() OVER (), rank() OVER (ORDER BY id) FROM company ORDER BY id LIMIT 1
-- id: window_lead_date
SELECT src, since, lead(since) OVER (PARTITION BY src ORDER BY since, id) FROM knows WHERE src = 'alice.smith' ORDER BY since, id
-- id: window_sum_type
SELECT sum(age) OVER () FROM person LIMIT 1
-- id: window_ntile_zero
SELECT ntile(0) OVER (ORDER BY id) FROM company
