//! Date/time arithmetic and functions: `timestamp ± interval`, `timestamp - timestamp`, time zones
//! (`AT TIME ZONE`, named zones from the tz database of the `chrono-tz` crate), `date_trunc`,
//! `extract` / `date_part`, `age`, `justify_*`, `make_*`, `to_char` (numbers: `sql::number_format`),
//! `to_timestamp`, `date_bin`.
//!
//! `sql::scalar` asks [`arithmetic_signature`] / [`eval_arithmetic`] about operators on date/time
//! operands; `sql::functions` falls back to [`resolve`] / [`invoke`] for the functions. A `timestamptz` is
//! an instant; its fields (`extract`, `date_trunc`, `to_char`, `age`) and its day/month arithmetic are
//! those of its wall-clock time in the session time zone (`types::zone::session_zone`), as in PostgreSQL.

use crate::types::numeric::Numeric;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

use crate::error::{sqlstate, Error, Result};
use crate::sql::functions::{function_does_not_exist, function_not_unique, ResolvedScalar, ScalarFunction};
use crate::sql::number_format::format_number;
use crate::sql::scalar::{numeric_div, BinaryOp, BinarySignature};
use crate::types::interval::{
    interval_out_of_range, Interval, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND,
};
use crate::types::zone::{session_zone, Zone};
use crate::types::{text, DataType, Value};

// ---- operators ----

/// The signature of `left op right` when a date/time operand makes it one of PostgreSQL's date/time
/// operators (None: not a date/time operator; the caller goes on with numeric rules).
pub fn arithmetic_signature(op: BinaryOp, left: &DataType, right: &DataType) -> Option<BinarySignature> {
    use DataType::{Date, Interval as Iv, Timestamp, Timestamptz, Unknown};
    let sig = |left, right, result| Some(BinarySignature { left, right, result });
    let is_timestamp = |t: &DataType| matches!(t, Timestamp | Timestamptz);
    let number = |t: &DataType| t.is_numeric_family() || *t == Unknown;
    match (op, *left, *right) {
        (BinaryOp::Add | BinaryOp::Sub, l, Iv | Unknown)
            if is_timestamp(&l) && (op == BinaryOp::Add || *right == Iv) =>
        {
            sig(l, Iv, l)
        }
        (BinaryOp::Add, Iv | Unknown, r) if is_timestamp(&r) => sig(Iv, r, r),
        (BinaryOp::Add | BinaryOp::Sub, Date, Iv) => sig(Date, Iv, Timestamp),
        (BinaryOp::Add, Iv, Date) => sig(Iv, Date, Timestamp),
        (BinaryOp::Sub, l, r) if is_timestamp(&l) && (is_timestamp(&r) || r == Unknown || r == Date) => {
            let operand = if l == Timestamptz || r == Timestamptz { Timestamptz } else { Timestamp };
            sig(operand, operand, Iv)
        }
        (BinaryOp::Sub, Date, r) if is_timestamp(&r) => sig(r, r, Iv),
        (BinaryOp::Add | BinaryOp::Sub, Iv, Iv | Unknown) | (BinaryOp::Add | BinaryOp::Sub, Unknown, Iv) => {
            sig(Iv, Iv, Iv)
        }
        (BinaryOp::Mul | BinaryOp::Div, Iv, r) if number(&r) => sig(Iv, DataType::Float8, Iv),
        (BinaryOp::Mul, l, Iv) if number(&l) => sig(DataType::Float8, Iv, Iv),
        _ => None,
    }
}

/// Evaluates a date/time operator on non-null operands of the types [`arithmetic_signature`] chose
/// (None: not a date/time operation).
pub fn eval_arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Option<Result<Value>> {
    let sub = op == BinaryOp::Sub;
    Some(match (left, right) {
        (Value::Timestamp(ts), Value::Interval(iv)) | (Value::Interval(iv), Value::Timestamp(ts)) => {
            timestamp_plus(ts, iv, sub).map(Value::Timestamp)
        }
        (Value::Timestamptz(ts), Value::Interval(iv)) | (Value::Interval(iv), Value::Timestamptz(ts)) => {
            timestamptz_plus(&ts.naive_utc(), iv, sub).map(|t| Value::Timestamptz(t.and_utc()))
        }
        (Value::Date(d), Value::Interval(iv)) | (Value::Interval(iv), Value::Date(d)) => {
            timestamp_plus(&text::date_to_timestamp(d), iv, sub).map(Value::Timestamp)
        }
        (Value::Timestamp(a), Value::Timestamp(b)) => timestamp_difference(a, b).map(Value::Interval),
        (Value::Timestamptz(a), Value::Timestamptz(b)) => {
            timestamp_difference(&a.naive_utc(), &b.naive_utc()).map(Value::Interval)
        }
        (Value::Interval(a), Value::Interval(b)) => {
            if sub { a.checked_sub(b) } else { a.checked_add(b) }.map(Value::Interval)
        }
        (Value::Interval(iv), Value::Float(f)) | (Value::Float(f), Value::Interval(iv)) => {
            if op == BinaryOp::Div { iv.div(*f) } else { iv.mul(*f) }.map(Value::Interval)
        }
        _ => return None,
    })
}

fn timestamp_out_of_range() -> Error {
    Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

/// `timestamp + interval` (or minus) as PostgreSQL: months first (the day clamped to the month's end),
/// then days, then the time.
pub fn timestamp_plus(ts: &NaiveDateTime, interval: &Interval, subtract: bool) -> Result<NaiveDateTime> {
    let interval = if subtract { interval.checked_neg()? } else { *interval };
    let mut result = *ts;
    if interval.months != 0 {
        let total = result.year() as i64 * 12 + result.month0() as i64 + interval.months as i64;
        let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
        let year = i32::try_from(year).map_err(|_| timestamp_out_of_range())?;
        let day = result.day().min(text::days_in_month(year, month0 + 1));
        let date = NaiveDate::from_ymd_opt(year, month0 + 1, day).ok_or_else(timestamp_out_of_range)?;
        result = date.and_time(result.time());
    }
    result = result
        .checked_add_signed(Duration::days(interval.days as i64))
        .and_then(|t| t.checked_add_signed(Duration::microseconds(interval.micros)))
        .ok_or_else(timestamp_out_of_range)?;
    if !text::timestamp_in_range(&result) {
        return Err(timestamp_out_of_range());
    }
    Ok(result)
}

/// `timestamptz + interval` (or minus) as PostgreSQL: the months and days move the wall-clock time in the
/// session time zone (so across a DST change `+ '1 day'` keeps the time of day), the rest moves the instant.
pub fn timestamptz_plus(utc: &NaiveDateTime, interval: &Interval, subtract: bool) -> Result<NaiveDateTime> {
    let interval = if subtract { interval.checked_neg()? } else { *interval };
    let mut result = *utc;
    if interval.months != 0 || interval.days != 0 {
        let zone = session_zone();
        let local = timestamp_plus(&zone.local(&result), &Interval::new(interval.months, interval.days, 0), false)?;
        result = zone.utc(&local);
    }
    timestamp_plus(&result, &Interval::new(0, 0, interval.micros), false)
}

/// `timestamp - timestamp`: the difference in microseconds with whole days split out (justify_hours).
fn timestamp_difference(a: &NaiveDateTime, b: &NaiveDateTime) -> Result<Interval> {
    let micros = a.signed_duration_since(*b).num_microseconds().ok_or_else(interval_out_of_range)?;
    Interval::new(0, 0, micros).justify_hours()
}

// ---- functions ----

/// The date/time functions, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeFunction {
    /// `extract(field FROM x)` (numeric) and `date_part(field, x)` (float8).
    Extract,
    DateTrunc,
    Age,
    JustifyDays,
    JustifyHours,
    JustifyInterval,
    MakeInterval,
    MakeDate,
    MakeTimestamp,
    MakeTimestamptz,
    ToChar,
    ToTimestampEpoch,
    /// `to_timestamp(text, format)` (timestamptz) and `to_date(text, format)` (date).
    ParseWithFormat,
    IsFinite,
    DateBin,
    /// `timezone(zone, ts)`: `ts AT TIME ZONE zone`.
    Timezone,
}

