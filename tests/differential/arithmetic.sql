-- Integer and numeric arithmetic: overflow, division by zero, float edge cases.

-- id: int_add
SELECT 2 + 3, 2 - 3, 2 * 3
-- id: int_division_truncates
SELECT 7 / 2, -7 / 2, 7 / -2
-- id: int_modulo
SELECT 7 % 3, -7 % 3, 7 % -3
-- id: int4_overflow_add
SELECT 2147483647 + 1
-- id: int4_overflow_mul
SELECT 65536 * 65536
-- id: int4_overflow_sub
SELECT -2147483648 - 1
-- id: int4_min_div_minus_one
SELECT (-2147483648) / -1
-- id: int4_neg_min
SELECT -(-2147483647 - 1)
-- id: int8_overflow_add
SELECT 9223372036854775807 + 1
-- id: int8_overflow_mul
SELECT 4611686018427387904 * 2
-- id: int8_min_div_minus_one
SELECT (-9223372036854775807 - 1) / -1
-- id: int2_overflow
SELECT 32767::int2 + 1::int2
-- id: int_mixed_width
SELECT 2147483647 + 1::bigint
-- id: int_div_zero
SELECT 1 / 0
-- id: int_mod_zero
SELECT 1 % 0
-- id: bigint_div_zero
SELECT 1::bigint / 0
-- id: numeric_div_zero
SELECT 1.0 / 0
-- id: numeric_div_zero_numeric
SELECT 1.0 / 0.0
-- id: float_div_zero
SELECT 1::float8 / 0
-- id: float_div_zero_float
SELECT 1::float8 / 0::float8
-- id: float_zero_div_zero
SELECT 0::float8 / 0::float8
-- id: numeric_mod_zero
SELECT 5.5 % 0
-- id: numeric_add
SELECT 0.1 + 0.2
-- id: numeric_mul_scale
SELECT 1.25 * 1.5
-- id: numeric_div_scale
SELECT 1.0 / 3
-- id: numeric_div_int
SELECT 10 / 4.0
-- id: numeric_large
SELECT 123456789012345678901234567890 + 1
-- id: numeric_negative_zero
SELECT -0.0
-- id: float_add
SELECT 0.1::float8 + 0.2::float8
-- id: float4_precision
SELECT 0.1::float4 + 0.2::float4
-- id: float_overflow
SELECT 1e308::float8 * 10
-- id: float_underflow
SELECT 1e-308::float8 / 1e10
-- id: float_nan_compare
SELECT 'NaN'::float8 = 'NaN'::float8, 'NaN'::float8 > 1
-- id: float_inf_arith
SELECT 'Infinity'::float8 + 1, 'Infinity'::float8 - 'Infinity'::float8
-- id: float_negative_zero
SELECT -0.0::float8, 0.0::float8 * -1
-- id: unary_minus
SELECT -5, - -5, -(2 + 3)
-- id: unary_plus
SELECT +5
-- id: operator_precedence
SELECT 2 + 3 * 4, (2 + 3) * 4, 2 ^ 3 ^ 2
-- id: power_operator
SELECT 2 ^ 10, 2.0 ^ 0.5
-- id: power_function
SELECT power(2, 10), pow(2.0, -1)
-- id: abs_function
SELECT abs(-5), abs(-5.5), abs(-2147483647)
-- id: abs_int_min
SELECT abs(-2147483648::int4)
-- id: sqrt_function
SELECT sqrt(16), sqrt(2::float8)
-- id: sqrt_negative
SELECT sqrt(-1)
-- id: cbrt_function
SELECT cbrt(27::float8)
-- id: round_function
SELECT round(2.5), round(-2.5), round(3.14159, 2), round(1234.5, -2)
-- id: round_float
SELECT round(2.5::float8), round(3.5::float8), round(-2.5::float8)
-- id: trunc_function
SELECT trunc(2.7), trunc(-2.7), trunc(3.14159, 3)
-- id: ceil_floor
SELECT ceil(2.1), floor(2.9), ceiling(-2.1), floor(-2.1)
-- id: ceil_floor_float
SELECT ceil(2.1::float8), floor(-2.1::float8)
-- id: sign_function
SELECT sign(-3), sign(0), sign(2.5)
-- id: mod_function
SELECT mod(7, 3), mod(-7, 3), mod(7.5, 2)
-- id: div_function
SELECT div(7, 2), div(-7, 2)
-- id: ln_log_exp
SELECT ln(1), log(100), exp(0)
-- id: log_base
SELECT log(2, 8)
-- id: ln_zero
SELECT ln(0)
-- id: ln_negative
SELECT ln(-1)
-- id: log10_float
SELECT log10(1000::float8)
-- id: exp_float
SELECT exp(1::float8)
-- id: pi_function
SELECT pi()
-- id: trig_functions
SELECT sin(0), cos(0), tan(0), atan2(1, 1)
-- id: degrees_radians
SELECT degrees(pi()), radians(180)
-- id: gcd_lcm
SELECT gcd(12, 18), lcm(4, 6)
-- id: factorial
SELECT factorial(5)
-- id: width_bucket
SELECT width_bucket(5.35, 0.024, 10.06, 5)
-- id: bitwise_ops
SELECT 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 16 >> 2
-- id: age_arithmetic
SELECT name, age * 2 + 1 AS x FROM person ORDER BY id LIMIT 5
-- id: age_division
SELECT name, age / 7, age % 7 FROM person ORDER BY id LIMIT 5
-- id: age_float_division
SELECT name, age / 7.0 FROM person ORDER BY id LIMIT 5
-- id: age_sum_overflow_int
SELECT sum(age * 10000000) FROM person
-- id: random_range
SELECT random() >= 0 AND random() < 1
-- id: numeric_scale_function
SELECT scale(1.2300), round(1.2300, 1)
-- id: numeric_trailing_zeros
SELECT 1.10 + 1.200
-- id: numeric_mul_precision
SELECT 0.000001 * 0.000001
-- id: float_exponent_format
SELECT 1e100::float8, 1.5e-10::float8, 123456789012345678::float8
-- id: float4_format
SELECT 1.1::float4, 1e10::float4, 16777217::float4
-- id: int4_column_overflow
SELECT age * 1000000000 FROM person ORDER BY id LIMIT 1
-- id: int4_plus_int8
SELECT 2147483647 + 1::bigint, 2147483647::bigint * 2
-- id: numeric_column_division
SELECT age::numeric / 7 FROM person ORDER BY id LIMIT 3
-- id: real_with_integer
SELECT 1.5::float4 * 2, pg_typeof(1.5::float4 * 2), pg_typeof(1.5::float4 * 1.5::float4)
-- id: numeric_literal_exponent
SELECT 1e3, 1.5e-3, 2.50e1
