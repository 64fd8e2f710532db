-- Dates, timestamps, intervals: to_char, extract, date_trunc, arithmetic. The PostgreSQL
-- cluster runs with TimeZone=UTC and DateStyle='ISO, MDY', as omnigraph-server reports.

-- id: date_literal
SELECT DATE '2024-03-15'
-- id: timestamp_literal
SELECT TIMESTAMP '2024-03-15 10:20:30'
-- id: timestamptz_literal
SELECT TIMESTAMPTZ '2024-03-15 10:20:30+00'
-- id: interval_literal
SELECT INTERVAL '1 day'
-- id: interval_compound
SELECT INTERVAL '1 year 2 months 3 days 04:05:06'
-- id: interval_hours
SELECT INTERVAL '36 hours'
-- id: interval_minutes_unit
SELECT INTERVAL '90' MINUTE
-- id: date_plus_int
SELECT DATE '2024-02-28' + 1
-- id: date_minus_int
SELECT DATE '2024-03-01' - 1
-- id: date_minus_date
SELECT DATE '2024-03-01' - DATE '2024-02-01'
-- id: date_plus_interval
SELECT DATE '2024-01-31' + INTERVAL '1 month'
-- id: timestamp_plus_interval
SELECT TIMESTAMP '2024-01-31 12:00:00' + INTERVAL '1 month 1 hour'
-- id: timestamp_minus_timestamp
SELECT TIMESTAMP '2024-03-01 00:00:00' - TIMESTAMP '2024-02-01 12:00:00'
-- id: interval_times_int
SELECT INTERVAL '1 hour' * 3
-- id: interval_plus_interval
SELECT INTERVAL '1 day' + INTERVAL '25 hours'
-- id: extract_year
SELECT extract(year FROM DATE '2024-03-15')
-- id: extract_fields
SELECT extract(month FROM TIMESTAMP '2024-03-15 10:20:30'), extract(day FROM TIMESTAMP '2024-03-15 10:20:30'), extract(hour FROM TIMESTAMP '2024-03-15 10:20:30')
-- id: extract_dow_doy
SELECT extract(dow FROM DATE '2024-03-15'), extract(doy FROM DATE '2024-03-15'), extract(isodow FROM DATE '2024-03-17')
-- id: extract_week_quarter
SELECT extract(week FROM DATE '2024-01-01'), extract(quarter FROM DATE '2024-08-01')
-- id: extract_epoch
SELECT extract(epoch FROM TIMESTAMP '2024-01-01 00:00:00')
-- id: extract_epoch_interval
SELECT extract(epoch FROM INTERVAL '1 day 1 hour')
-- id: extract_second_fraction
SELECT extract(second FROM TIMESTAMP '2024-01-01 00:00:01.5')
-- id: date_part
SELECT date_part('year', DATE '2024-03-15'), date_part('month', TIMESTAMP '2024-03-15 00:00:00')
-- id: extract_from_column
SELECT since, extract(year FROM since) FROM knows WHERE since IS NOT NULL ORDER BY since, id LIMIT 5
-- id: date_trunc_month
SELECT date_trunc('month', TIMESTAMP '2024-03-15 10:20:30')
-- id: date_trunc_day_of_date
SELECT date_trunc('day', DATE '2024-03-15')
-- id: date_trunc_week
SELECT date_trunc('week', TIMESTAMP '2024-03-15 10:20:30')
-- id: date_trunc_quarter_year
SELECT date_trunc('quarter', TIMESTAMP '2024-08-15 00:00:00'), date_trunc('year', TIMESTAMP '2024-08-15 00:00:00')
-- id: to_char_date
SELECT to_char(DATE '2024-03-05', 'YYYY-MM-DD')
-- id: to_char_timestamp
SELECT to_char(TIMESTAMP '2024-03-05 14:07:09', 'YYYY/MM/DD HH24:MI:SS')
-- id: to_char_12h
SELECT to_char(TIMESTAMP '2024-03-05 14:07:09', 'HH12:MI AM')
-- id: to_char_month_names
SELECT to_char(DATE '2024-03-05', 'Month DD, YYYY'), to_char(DATE '2024-03-05', 'Mon')
-- id: to_char_fm
SELECT to_char(DATE '2024-03-05', 'FMMonth FMDD')
-- id: to_char_day_names
SELECT to_char(DATE '2024-03-05', 'Day'), to_char(DATE '2024-03-05', 'Dy'), to_char(DATE '2024-03-05', 'D')
-- id: to_char_quarter_week
SELECT to_char(DATE '2024-03-05', 'Q'), to_char(DATE '2024-03-05', 'IW'), to_char(DATE '2024-03-05', 'DDD')
-- id: to_char_number
SELECT to_char(1234.5, '9999.99'), to_char(42, '000')
-- id: to_char_number_group
SELECT to_char(1234567.891, 'FM9,999,999.00')
-- id: to_char_column
SELECT to_char(since, 'YYYY-MM') FROM knows WHERE since IS NOT NULL ORDER BY since, id LIMIT 3
-- id: to_date
SELECT to_date('05 Mar 2024', 'DD Mon YYYY')
-- id: to_timestamp_format
SELECT to_timestamp('2024-03-05 14:07', 'YYYY-MM-DD HH24:MI')
-- id: to_timestamp_epoch
SELECT to_timestamp(0)
-- id: make_date
SELECT make_date(2024, 2, 29)
-- id: make_date_invalid
SELECT make_date(2023, 2, 29)
-- id: make_timestamp
SELECT make_timestamp(2024, 2, 29, 12, 30, 45.5)
-- id: make_interval
SELECT make_interval(days => 10)
-- id: age_function
SELECT age(TIMESTAMP '2024-03-15', TIMESTAMP '2020-01-01')
-- id: date_comparison
SELECT DATE '2024-01-01' < DATE '2024-01-02', DATE '2024-01-01' = TIMESTAMP '2024-01-01 00:00:00'
-- id: date_between_filter
SELECT count(*) FROM knows WHERE since BETWEEN DATE '2015-01-01' AND DATE '2019-12-31'
-- id: date_group_by_year
SELECT extract(year FROM since) AS y, count(*) FROM knows WHERE since IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT 5
-- id: date_min_max
SELECT min(since), max(since) FROM knows
-- id: date_order_limit
SELECT id, since FROM knows WHERE since IS NOT NULL ORDER BY since DESC, id LIMIT 3
-- id: date_text_compare
SELECT count(*) FROM knows WHERE since > '2020-01-01'
-- id: current_date_type
SELECT current_date = current_date, pg_typeof(current_date)
-- id: now_type
SELECT now() IS NOT NULL, pg_typeof(now())
-- id: current_timestamp_cmp
SELECT current_timestamp >= TIMESTAMPTZ '2020-01-01 00:00:00+00'
-- id: timestamp_infinity
SELECT 'infinity'::timestamp, '-infinity'::date
-- id: timestamp_out_of_range
SELECT DATE '294277-01-01'::timestamp
-- id: interval_normalise
SELECT INTERVAL '90 minutes', INTERVAL '1.5 days'
-- id: interval_negative
SELECT INTERVAL '-1 day', -INTERVAL '2 hours'
-- id: interval_compare
SELECT INTERVAL '1 day' = INTERVAL '24 hours', INTERVAL '1 month' > INTERVAL '29 days'
-- id: justify_interval
SELECT justify_hours(INTERVAL '50 hours'), justify_days(INTERVAL '35 days')
-- id: date_bin
SELECT date_bin(INTERVAL '15 minutes', TIMESTAMP '2024-01-01 10:37:00', TIMESTAMP '2024-01-01 00:00:00')
-- id: timestamp_precision
SELECT TIMESTAMP '2024-01-01 10:00:00.123456789'
-- id: time_arith
SELECT TIME '10:00' + INTERVAL '90 minutes'
-- id: overlaps
SELECT (DATE '2024-01-01', DATE '2024-02-01') OVERLAPS (DATE '2024-01-15', DATE '2024-03-01')
-- id: at_time_zone
SELECT TIMESTAMP '2024-01-01 12:00:00' AT TIME ZONE 'UTC'
-- id: generate_series_dates
SELECT d::date FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-05', INTERVAL '2 days') AS g(d) ORDER BY 1
-- id: date_invalid_text
SELECT DATE 'not a date'
-- id: extract_invalid_field
SELECT extract(fortnight FROM DATE '2024-01-01')
-- id: to_char_number_signs
SELECT to_char(-12, '999PR'), to_char(12, 'S999'), to_char(-12, '999MI'), to_char(0.5, '0.99'), to_char(3, '9th')
-- id: to_char_iso_patterns
SELECT to_char(DATE '2021-01-01', 'IYYY-IW ID WW CC J Q')
-- id: interval_compare_month_days
SELECT INTERVAL '1 month' = INTERVAL '30 days', INTERVAL '2 days' < INTERVAL '47 hours'
-- id: extract_milliseconds
SELECT extract(milliseconds FROM TIMESTAMP '2024-01-01 00:00:01.5'), extract(microseconds FROM TIME '10:00:01.25')
-- id: extract_century_decade_isoyear
SELECT extract(century FROM DATE '2000-12-31'), extract(decade FROM TIMESTAMP '2024-03-15 00:00'), extract(isoyear FROM DATE '2021-01-01')
-- id: date_part_epoch_fraction
SELECT date_part('epoch', TIMESTAMP '2024-01-01 00:00:00.5')
-- id: interval_scale
SELECT INTERVAL '1 day' / 2, INTERVAL '1 month' * 1.5
-- id: age_borrows_month
SELECT age(TIMESTAMP '2024-03-01 10:00', TIMESTAMP '2024-02-28 12:00')
-- id: make_timestamptz
SELECT make_timestamptz(2024, 2, 29, 12, 30, 45.5)
-- id: make_interval_forms
SELECT make_interval(years => 1, hours => 5), make_interval(1, 2, 3)
-- id: justify_interval_signs
SELECT justify_interval(INTERVAL '1 mon -1 day 1 hour')
-- id: to_timestamp_12h
SELECT to_timestamp('March 5, 2024 2:07 PM', 'Month DD, YYYY HH12:MI AM')
-- id: to_date_invalid_day
SELECT to_date('2023-02-29', 'YYYY-MM-DD')
-- id: date_input_forms
SELECT DATE 'March 5, 2024', '20240305'::date, '03/05/2024'::date
-- id: timestamptz_offset_input
SELECT TIMESTAMPTZ '2024-01-02 03:04:05.25-05:30'
-- id: interval_text_cast
SELECT '1.5 months'::interval, '@ 2 hours ago'::interval
-- id: overlaps_with_interval
SELECT (DATE '2024-01-01', INTERVAL '10 days') OVERLAPS (DATE '2024-01-05', DATE '2024-01-06')