/// Resolves a date/time function by name and argument types; None for any other name.
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<ResolvedScalar>> {
    use DataType::*;
    use DateTimeFunction as F;
    let resolved = |function, arg_types: Vec<DataType>, result_type| {
        Some(Ok(ResolvedScalar { function: ScalarFunction::DateTime(function), arg_types, result_type }))
    };
    let not_found = || Some(Err(function_does_not_exist(name, args)));
    let stringish = |t: &DataType| t.is_string() || *t == Unknown;
    let integer = |t: &DataType| matches!(t, Int2 | Int4 | Unknown);
    let number = |t: &DataType| t.is_numeric_family() || *t == Unknown;
    // Where PostgreSQL has timestamp, timestamptz (and interval) overloads, an untyped or date argument goes
    // to timestamptz, the preferred date/time type.
    let timestamp_arg = |t: &DataType| match t {
        Timestamp | Timestamptz => Some(*t),
        Date | Unknown => Some(Timestamptz),
        _ => None,
    };
    match (name, args) {
        ("extract" | "date_part", [field, source]) if stringish(field) => {
            let source = match source {
                Date if name == "extract" => Date,
                Date => Timestamp,
                Timestamp | Timestamptz | Interval => *source,
                Unknown => return Some(Err(function_not_unique(name, args))),
                _ => return not_found(),
            };
            let result = if name == "date_part" { Float8 } else { Numeric(None) };
            resolved(F::Extract, vec![Text, source], result)
        }
        ("date_trunc", [field, source]) if stringish(field) => {
            let source = if *source == Interval { Interval } else { timestamp_arg(source)? };
            resolved(F::DateTrunc, vec![Text, source], source)
        }
        ("date_trunc", [field, source, zone]) if stringish(field) && stringish(zone) => {
            timestamp_arg(source)?;
            resolved(F::DateTrunc, vec![Text, Timestamptz, Text], Timestamptz)
        }
        ("age", [ts]) => resolved(F::Age, vec![timestamp_arg(ts)?], Interval),
        ("age", [a, b]) => {
            let both = if *a == Timestamp && matches!(b, Timestamp | Unknown | Date)
                || *b == Timestamp && matches!(a, Unknown | Date)
            {
                Timestamp
            } else {
                timestamp_arg(a).and(timestamp_arg(b)).map(|_| Timestamptz)?
            };
            resolved(F::Age, vec![both, both], Interval)
        }
        ("justify_days" | "justify_hours" | "justify_interval", [Interval | Unknown]) => {
            let function = match name {
                "justify_days" => F::JustifyDays,
                "justify_hours" => F::JustifyHours,
                _ => F::JustifyInterval,
            };
            resolved(function, vec![Interval], Interval)
        }
        ("make_interval", _) if args.len() <= 7 => {
            let (ints, secs) = args.split_at(args.len().min(6));
            if !ints.iter().all(integer) || !secs.iter().all(number) {
                return not_found();
            }
            let mut types = vec![Int4; ints.len()];
            types.extend(secs.iter().map(|_| Float8));
            resolved(F::MakeInterval, types, Interval)
        }
        ("make_date", [y, m, d]) if [y, m, d].iter().all(|t| integer(t)) => resolved(F::MakeDate, vec![Int4; 3], Date),
        ("make_timestamp" | "make_timestamptz", _)
            if args.len() == 6 || name == "make_timestamptz" && args.len() == 7 =>
        {
            let (ints, rest) = args.split_at(5);
            let (secs, zone) = (&rest[0], &rest[1..]);
            if !ints.iter().all(integer) || !number(secs) || !zone.iter().all(stringish) {
                return not_found();
            }
            let mut types = vec![Int4; 5];
            types.push(Float8);
            if name == "make_timestamp" {
                return resolved(F::MakeTimestamp, types, Timestamp);
            }
            types.extend(zone.iter().map(|_| Text));
            resolved(F::MakeTimestamptz, types, Timestamptz)
        }
        ("to_char", [source, format]) if stringish(format) => {
            let source = match source {
                Timestamp | Timestamptz | Interval => *source,
                Date => Timestamp,
                Numeric(_) => Numeric(None),
                t if t.is_numeric_family() => *t,
                _ => return not_found(),
            };
            resolved(F::ToChar, vec![source, Text], Text)
        }
        ("to_timestamp", [seconds]) if number(seconds) => resolved(F::ToTimestampEpoch, vec![Float8], Timestamptz),
        ("to_timestamp" | "to_date", [input, format]) if stringish(input) && stringish(format) => {
            resolved(F::ParseWithFormat, vec![Text, Text], if name == "to_date" { Date } else { Timestamptz })
        }
        ("isfinite", [t]) => {
            let t = match t {
                Date | Timestamp | Timestamptz | Interval => *t,
                _ => return not_found(),
            };
            resolved(F::IsFinite, vec![t], Bool)
        }
        ("date_bin", [Interval | Unknown, source, origin]) => {
            let t = if *source == Timestamp && matches!(origin, Timestamp | Unknown) {
                Timestamp
            } else {
                timestamp_arg(source).and(timestamp_arg(origin)).map(|_| Timestamptz)?
            };
            resolved(F::DateBin, vec![Interval, t, t], t)
        }
        ("timezone", [zone, source]) => {
            let zone = match zone {
                Interval => Interval,
                t if stringish(t) => Text,
                _ => return not_found(),
            };
            let (source, result) = match source {
                Timestamp => (Timestamp, Timestamptz),
                Timestamptz | Date | Unknown => (Timestamptz, Timestamp),
                _ => return not_found(),
            };
            resolved(F::Timezone, vec![zone, source], result)
        }
        (
            "extract" | "date_part" | "date_trunc" | "age" | "justify_days" | "justify_hours" | "justify_interval"
            | "make_interval" | "make_date" | "make_timestamp" | "make_timestamptz" | "to_char" | "to_timestamp"
            | "to_date" | "isfinite" | "date_bin" | "timezone",
            _,
        ) => not_found(),
        _ => None,
    }
}

/// Evaluates a date/time function (strict: NULL in, NULL out) on arguments of the resolved types.
pub fn invoke(
    function: DateTimeFunction,
    resolved: &ResolvedScalar,
    args: &[Value],
    now: DateTime<Utc>,
) -> Result<Value> {
    use DateTimeFunction as F;
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let text_arg = |i: usize| match &args[i] {
        Value::Text(s) => Ok(s.as_str()),
        other => Err(Error::internal(format!("expected text, got {other:?}"))),
    };
    let int_arg = |i: usize| match args[i] {
        Value::Int(n) => Ok(n),
        ref other => Err(Error::internal(format!("expected an integer, got {other:?}"))),
    };
    let float_arg = |i: usize| match args[i] {
        Value::Float(f) => Ok(f),
        ref other => Err(Error::internal(format!("expected a float, got {other:?}"))),
    };
    let interval_arg = |i: usize| match args[i] {
        Value::Interval(iv) => Ok(iv),
        ref other => Err(Error::internal(format!("expected an interval, got {other:?}"))),
    };
    Ok(match function {
        F::Extract => {
            let field = text_arg(0)?.to_ascii_lowercase();
            let value = match &args[1] {
                Value::Interval(iv) => extract_interval(&field, iv)?,
                other => extract(&field, other, &resolved.arg_types[1])?,
            };
            if resolved.result_type == DataType::Float8 {
                Value::Float(value.to_f64())
            } else {
                Value::Numeric(value)
            }
        }
        F::DateTrunc => {
            let field = text_arg(0)?.to_ascii_lowercase();
            match &args[1] {
                Value::Interval(iv) => Value::Interval(trunc_interval(&field, iv)?),
                Value::Timestamp(ts) => Value::Timestamp(trunc_timestamp(&field, ts, &DataType::Timestamp)?),
                Value::Timestamptz(ts) => {
                    let zone = if args.len() == 3 { Zone::parse(text_arg(2)?)? } else { session_zone() };
                    let local = trunc_timestamp(&field, &zone.local(&ts.naive_utc()), &DataType::Timestamptz)?;
                    Value::Timestamptz(zone.utc(&local).and_utc())
                }
                other => return Err(Error::internal(format!("date_trunc of {other:?}"))),
            }
        }
        F::Age => {
            // A timestamptz's age is counted on its wall-clock time in the session zone.
            let zone = session_zone();
            let naive = |v: &Value| match v {
                Value::Timestamp(ts) => Ok(*ts),
                Value::Timestamptz(ts) => Ok(zone.local(&ts.naive_utc())),
                other => Err(Error::internal(format!("age of {other:?}"))),
            };
            let (a, b) = match args {
                [b] => (text::date_to_timestamp(&zone.local(&now.naive_utc()).date()), naive(b)?),
                [a, b] => (naive(a)?, naive(b)?),
                _ => return Err(Error::internal("age arity")),
            };
            Value::Interval(age(&a, &b)?)
        }
        F::JustifyDays => Value::Interval(interval_arg(0)?.justify_days()?),
        F::JustifyHours => Value::Interval(interval_arg(0)?.justify_hours()?),
        F::JustifyInterval => Value::Interval(interval_arg(0)?.justify_interval()?),
        F::MakeInterval => {
            let field = |i: usize| if i < args.len() { int_arg(i) } else { Ok(0) };
            let seconds = if args.len() == 7 { float_arg(6)? } else { 0.0 };
            let (years, months, weeks, days) = (field(0)?, field(1)?, field(2)?, field(3)?);
            let months = years.checked_mul(12).and_then(|m| m.checked_add(months));
            let days = weeks.checked_mul(7).and_then(|d| d.checked_add(days));
            let micros = (field(4)? as f64 * MICROS_PER_HOUR as f64
                + field(5)? as f64 * MICROS_PER_MINUTE as f64
                + (seconds * MICROS_PER_SECOND as f64).round_ties_even())
            .round_ties_even();
            match (months.and_then(|m| i32::try_from(m).ok()), days.and_then(|d| i32::try_from(d).ok())) {
                (Some(months), Some(days)) if micros.is_finite() && micros.abs() < i64::MAX as f64 => {
                    Value::Interval(Interval::new(months, days, micros as i64))
                }
                _ => return Err(interval_out_of_range()),
            }
        }
        F::MakeDate => Value::Date(make_date(int_arg(0)?, int_arg(1)?, int_arg(2)?)?),
        F::MakeTimestamp | F::MakeTimestamptz => {
            let date = make_date(int_arg(0)?, int_arg(1)?, int_arg(2)?)?;
            let (hour, minute, seconds) = (int_arg(3)?, int_arg(4)?, float_arg(5)?);
            let valid = (0..24).contains(&hour) && (0..60).contains(&minute) && (0.0..=60.0).contains(&seconds);
            if !valid {
                return Err(Error::new(
                    sqlstate::DATETIME_FIELD_OVERFLOW,
                    format!("date/time field value out of range: {hour}:{minute:02}:{}", text::format_float8(seconds)),
                ));
            }
            let micros = hour * MICROS_PER_HOUR + minute * MICROS_PER_MINUTE + (seconds * 1e6).round_ties_even() as i64;
            let local = text::date_to_timestamp(&date) + Duration::microseconds(micros);
            if function == F::MakeTimestamp {
                Value::Timestamp(local)
            } else {
                let zone = if args.len() == 7 { Zone::parse(text_arg(6)?)? } else { session_zone() };
                Value::Timestamptz(zone.utc(&local).and_utc())
            }
        }
        F::ToChar => {
            let format = text_arg(1)?;
            Value::Text(match &args[0] {
                Value::Interval(iv) => to_char(&Broken::of_interval(iv), format),
                Value::Timestamp(ts) => to_char(&Broken::of_timestamp(ts, None), format),
                Value::Timestamptz(ts) => to_char(&Broken::of_timestamptz(&ts.naive_utc(), session_zone()), format),
                Value::Int(i) => format_number(&Numeric::from_i64(*i), false, format),
                Value::Numeric(d) => format_number(d, false, format),
                Value::Float(f) => match Numeric::from_f64_exact(*f) {
                    Some(d) => format_number(&d, true, format),
                    // NaN and infinities have no digits: every position is a `#`, as PostgreSQL.
                    None => format_number(
                        &Numeric::from_i128(i128::MAX, 0)
                            .mul(&Numeric::from_i128(i128::MAX, 0))
                            .unwrap_or(Numeric::ZERO),
                        true,
                        format,
                    ),
                },
                other => return Err(Error::internal(format!("to_char of {other:?}"))),
            })
        }
        F::ParseWithFormat => {
            let ts = parse_with_format(text_arg(0)?, text_arg(1)?)?;
            if resolved.result_type == DataType::Date {
                Value::Date(ts.date())
            } else {
                Value::Timestamptz(session_zone().utc(&ts).and_utc())
            }
        }
        F::ToTimestampEpoch => {
            let seconds = float_arg(0)?;
            let micros = (seconds * 1e6).round_ties_even();
            if !micros.is_finite() || micros.abs() >= i64::MAX as f64 {
                return Err(timestamp_out_of_range());
            }
            let ts = DateTime::from_timestamp_micros(micros as i64)
                .filter(|t| text::timestamp_in_range(&t.naive_utc()))
                .ok_or_else(timestamp_out_of_range)?;
            Value::Timestamptz(ts)
        }
        F::IsFinite => Value::Bool(true),
        F::DateBin => {
            let stride = interval_arg(0)?;
            if stride.months != 0 {
                return Err(Error::unsupported(
                    "timestamps cannot be binned into intervals containing months or years",
                ));
            }
            let stride_micros = stride.days as i64 * MICROS_PER_DAY + stride.micros;
            if stride_micros <= 0 {
                return Err(Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, "stride must be greater than zero"));
            }
            let micros = |v: &Value| match v {
                Value::Timestamp(ts) => Ok(ts.and_utc().timestamp_micros()),
                Value::Timestamptz(ts) => Ok(ts.timestamp_micros()),
                other => Err(Error::internal(format!("date_bin of {other:?}"))),
            };
            let (source, origin) = (micros(&args[1])?, micros(&args[2])?);
            let delta = source.checked_sub(origin).ok_or_else(timestamp_out_of_range)?;
            let binned = origin + delta.div_euclid(stride_micros) * stride_micros;
            let ts = DateTime::from_timestamp_micros(binned).ok_or_else(timestamp_out_of_range)?;
            match args[1] {
                Value::Timestamp(_) => Value::Timestamp(ts.naive_utc()),
                _ => Value::Timestamptz(ts),
            }
        }
        F::Timezone => {
            let zone = match &args[0] {
                Value::Interval(iv) if iv.months == 0 && iv.days == 0 => {
                    Zone::Fixed((iv.micros / MICROS_PER_SECOND) as i32)
                }
                Value::Interval(_) => {
                    return Err(Error::new(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!(
                            "interval time zone \"{}\" must not include months or days",
                            text::format(&args[0], &DataType::Interval)
                        ),
                    ))
                }
                _ => Zone::parse(text_arg(0)?)?,
            };
            match &args[1] {
                Value::Timestamp(local) => Value::Timestamptz(zone.utc(local).and_utc()),
                Value::Timestamptz(ts) => Value::Timestamp(zone.local(&ts.naive_utc())),
                other => return Err(Error::internal(format!("timezone of {other:?}"))),
            }
        }
    })
}

fn make_date(year: i64, month: i64, day: i64) -> Result<NaiveDate> {
    if year == 0 {
        return Err(Error::new(
            sqlstate::DATETIME_FIELD_OVERFLOW,
            format!("date field value out of range: {year}-{month:02}-{day:02}"),
        ));
    }
    // Negative years are BC: -1 is 1 BC, year 0 in chrono's proleptic calendar.
    let chrono_year = if year < 0 { year + 1 } else { year };
    i32::try_from(chrono_year)
        .ok()
        .zip(u32::try_from(month).ok().zip(u32::try_from(day).ok()))
        .and_then(|(y, (m, d))| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| {
            Error::new(
                sqlstate::DATETIME_FIELD_OVERFLOW,
                format!("date field value out of range: {year}-{month:02}-{day:02}"),
            )
        })
}

/// `age(a, b)`: the difference field by field (years, months, days, time), borrowing from the next larger
/// field as PostgreSQL does, so `age('2024-03-01', '2023-01-31 12:00')` is `1 year 1 mon 12:00:00`.
fn age(a: &NaiveDateTime, b: &NaiveDateTime) -> Result<Interval> {
    let (later, earlier, negative) = if a >= b { (a, b, false) } else { (b, a, true) };
    let micros_of_day =
        |t: &NaiveDateTime| t.num_seconds_from_midnight() as i64 * MICROS_PER_SECOND + (t.nanosecond() / 1000) as i64;
    let mut micros = micros_of_day(later) - micros_of_day(earlier);
    let mut days = later.day() as i64 - earlier.day() as i64;
    let mut months = later.month() as i64 - earlier.month() as i64;
    let mut years = later.year() as i64 - earlier.year() as i64;
    if micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    }
    if days < 0 {
        // Borrow the length of the earlier date's month, as PostgreSQL.
        days += text::days_in_month(earlier.year(), earlier.month()) as i64;
        months -= 1;
    }
    if months < 0 {
        months += 12;
        years -= 1;
    }
    let sign = if negative { -1 } else { 1 };
    let months = i32::try_from((years * 12 + months) * sign).map_err(|_| interval_out_of_range())?;
    Ok(Interval::new(months, (days * sign) as i32, micros * sign))
}

/// The canonical name of an extract/date_trunc field (`years` -> `year`, `msec` -> `milliseconds`).
fn canonical_field(field: &str) -> &str {
    match field {
        "years" | "y" | "yr" | "yrs" => "year",
        "months" | "mon" | "mons" => "month",
        "days" | "d" => "day",
        "hours" | "h" | "hr" | "hrs" => "hour",
        "minutes" | "m" | "min" | "mins" => "minute",
        "seconds" | "s" | "sec" | "secs" => "second",
        "millisecond" | "ms" | "msec" | "msecs" | "msecond" | "mseconds" => "milliseconds",
        "microsecond" | "us" | "usec" | "usecs" | "usecond" | "useconds" => "microseconds",
        "weeks" | "w" => "week",
        "decades" | "dec" | "decs" => "decade",
        "centuries" | "c" | "cent" => "century",
        "millennia" | "mil" | "mils" | "millenniums" => "millennium",
        "qtr" => "quarter",
        "tz" => "timezone",
        "j" => "julian",
        other => other,
    }
}

fn unit_not_recognized(field: &str, data_type: &DataType) -> Error {
    Error::new(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("unit \"{field}\" not recognized for type {}", data_type.name()),
    )
}

fn unit_not_supported(field: &str, data_type: &DataType) -> Error {
    Error::new(sqlstate::FEATURE_NOT_SUPPORTED, format!("unit \"{field}\" not supported for type {}", data_type.name()))
}

/// The timestamp-like fields every extract and date_trunc field name knows, for the 0A000/22023 split.
fn is_known_field(field: &str) -> bool {
    matches!(
        field,
        "year"
            | "month"
            | "day"
            | "hour"
            | "minute"
            | "second"
            | "milliseconds"
            | "microseconds"
            | "week"
            | "decade"
            | "century"
            | "millennium"
            | "quarter"
            | "dow"
            | "isodow"
            | "doy"
            | "isoyear"
            | "epoch"
            | "julian"
            | "timezone"
            | "timezone_hour"
            | "timezone_minute"
    )
}

/// EXTRACT(field FROM date/timestamp/timestamptz) with PostgreSQL 15's numeric results and scales.
fn extract(field: &str, value: &Value, source_type: &DataType) -> Result<Numeric> {
    // A timestamptz's fields are those of its wall-clock time in the session zone (`offset` seconds east).
    let (ts, is_date, offset): (NaiveDateTime, bool, i64) = match value {
        Value::Date(d) => (text::date_to_timestamp(d), true, 0),
        Value::Timestamp(ts) => (*ts, false, 0),
        Value::Timestamptz(ts) => {
            let offset = session_zone().offset_at(&ts.naive_utc());
            (ts.naive_utc() + Duration::seconds(offset as i64), false, offset as i64)
        }
        other => return Err(Error::internal(format!("extract from {other:?}"))),
    };
    let micros_of_minute = ts.second() as i64 * 1_000_000 + (ts.nanosecond() / 1000).min(999_999) as i64;
    let int = |i: i64| Ok(Numeric::from_i64(i));
    let scaled = |mantissa: i64, scale: u32| Ok(Numeric::from_i128(mantissa as i128, scale));
    let field = canonical_field(field);
    let time_field = matches!(
        field,
        "hour"
            | "minute"
            | "second"
            | "milliseconds"
            | "microseconds"
            | "timezone"
            | "timezone_hour"
            | "timezone_minute"
    );
    if is_date && time_field {
        return Err(unit_not_supported(field, &DataType::Date));
    }
    let year = ts.year();
    match field {
        "year" => int(if year <= 0 { year - 1 } else { year } as i64),
        "month" => int(ts.month() as i64),
        "day" => int(ts.day() as i64),
        "hour" => int(ts.hour() as i64),
        "minute" => int(ts.minute() as i64),
        "second" => scaled(micros_of_minute, 6),
        "milliseconds" => scaled(micros_of_minute, 3),
        "microseconds" => int(micros_of_minute),
        "dow" => int(ts.weekday().num_days_from_sunday() as i64),
        "isodow" => int(ts.weekday().number_from_monday() as i64),
        "doy" => int(ts.ordinal() as i64),
        "quarter" => int(((ts.month() - 1) / 3 + 1) as i64),
        "week" => int(ts.iso_week().week() as i64),
        "isoyear" => int(ts.iso_week().year() as i64),
        "decade" => int((year as i64).div_euclid(10)),
        "century" => int(if year > 0 { (year as i64 + 99) / 100 } else { -((99 - (year as i64 - 1)) / 100) }),
        "millennium" => int(if year > 0 { (year as i64 + 999) / 1000 } else { -((999 - (year as i64 - 1)) / 1000) }),
        "timezone" if *source_type == DataType::Timestamptz => int(offset),
        "timezone_hour" if *source_type == DataType::Timestamptz => int(offset / 3600),
        "timezone_minute" if *source_type == DataType::Timestamptz => int(offset / 60 % 60),
        // Julian Day of 1970-01-01 is 2440588; a timestamp's fraction of the day follows the point.
        "julian" => {
            let day = ts.and_utc().timestamp().div_euclid(86_400) + 2_440_588;
            if is_date {
                int(day)
            } else {
                // The Julian day plus the fraction of the day, by numeric division (whose scale PostgreSQL
                // picks from the operands: 20 digits for 12:00, 28 for midnight).
                let micros_of_day =
                    ts.num_seconds_from_midnight() as i64 * MICROS_PER_SECOND + (ts.nanosecond() / 1000) as i64;
                let fraction = numeric_div(&Numeric::from_i64(micros_of_day), &Numeric::from_i64(MICROS_PER_DAY))?;
                Numeric::from_i64(day).add(&fraction)
            }
        }
        "epoch" => {
            // The instant's: a timestamptz's wall-clock time less its offset.
            let micros = ts.and_utc().timestamp_micros() - offset * MICROS_PER_SECOND;
            if is_date {
                int(micros / 1_000_000)
            } else {
                scaled(micros, 6)
            }
        }
        _ if is_known_field(field) => Err(unit_not_supported(field, source_type)),
        _ => Err(unit_not_recognized(field, source_type)),
    }
}

/// EXTRACT(field FROM interval), PostgreSQL 15's interval_part: fields of the broken-down interval.
fn extract_interval(field: &str, interval: &Interval) -> Result<Numeric> {
    let f = interval.fields();
    let field = canonical_field(field);
    let int = |i: i64| Ok(Numeric::from_i64(i));
    let seconds_micros = f.seconds * MICROS_PER_SECOND + f.micros;
    match field {
        "microseconds" => int(seconds_micros),
        "milliseconds" => Ok(Numeric::from_i128(seconds_micros as i128, 3)),
        "second" => Ok(Numeric::from_i128(seconds_micros as i128, 6)),
        "minute" => int(f.minutes),
        "hour" => int(f.hours),
        "day" => int(f.days),
        "month" => int(f.months),
        "quarter" => int(f.months / 3 + 1),
        "year" => int(f.years),
        "decade" => int(f.years / 10),
        "century" => int(f.years / 100),
        "millennium" => int(f.years / 1000),
        "epoch" => {
            // A year is 365.25 days, a month 30 days.
            let seconds = f.years * 31_557_600 + f.months * 30 * 86_400 + f.days * 86_400;
            let micros = seconds as i128 * MICROS_PER_SECOND as i128 + interval.micros as i128;
            Ok(Numeric::from_i128(micros, 6))
        }
        _ if is_known_field(field) => Err(unit_not_supported(field, &DataType::Interval)),
        _ => Err(unit_not_recognized(field, &DataType::Interval)),
    }
}

/// `date_trunc(field, timestamp)` on wall-clock time.
fn trunc_timestamp(field: &str, ts: &NaiveDateTime, data_type: &DataType) -> Result<NaiveDateTime> {
    let field = canonical_field(field);
    let date = ts.date();
    let micros = ts.num_seconds_from_midnight() as i64 * MICROS_PER_SECOND + (ts.nanosecond() / 1000) as i64;
    let at = |date: NaiveDate, micros: i64| Ok(text::date_to_timestamp(&date) + Duration::microseconds(micros));
    let first_of_year = |year: i32| NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(timestamp_out_of_range);
    let year = date.year();
    match field {
        "microseconds" => Ok(*ts),
        "milliseconds" => at(date, micros - micros % 1000),
        "second" => at(date, micros - micros % MICROS_PER_SECOND),
        "minute" => at(date, micros - micros % MICROS_PER_MINUTE),
        "hour" => at(date, micros - micros % MICROS_PER_HOUR),
        "day" => at(date, 0),
        "week" => at(date - Duration::days(date.weekday().num_days_from_monday() as i64), 0),
        "month" => at(date.with_day(1).ok_or_else(timestamp_out_of_range)?, 0),
        "quarter" => {
            let month = (date.month0() / 3) * 3 + 1;
            at(NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(timestamp_out_of_range)?, 0)
        }
        "year" => at(first_of_year(year)?, 0),
        // chrono's year 0 is 1 BC; PostgreSQL's decades, centuries and millennia count from 1 AD.
        "decade" => at(first_of_year(year - year.rem_euclid(10))?, 0),
        "century" => {
            at(first_of_year(if year > 0 { (year - 1) / 100 * 100 + 1 } else { -((99 - year) / 100) * 100 + 1 })?, 0)
        }
        "millennium" => at(
            first_of_year(if year > 0 { (year - 1) / 1000 * 1000 + 1 } else { -((999 - year) / 1000) * 1000 + 1 })?,
            0,
        ),
        _ if is_known_field(field) => Err(unit_not_supported(field, data_type)),
        _ => Err(unit_not_recognized(field, data_type)),
    }
}

/// `date_trunc(field, interval)`: the fields below `field` zeroed.
fn trunc_interval(field: &str, interval: &Interval) -> Result<Interval> {
    let field = canonical_field(field);
    let time = |unit: i64| Ok(Interval::new(interval.months, interval.days, interval.micros - interval.micros % unit));
    let years = |unit: i32| Ok(Interval::new(interval.months - interval.months % (12 * unit), 0, 0));
    match field {
        "microseconds" => Ok(*interval),
        "milliseconds" => time(1000),
        "second" => time(MICROS_PER_SECOND),
        "minute" => time(MICROS_PER_MINUTE),
        "hour" => time(MICROS_PER_HOUR),
        "day" => Ok(Interval::new(interval.months, interval.days, 0)),
        "month" => Ok(Interval::new(interval.months, 0, 0)),
        "quarter" => Ok(Interval::new(interval.months - interval.months % 3, 0, 0)),
        "year" => years(1),
        "decade" => years(10),
        "century" => years(100),
        "millennium" => years(1000),
        "week" => Err(Error::unsupported(format!("unit \"{field}\" not supported for type interval"))
            .with_detail("Months usually have fractional weeks.")),
        _ if is_known_field(field) => Err(unit_not_supported(field, &DataType::Interval)),
        _ => Err(unit_not_recognized(field, &DataType::Interval)),
    }
}

// ---- to_char ----

/// The fields `to_char` prints, from a timestamp or an interval.
struct Broken {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    /// Day of year, ISO year/week, day of week (0 = Sunday) and Julian day: timestamps only.
    date: Option<NaiveDate>,
    /// Seconds east of UTC for `TZ`/`OF`: timestamptz only.
    offset: Option<i64>,
    /// The zone's abbreviation at that time (`EDT`, `CET`) for `TZ`, where the tz database has one.
    abbreviation: Option<String>,
}

impl Broken {
    fn of_timestamp(ts: &NaiveDateTime, offset: Option<i64>) -> Broken {
        let year = ts.year() as i64;
        Broken {
            year: if year <= 0 { year - 1 } else { year },
            month: ts.month() as i64,
            day: ts.day() as i64,
            hour: ts.hour() as i64,
            minute: ts.minute() as i64,
            second: ts.second() as i64,
            micros: (ts.nanosecond() / 1000) as i64,
            date: Some(ts.date()),
            offset,
            abbreviation: None,
        }
    }

    /// A timestamptz's fields in `zone`, with the zone's offset and abbreviation.
    fn of_timestamptz(utc: &NaiveDateTime, zone: Zone) -> Broken {
        let offset = zone.offset_at(utc);
        let mut broken = Broken::of_timestamp(&(*utc + Duration::seconds(offset as i64)), Some(offset as i64));
        broken.abbreviation = zone.abbreviation_at(utc);
        broken
    }

    fn of_interval(interval: &Interval) -> Broken {
        let f = interval.fields();
        Broken {
            year: f.years,
            month: f.months,
            day: f.days,
            hour: f.hours,
            minute: f.minutes,
            second: f.seconds,
            micros: f.micros,
            date: None,
            offset: None,
            abbreviation: None,
        }
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAY_NAMES: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const ROMAN_MONTHS: [&str; 12] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"];

/// The template patterns, longest first where one is a prefix of another (PostgreSQL's DCH_keywords).
/// A pattern also matches in lower case (`yyyy`, `month`: names then print in lower case).
const PATTERNS: &[&str] = &[
    "A.D.", "A.M.", "AD", "AM", "B.C.", "BC", "CC", "DAY", "DDD", "DD", "DY", "Day", "Dy", "D", "FF1", "FF2", "FF3",
    "FF4", "FF5", "FF6", "HH24", "HH12", "HH", "IDDD", "ID", "IW", "IYYY", "IYY", "IY", "I", "J", "MI", "MM", "MONTH",
    "MON", "MS", "Month", "Mon", "OF", "P.M.", "PM", "Q", "RM", "SSSSS", "SSSS", "SS", "TZH", "TZM", "TZ", "US", "WW",
    "W", "Y,YYY", "YYYY", "YYY", "YY", "Y",
];

/// `to_char(timestamp|interval, format)`: PostgreSQL's template patterns, the `FM` prefix, `TH`/`th`
/// suffixes, quoted text and backslash escapes.
fn to_char(b: &Broken, format: &str) -> String {
    let mut out = String::new();
    let mut rest = format;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            out.push_str(&after[..end].replace("\\\"", "\""));
            rest = after.get(end + 1..).unwrap_or("");
            continue;
        }
        if let Some(after) = rest.strip_prefix('\\') {
            if let Some(c) = after.chars().next() {
                out.push(c);
                rest = &after[c.len_utf8()..];
            } else {
                rest = after;
            }
            continue;
        }
        let fill_mode = rest.starts_with("FM") || rest.starts_with("fm");
        let body = if fill_mode { &rest[2..] } else { rest };
        let Some(pattern) = match_pattern(body) else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let mut after = &body[pattern.len()..];
        let canonical = pattern.to_ascii_uppercase();
        let mut field = render_pattern(b, pattern, &canonical, fill_mode);
        for (suffix, upper) in [("TH", true), ("th", false)] {
            if let Some(stripped) = after.strip_prefix(suffix) {
                if let Ok(n) = field.trim().parse::<i64>() {
                    let th = ordinal_suffix(n);
                    field.push_str(&if upper { th.to_ascii_uppercase() } else { th.to_string() });
                }
                after = stripped;
            }
        }
        out.push_str(&field);
        rest = after;
    }
    out
}

/// The fields `to_timestamp` / `to_date` read, before they are checked and combined.
#[derive(Default)]
struct ParsedFields {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    pm: Option<bool>,
}

/// The digits a numeric pattern reads when the next pattern follows without a separator (`YYYYMMDD`).
fn pattern_width(canonical: &str) -> Option<usize> {
    Some(match canonical {
        "YYYY" | "IYYY" => 4,
        "YYY" | "IYY" | "DDD" | "MS" | "IDDD" => 3,
        "YY" | "IY" | "MM" | "DD" | "HH24" | "HH12" | "HH" | "MI" | "SS" | "WW" | "IW" | "CC" => 2,
        "Y" | "I" | "D" | "ID" | "Q" | "W" => 1,
        "US" | "FF6" => 6,
        "SSSS" | "SSSSS" | "J" => 7,
        "FF1" | "FF2" | "FF3" | "FF4" | "FF5" => canonical[2..].parse().unwrap_or(6),
        _ => return None,
    })
}

/// `to_timestamp(input, format)` / `to_date`: reads `input` by PostgreSQL's template patterns (those of
/// `to_char`); a separator in the format skips one character of input, blanks skip blanks. A field that
/// does not read is 22007 `invalid value "x" for "YYYY"`; fields out of range are 22008.
fn parse_with_format(input: &str, format: &str) -> Result<NaiveDateTime> {
    let out_of_range =
        || Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, format!("date/time field value out of range: \"{input}\""));
    let mut fields = ParsedFields::default();
    let mut rest = input;
    let mut template = format;
    while !template.is_empty() {
        if let Some(after) = template.strip_prefix("FM").or_else(|| template.strip_prefix("fm")) {
            template = after;
            continue;
        }
        if let Some(after) = template.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            for _ in after[..end].chars() {
                rest = skip_char(rest);
            }
            template = after.get(end + 1..).unwrap_or("");
            continue;
        }
        let Some(pattern) = match_pattern(template) else {
            let c = template.chars().next().unwrap_or(' ');
            template = &template[c.len_utf8()..];
            rest = if c.is_whitespace() { rest.trim_start() } else { skip_char(rest) };
            continue;
        };
        template = &template[pattern.len()..];
        let canonical = pattern.to_ascii_uppercase();
        rest = rest.trim_start();
        let invalid = |rest: &str, width: usize, detail: &str| {
            let shown: String = rest.chars().take(width.max(1)).collect();
            Error::new(sqlstate::INVALID_DATETIME_FORMAT, format!("invalid value \"{shown}\" for \"{pattern}\""))
                .with_detail(detail)
        };
        if let Some(width) = pattern_width(&canonical) {
            // Adjacent numeric patterns (`YYYYMMDD`) read fixed widths; otherwise every digit there is.
            let adjacent = template.starts_with(|c: char| c.is_ascii_alphanumeric());
            let limit = if adjacent { width } else { usize::MAX };
            let digits: String = rest.chars().take_while(char::is_ascii_digit).take(limit).collect();
            let Ok(value) = digits.parse::<i64>() else {
                return Err(invalid(rest, width, "Value must be an integer."));
            };
            rest = &rest[digits.len()..];
            match canonical.as_str() {
                "YYYY" | "IYYY" => fields.year = Some(value),
                "YYY" | "IYY" => fields.year = Some(if value < 100 { value + 2000 } else { value + 1000 }),
                "YY" | "IY" => fields.year = Some(if value < 70 { value + 2000 } else { value + 1900 }),
                "Y" | "I" => fields.year = Some(value + 2020),
                "MM" => fields.month = Some(value),
                "DD" => fields.day = Some(value),
                "DDD" | "IDDD" => fields.day_of_year = Some(value),
                "HH24" | "HH12" | "HH" => fields.hour = value,
                "MI" => fields.minute = value,
                "SS" => fields.second = value,
                "MS" => fields.micros = value * 1000,
                "US" => fields.micros = value,
                "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
                    fields.micros = value * 10i64.pow(6u32.saturating_sub(digits.len() as u32))
                }
                "SSSS" | "SSSSS" => {
                    fields.hour = value / 3600;
                    fields.minute = value / 60 % 60;
                    fields.second = value % 60;
                }
                // Week numbers, day of week, quarter, century and Julian days are read and not used
                // (PostgreSQL uses them only in place of a full date).
                _ => {}
            }
            continue;
        }
        let names: Option<(&[&str], usize)> = match canonical.as_str() {
            "MONTH" => Some((&MONTH_NAMES, usize::MAX)),
            "MON" => Some((&MONTH_NAMES, 3)),
            "DAY" => Some((&DAY_NAMES, usize::MAX)),
            "DY" => Some((&DAY_NAMES, 3)),
            _ => None,
        };
        if let Some((names, length)) = names {
            let found = names.iter().enumerate().find_map(|(i, name)| {
                let name = &name[..name.len().min(length)];
                rest.get(..name.len()).filter(|head| head.eq_ignore_ascii_case(name)).map(|_| (i, name.len()))
            });
            let Some((index, len)) = found else {
                return Err(invalid(
                    rest,
                    3,
                    "The given value did not match any of the allowed values for this field.",
                ));
            };
            rest = &rest[len..];
            if canonical.starts_with("MON") {
                fields.month = Some(index as i64 + 1);
            }
            continue;
        }
        if matches!(canonical.as_str(), "AM" | "PM" | "A.M." | "P.M.") {
            let markers = [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)];
            let found = markers.iter().find(|(m, _)| rest.get(..m.len()).is_some_and(|h| h.eq_ignore_ascii_case(m)));
            let Some((marker, pm)) = found else {
                return Err(invalid(
                    rest,
                    2,
                    "The given value did not match any of the allowed values for this field.",
                ));
            };
            rest = &rest[marker.len()..];
            fields.pm = Some(*pm);
            continue;
        }
        // Eras, zones and Roman numerals: their text is skipped.
        rest = rest.trim_start_matches(|c: char| !c.is_whitespace() && !c.is_ascii_digit());
    }
    if let Some(pm) = fields.pm {
        if !(1..=12).contains(&fields.hour) {
            return Err(out_of_range());
        }
        fields.hour = fields.hour % 12 + if pm { 12 } else { 0 };
    }
    // Without a year the year is 0 (1 BC), as PostgreSQL's to_timestamp('1:2:3', 'HH24:MI:SS').
    let year = i32::try_from(fields.year.unwrap_or(0)).map_err(|_| out_of_range())?;
    let field = |value: Option<i64>| u32::try_from(value.unwrap_or(1)).map_err(|_| out_of_range());
    let date = match (fields.day_of_year, fields.month, fields.day) {
        (Some(doy), None, None) => NaiveDate::from_yo_opt(year, field(Some(doy))?),
        (_, month, day) => NaiveDate::from_ymd_opt(year, field(month)?, field(day)?),
    }
    .ok_or_else(out_of_range)?;
    if fields.hour > 23 || fields.minute > 59 || fields.second > 59 {
        return Err(out_of_range());
    }
    let micros = fields.hour * MICROS_PER_HOUR + fields.minute * MICROS_PER_MINUTE + fields.second * MICROS_PER_SECOND;
    Ok(text::date_to_timestamp(&date) + Duration::microseconds(micros + fields.micros))
}

/// `text` without its first character.
fn skip_char(text: &str) -> &str {
    text.chars().next().map_or(text, |c| &text[c.len_utf8()..])
}

/// The template pattern `template` starts with, as written (`YYYY`, `Month`, or a lower-case spelling).
fn match_pattern(template: &str) -> Option<&str> {
    let lower_case = |p: &&&str| template.get(..p.len()).is_some_and(|head| head == p.to_ascii_lowercase());
    let matched = PATTERNS.iter().find(|p| template.starts_with(**p)).or_else(|| PATTERNS.iter().find(lower_case));
    matched.map(|p| &template[..p.len()])
}

fn ordinal_suffix(n: i64) -> &'static str {
    match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    }
}

/// One pattern's text. `pattern` is as written (its case picks the case of names), `canonical` upper case.
fn render_pattern(b: &Broken, pattern: &str, canonical: &str, fill_mode: bool) -> String {
    let number = |value: i64, width: usize| {
        if fill_mode {
            value.to_string()
        } else if value < 0 {
            format!("-{:0width$}", -value, width = width.saturating_sub(1).max(1))
        } else {
            format!("{value:0width$}")
        }
    };
    let cased = |name: &str, pad: usize| {
        let text = if pattern.chars().filter(|c| c.is_ascii_alphabetic()).all(|c| c.is_ascii_uppercase()) {
            name.to_ascii_uppercase()
        } else if pattern.starts_with(|c: char| c.is_ascii_lowercase()) {
            name.to_ascii_lowercase()
        } else {
            name.to_string()
        };
        if fill_mode {
            text
        } else {
            format!("{text:<pad$}")
        }
    };
    let month_index = (b.month - 1).clamp(0, 11) as usize;
    let weekday = b.date.map(|d| d.weekday().num_days_from_sunday() as usize).unwrap_or(0);
    let hour12 = match b.hour % 12 {
        0 => 12,
        h => h,
    };
    let pm = b.hour % 24 >= 12;
    let marker = |text: &str| {
        if pattern.starts_with(|c: char| c.is_ascii_lowercase()) {
            text.to_ascii_lowercase()
        } else {
            text.to_string()
        }
    };
    let iso = b.date.map(|d| d.iso_week());
    let abs_year = b.year.abs();
    match canonical {
        "HH24" => number(b.hour, 2),
        "HH12" | "HH" => number(hour12, 2),
        "MI" => number(b.minute, 2),
        "SS" => number(b.second, 2),
        "MS" => number(b.micros / 1000, 3),
        "US" => number(b.micros, 6),
        "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
            let digits = canonical[2..].parse::<u32>().unwrap_or(6);
            number(b.micros / 10i64.pow(6 - digits), digits as usize)
        }
        "SSSS" | "SSSSS" => (b.hour * 3600 + b.minute * 60 + b.second).to_string(),
        "AM" | "PM" => marker(if pm { "PM" } else { "AM" }),
        "A.M." | "P.M." => marker(if pm { "P.M." } else { "A.M." }),
        "AD" | "BC" => marker(if b.year < 0 { "BC" } else { "AD" }),
        "A.D." | "B.C." => marker(if b.year < 0 { "B.C." } else { "A.D." }),
        "Y,YYY" => format!("{},{:03}", abs_year / 1000, abs_year % 1000),
        "YYYY" => number(abs_year, 4),
        "YYY" => number(abs_year % 1000, 3),
        "YY" => number(abs_year % 100, 2),
        "Y" => number(abs_year % 10, 1),
        "IYYY" => number(iso.map_or(b.year, |w| w.year() as i64), 4),
        "IYY" => number(iso.map_or(b.year, |w| w.year() as i64) % 1000, 3),
        "IY" => number(iso.map_or(b.year, |w| w.year() as i64) % 100, 2),
        "I" => number(iso.map_or(b.year, |w| w.year() as i64) % 10, 1),
        "MONTH" => cased(MONTH_NAMES[month_index], 9),
        "MON" => cased(&MONTH_NAMES[month_index][..3], 3),
        "MM" => number(b.month, 2),
        "DAY" => cased(DAY_NAMES[weekday], 9),
        "DY" => cased(&DAY_NAMES[weekday][..3], 3),
        "DDD" => number(b.date.map_or(b.day, |d| d.ordinal() as i64), 3),
        "IDDD" => {
            number(b.date.map_or(0, |d| (d.iso_week().week0() * 7 + d.weekday().num_days_from_monday() + 1) as i64), 3)
        }
        "DD" => number(b.day, 2),
        "D" => (weekday + 1).to_string(),
        "ID" => b.date.map_or(0, |d| d.weekday().number_from_monday()).to_string(),
        "W" => ((b.day - 1) / 7 + 1).to_string(),
        "WW" => number(b.date.map_or(0, |d| (d.ordinal0() / 7 + 1) as i64), 2),
        "IW" => number(iso.map_or(0, |w| w.week() as i64), 2),
        "CC" => {
            let century = if b.year > 0 { (b.year + 99) / 100 } else { -((99 - b.year) / 100) };
            number(century, 2)
        }
        "J" => b
            .date
            .map_or(0, |d| {
                d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(d)).num_days() + 2_440_588
            })
            .to_string(),
        "Q" => ((b.month - 1) / 3 + 1).to_string(),
        "RM" => cased(ROMAN_MONTHS[month_index], 4),
        "TZ" => match (&b.abbreviation, b.offset) {
            (Some(abbreviation), _) => cased(abbreviation, 0),
            (None, Some(0)) => cased("UTC", 0),
            (None, Some(offset)) => format_offset(offset),
            (None, None) => String::new(),
        },
        "TZH" => b.offset.map_or(String::new(), |o| format!("{}{:02}", if o < 0 { '-' } else { '+' }, o.abs() / 3600)),
        "TZM" => b.offset.map_or(String::new(), |o| format!("{:02}", o.abs() % 3600 / 60)),
        "OF" => b.offset.map_or(String::new(), format_offset),
        _ => pattern.to_string(),
    }
}

/// `+02`, `-05:30`, as PostgreSQL's `OF` prints an offset.
fn format_offset(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let (hours, minutes) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if minutes == 0 {
        format!("{sign}{hours:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> NaiveDateTime {
        text::parse_timestamp(text).unwrap()
    }

    #[test]
    fn timestamp_plus_interval_clamps_to_month_end() {
        let iv = |t: &str| crate::types::interval::parse_interval(t).unwrap();
        assert_eq!(timestamp_plus(&ts("2024-01-31"), &iv("1 mon"), false).unwrap(), ts("2024-02-29"));
        assert_eq!(timestamp_plus(&ts("2024-03-31"), &iv("1 mon"), true).unwrap(), ts("2024-02-29"));
        assert_eq!(timestamp_plus(&ts("2024-01-01"), &iv("1 day 02:00"), false).unwrap(), ts("2024-01-02 02:00"));
    }

    #[test]
    fn ages() {
        let show = |a: &str, b: &str| crate::types::interval::format_interval(&age(&ts(a), &ts(b)).unwrap());
        assert_eq!(show("2024-03-01", "2023-01-31 12:00"), "1 year 1 mon 12:00:00");
        assert_eq!(show("2023-01-31 12:00", "2024-03-01"), "-1 years -1 mons -12:00:00");
        assert_eq!(show("2024-02-15", "2024-03-10"), "-24 days");
        assert_eq!(show("2024-04-10", "2024-02-15"), "1 mon 24 days");
    }

    #[test]
    fn zones() {
        assert!(matches!(Zone::parse("america/new_york").unwrap(), Zone::Named(_)));
        assert!(matches!(Zone::parse("+02:00").unwrap(), Zone::Fixed(-7200)));
        assert!(matches!(Zone::parse("UTC+2").unwrap(), Zone::Fixed(-7200)));
        assert_eq!(Zone::parse("Mars/Base").unwrap_err().code, "22023");
        let ny = Zone::parse("America/New_York").unwrap();
        assert_eq!(ny.utc(&ts("2024-07-01 12:00")), ts("2024-07-01 16:00"));
        assert_eq!(ny.local(&ts("2024-01-01 12:00")), ts("2024-01-01 07:00"));
    }

    #[test]
    fn to_char_patterns() {
        let b = Broken::of_timestamp(&ts("2024-03-05 14:07:09.123456"), None);
        assert_eq!(to_char(&b, "YYYY-MM-DD HH24:MI:SS.MS"), "2024-03-05 14:07:09.123");
        assert_eq!(to_char(&b, "Day, DD Month YYYY HH12 PM"), "Tuesday  , 05 March     2024 02 PM");
        assert_eq!(to_char(&b, "FMDay FMMonth FMDDth"), "Tuesday March 5th");
        assert_eq!(to_char(&b, "\"Q\"Q IYYY-IW US"), "Q1 2024-10 123456");
    }
}
