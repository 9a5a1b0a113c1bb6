//! The `interval` type: a span of months, days and microseconds, kept apart as PostgreSQL keeps them
//! (a month is not a fixed number of days, nor a day of hours across a DST change).
//!
//! Text input accepts PostgreSQL's forms (`1 day`, `2 hours 30 minutes`, `1 year 2 mons 3 days 04:05:06.5`,
//! `-1 day +02:00`, ISO 8601 `P1Y2M3DT4H5M6S`, `@ 1 day ago`); output is IntervalStyle `postgres`
//! (`1 year 2 mons 3 days 04:05:06.5`). Comparison, ordering and index keys use the normalized span
//! (a month = 30 days, a day = 24 hours), so `'1 mon' = '30 days'` as in PostgreSQL. The arithmetic
//! here (interval * number, justify_*) follows PostgreSQL's rounding; arithmetic with timestamps lives in
//! `sql::datetime`.

use std::cmp::Ordering;

use crate::error::{sqlstate, Error, Result};

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
pub const DAYS_PER_MONTH: i64 = 30;

/// 22015 interval_field_overflow.
const INTERVAL_FIELD_OVERFLOW: &str = "22015";

/// One interval value, stored as PostgreSQL stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    pub const ZERO: Interval = Interval { months: 0, days: 0, micros: 0 };

    pub fn new(months: i32, days: i32, micros: i64) -> Interval {
        Interval { months, days, micros }
    }

    /// The span in microseconds with a month of 30 days and a day of 24 hours: what comparisons use.
    pub fn span_micros(&self) -> i128 {
        (self.months as i128 * DAYS_PER_MONTH as i128 + self.days as i128) * MICROS_PER_DAY as i128
            + self.micros as i128
    }

    pub fn checked_add(&self, other: &Interval) -> Result<Interval> {
        Ok(Interval {
            months: self.months.checked_add(other.months).ok_or_else(interval_out_of_range)?,
            days: self.days.checked_add(other.days).ok_or_else(interval_out_of_range)?,
            micros: self.micros.checked_add(other.micros).ok_or_else(interval_out_of_range)?,
        })
    }

    pub fn checked_neg(&self) -> Result<Interval> {
        Ok(Interval {
            months: self.months.checked_neg().ok_or_else(interval_out_of_range)?,
            days: self.days.checked_neg().ok_or_else(interval_out_of_range)?,
            micros: self.micros.checked_neg().ok_or_else(interval_out_of_range)?,
        })
    }

    pub fn checked_sub(&self, other: &Interval) -> Result<Interval> {
        self.checked_add(&other.checked_neg()?)
    }

    /// `interval * factor` as PostgreSQL's interval_mul: fractional months spill into days and fractional
    /// days into microseconds, each rounded to the microsecond.
    pub fn mul(&self, factor: f64) -> Result<Interval> {
        let months = self.months as f64 * factor;
        let days = self.days as f64 * factor;
        self.scaled(months, days, self.micros as f64 * factor)
    }

    /// `interval / divisor` as PostgreSQL's interval_div (22012 for zero).
    pub fn div(&self, divisor: f64) -> Result<Interval> {
        if divisor == 0.0 {
            return Err(Error::division_by_zero());
        }
        self.scaled(self.months as f64 / divisor, self.days as f64 / divisor, self.micros as f64 / divisor)
    }

    fn scaled(&self, months: f64, days: f64, micros: f64) -> Result<Interval> {
        let in_i32 = |f: f64| f.is_finite() && f > i32::MIN as f64 - 1.0 && f < i32::MAX as f64 + 1.0;
        if !in_i32(months) || !in_i32(days) {
            return Err(interval_out_of_range());
        }
        let whole_months = months.trunc();
        let mut whole_days = days.trunc();
        let month_remainder_days = round_to_micro((months - whole_months) * DAYS_PER_MONTH as f64);
        let mut seconds_remainder = round_to_micro(
            (days - whole_days + month_remainder_days.fract()) * (MICROS_PER_DAY / MICROS_PER_SECOND) as f64,
        );
        let seconds_per_day = (MICROS_PER_DAY / MICROS_PER_SECOND) as f64;
        if seconds_remainder.abs() >= seconds_per_day {
            let spill = (seconds_remainder / seconds_per_day).trunc();
            whole_days += spill;
            seconds_remainder -= spill * seconds_per_day;
        }
        whole_days += month_remainder_days.trunc();
        let micros = (micros + seconds_remainder * MICROS_PER_SECOND as f64).round_ties_even();
        if !in_i32(whole_days) || !micros.is_finite() || micros.abs() >= i64::MAX as f64 {
            return Err(interval_out_of_range());
        }
        Ok(Interval { months: whole_months as i32, days: whole_days as i32, micros: micros as i64 })
    }

    /// `justify_hours`: whole days out of the time part, the sign of days and time made to agree.
    pub fn justify_hours(&self) -> Result<Interval> {
        let mut days = self.days as i64 + self.micros / MICROS_PER_DAY;
        let mut micros = self.micros % MICROS_PER_DAY;
        agree_signs(&mut days, &mut micros, MICROS_PER_DAY);
        Ok(Interval { months: self.months, days: i32::try_from(days).map_err(|_| interval_out_of_range())?, micros })
    }

    /// `justify_days`: whole 30-day months out of the days, the signs of months and days made to agree.
    pub fn justify_days(&self) -> Result<Interval> {
        let mut months = self.months as i64 + self.days as i64 / DAYS_PER_MONTH;
        let mut days = self.days as i64 % DAYS_PER_MONTH;
        agree_signs(&mut months, &mut days, DAYS_PER_MONTH);
        let months = i32::try_from(months).map_err(|_| interval_out_of_range())?;
        Ok(Interval { months, days: days as i32, micros: self.micros })
    }

    /// `justify_interval`: both justifications, with one sign across all three fields.
    pub fn justify_interval(&self) -> Result<Interval> {
        let mut months = self.months as i64;
        let mut days = self.days as i64 + self.micros / MICROS_PER_DAY;
        let mut micros = self.micros % MICROS_PER_DAY;
        months += days / DAYS_PER_MONTH;
        days %= DAYS_PER_MONTH;
        if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
            days += DAYS_PER_MONTH;
            months -= 1;
        } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
            days -= DAYS_PER_MONTH;
            months += 1;
        }
        agree_signs(&mut days, &mut micros, MICROS_PER_DAY);
        let months = i32::try_from(months).map_err(|_| interval_out_of_range())?;
        Ok(Interval { months, days: days as i32, micros })
    }
}

impl PartialOrd for Interval {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Interval {
    /// By normalized span, ties (`'1 mon'` and `'30 days'`, equal under [`Interval::cmp_span`]) broken
    /// by the fields, so that sorting and keys have one total order.
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_span(other).then_with(|| (self.months, self.days).cmp(&(other.months, other.days)))
    }
}

impl Interval {
    /// SQL comparison (`=`, `<`, ...): by normalized span, so `'1 mon' = '30 days'`.
    pub fn cmp_span(&self, other: &Interval) -> Ordering {
        self.span_micros().cmp(&other.span_micros())
    }
}

fn round_to_micro(value: f64) -> f64 {
    (value * 1e6).round_ties_even() / 1e6
}

/// 22008 `interval out of range`.
pub fn interval_out_of_range() -> Error {
    Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, "interval out of range")
}

fn invalid_syntax(text: &str) -> Error {
    Error::new(sqlstate::INVALID_DATETIME_FORMAT, format!("invalid input syntax for type interval: \"{text}\""))
}

fn field_overflow(text: &str) -> Error {
    Error::new(INTERVAL_FIELD_OVERFLOW, format!("interval field value out of range: \"{text}\""))
}

/// The unit of one interval field, as its words and abbreviations name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalUnit {
    Millennium,
    Century,
    Decade,
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
}

impl IntervalUnit {
    /// The unit a word names (`years`, `mon`, `h`, `usec`, ...), as PostgreSQL's deltatktbl.
    pub fn from_word(word: &str) -> Option<IntervalUnit> {
        use IntervalUnit::*;
        Some(match word {
            "millennium" | "millennia" | "millenniums" | "mil" | "mils" => Millennium,
            "century" | "centuries" | "cent" | "c" => Century,
            "decade" | "decades" | "dec" | "decs" => Decade,
            "year" | "years" | "y" | "yr" | "yrs" => Year,
            "month" | "months" | "mon" | "mons" => Month,
            "week" | "weeks" | "w" => Week,
            "day" | "days" | "d" => Day,
            "hour" | "hours" | "h" | "hr" | "hrs" => Hour,
            "minute" | "minutes" | "m" | "min" | "mins" => Minute,
            "second" | "seconds" | "s" | "sec" | "secs" => Second,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "msecond" | "mseconds" => Millisecond,
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "usecond" | "useconds" => Microsecond,
            _ => return None,
        })
    }
}

/// An interval being accumulated from fields, in wide integers so overflow is detected once at the end.
#[derive(Default)]
struct Accumulator {
    months: i64,
    days: i64,
    micros: i128,
}

impl Accumulator {
    /// Adds `value` (whole part) plus `fraction` (same sign, |fraction| < 1) of `unit`, cascading the
    /// fraction to smaller fields as PostgreSQL's DecodeInterval does.
    fn add(&mut self, unit: IntervalUnit, whole: i64, fraction: f64) -> Option<()> {
        use IntervalUnit::*;
        let years = |acc: &mut Accumulator, scale: i64| {
            acc.months = acc.months.checked_add(whole.checked_mul(scale * 12)?)?;
            acc.months += (fraction * (scale * 12) as f64).round_ties_even() as i64;
            Some(())
        };
        match unit {
            Millennium => years(self, 1000)?,
            Century => years(self, 100)?,
            Decade => years(self, 10)?,
            Year => years(self, 1)?,
            Month => {
                self.months = self.months.checked_add(whole)?;
                self.add_fractional_days(fraction * DAYS_PER_MONTH as f64);
            }
            Week => {
                self.days = self.days.checked_add(whole.checked_mul(7)?)?;
                self.add_fractional_days(fraction * 7.0);
            }
            Day => {
                self.days = self.days.checked_add(whole)?;
                self.add_fractional_micros(fraction, MICROS_PER_DAY);
            }
            Hour => self.add_micros(whole, fraction, MICROS_PER_HOUR),
            Minute => self.add_micros(whole, fraction, MICROS_PER_MINUTE),
            Second => self.add_micros(whole, fraction, MICROS_PER_SECOND),
            Millisecond => self.add_micros(whole, fraction, 1000),
            Microsecond => self.add_micros(whole, fraction, 1),
        }
        Some(())
    }

    fn add_micros(&mut self, whole: i64, fraction: f64, scale: i64) {
        self.micros += whole as i128 * scale as i128;
        self.add_fractional_micros(fraction, scale);
    }

    fn add_fractional_days(&mut self, days: f64) {
        let whole = days.trunc();
        self.days += whole as i64;
        self.add_fractional_micros(days - whole, MICROS_PER_DAY);
    }

    fn add_fractional_micros(&mut self, fraction: f64, scale: i64) {
        self.micros += (fraction * scale as f64).round_ties_even() as i128;
    }

    fn finish(self, negate: bool) -> Result<Interval> {
        let sign = if negate { -1 } else { 1 };
        let months = i32::try_from(self.months * sign).map_err(|_| interval_out_of_range())?;
        let days = i32::try_from(self.days * sign).map_err(|_| interval_out_of_range())?;
        let micros = i64::try_from(self.micros * sign as i128).map_err(|_| interval_out_of_range())?;
        Ok(Interval { months, days, micros })
    }
}

/// Splits a signed decimal number into its whole part and its fraction (both carrying the sign).
fn split_number(number: &str) -> Option<(i64, f64)> {
    let negative = number.starts_with('-');
    let unsigned = number.trim_start_matches(['+', '-']);
    if unsigned.is_empty() || !unsigned.chars().all(|c| c.is_ascii_digit() || c == '.') || unsigned == "." {
        return None;
    }
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if fraction.contains('.') {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: f64 = if fraction.is_empty() { 0.0 } else { format!("0.{fraction}").parse().ok()? };
    Some(if negative { (-whole, -fraction) } else { (whole, fraction) })
}

/// Parses interval text; a number without a unit is seconds (`INTERVAL '3' DAY` reaches here as `3 day`).
pub fn parse_interval(text: &str) -> Result<Interval> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid_syntax(text));
    }
    if let Some(iso) = trimmed.strip_prefix(['P', 'p']) {
        return parse_iso8601(iso, text);
    }
    let lower = trimmed.to_ascii_lowercase();
    let body = lower.strip_prefix('@').unwrap_or(&lower);
    let mut tokens = tokenize(body).ok_or_else(|| invalid_syntax(text))?;
    let ago = tokens.last().is_some_and(|t| t == "ago");
    if ago {
        tokens.pop();
    }
    if tokens.is_empty() {
        return Err(invalid_syntax(text));
    }
    let mut acc = Accumulator::default();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        if token.contains(':') {
            acc.micros +=
                parse_time(token)
                    .map_err(|overflow| if overflow { field_overflow(text) } else { invalid_syntax(text) })?;
            i += 1;
            continue;
        }
        let (whole, fraction) = split_number(token).ok_or_else(|| invalid_syntax(text))?;
        // A number beyond int32 is a field overflow (22015); a sum beyond the fields' range is 22008.
        if i32::try_from(whole).is_err() {
            return Err(field_overflow(text));
        }
        let unit = match tokens.get(i + 1).and_then(|word| IntervalUnit::from_word(word)) {
            Some(unit) => {
                i += 1;
                unit
            }
            // A number right before a time counts days (`1 12:00` is `1 day 12:00:00`).
            None if tokens.get(i + 1).is_some_and(|next| next.contains(':')) => IntervalUnit::Day,
            None if tokens.get(i + 1).is_some() => return Err(invalid_syntax(text)),
            None => IntervalUnit::Second,
        };
        acc.add(unit, whole, fraction).ok_or_else(interval_out_of_range)?;
        i += 1;
    }
    acc.finish(ago)
}

/// Splits interval text into numbers, unit words and `h:m:s` times (`2hours` is `2`, `hours`).
fn tokenize(body: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    for word in body.split(|c: char| c.is_whitespace() || c == ',') {
        if word.is_empty() {
            continue;
        }
        let split = word.find(|c: char| c.is_ascii_alphabetic());
        match split {
            Some(0) => tokens.push(word.to_string()),
            Some(at) if !word.contains(':') => {
                tokens.push(word[..at].to_string());
                let unit = &word[at..];
                if !unit.chars().all(|c| c.is_ascii_alphabetic()) {
                    return None;
                }
                tokens.push(unit.to_string());
            }
            Some(_) => return None,
            None => tokens.push(word.to_string()),
        }
    }
    Some(tokens)
}

/// `[+-]h:m[:s[.frac]]` in microseconds (signed); `Err(true)` when a field is out of range (minutes
/// above 59, seconds above 60), `Err(false)` when it is not a time.
fn parse_time(token: &str) -> std::result::Result<i128, bool> {
    let micros = time_micros(token).ok_or(false)?;
    micros.ok_or(true)
}

/// The time's microseconds, None inside when a field is out of range; None outside when not a time.
fn time_micros(token: &str) -> Option<Option<i128>> {
    let negative = token.starts_with('-');
    let unsigned = token.trim_start_matches(['+', '-']);
    let parts: Vec<&str> = unsigned.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let integer = |p: &str| p.chars().all(|c| c.is_ascii_digit()).then(|| p.parse::<i64>().ok()).flatten();
    let hours = integer(parts[0])?;
    let minutes = integer(parts[1])?;
    if minutes > 59 {
        return Some(None);
    }
    let mut micros = hours as i128 * MICROS_PER_HOUR as i128 + minutes as i128 * MICROS_PER_MINUTE as i128;
    if let Some(seconds) = parts.get(2) {
        let (whole, fraction) = split_number(seconds)?;
        if seconds.starts_with(['+', '-']) {
            return None;
        }
        if whole > 60 {
            return Some(None);
        }
        micros += whole as i128 * MICROS_PER_SECOND as i128 + (fraction * 1e6).round_ties_even() as i128;
    }
    Some(Some(if negative { -micros } else { micros }))
}

/// ISO 8601 `PnYnMnWnDTnHnMnS` (the part after `P`); each number may carry a sign and a fraction.
fn parse_iso8601(body: &str, text: &str) -> Result<Interval> {
    let mut acc = Accumulator::default();
    let mut in_time = false;
    let mut rest = body;
    if rest.is_empty() {
        return Err(invalid_syntax(text));
    }
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(['T', 't']) {
            if in_time {
                return Err(invalid_syntax(text));
            }
            in_time = true;
            rest = after;
            continue;
        }
        let end = rest.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(|| invalid_syntax(text))?;
        let (whole, fraction) = split_number(&rest[..end]).ok_or_else(|| invalid_syntax(text))?;
        let designator = rest.as_bytes()[end].to_ascii_uppercase();
        let unit = match (designator, in_time) {
            (b'Y', false) => IntervalUnit::Year,
            (b'M', false) => IntervalUnit::Month,
            (b'W', false) => IntervalUnit::Week,
            (b'D', false) => IntervalUnit::Day,
            (b'H', true) => IntervalUnit::Hour,
            (b'M', true) => IntervalUnit::Minute,
            (b'S', true) => IntervalUnit::Second,
            _ => return Err(invalid_syntax(text)),
        };
        acc.add(unit, whole, fraction).ok_or_else(interval_out_of_range)?;
        rest = &rest[end + 1..];
    }
    acc.finish(false)
}

/// The broken-down fields PostgreSQL prints and extracts (interval2itm): each truncated toward zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalFields {
    pub years: i64,
    pub months: i64,
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
    pub micros: i64,
}

impl Interval {
    pub fn fields(&self) -> IntervalFields {
        IntervalFields {
            years: self.months as i64 / 12,
            months: self.months as i64 % 12,
            days: self.days as i64,
            hours: self.micros / MICROS_PER_HOUR,
            minutes: self.micros % MICROS_PER_HOUR / MICROS_PER_MINUTE,
            seconds: self.micros % MICROS_PER_MINUTE / MICROS_PER_SECOND,
            micros: self.micros % MICROS_PER_SECOND,
        }
    }
}

/// The `postgres` IntervalStyle output (PostgreSQL's EncodeInterval).
pub fn format_interval(interval: &Interval) -> String {
    let f = interval.fields();
    let mut out = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    for (value, unit) in [(f.years, "year"), (f.months, "mon"), (f.days, "day")] {
        if value == 0 {
            continue;
        }
        if !is_zero {
            out.push(' ');
        }
        if is_before && value > 0 {
            out.push('+');
        }
        out.push_str(&format!("{value} {unit}{}", if value != 1 { "s" } else { "" }));
        is_before = value < 0;
        is_zero = false;
    }
    if is_zero || interval.micros != 0 {
        let minus = interval.micros < 0;
        if !is_zero {
            out.push(' ');
        }
        out.push_str(if minus {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        });
        out.push_str(&format!("{:02}:{:02}:{:02}", f.hours.abs(), f.minutes.abs(), f.seconds.abs()));
        if f.micros != 0 {
            let fraction = format!("{:06}", f.micros.abs());
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
    }
    out
}

/// Moves one `unit` (how many of `low` make one `high`) between the two fields so their signs agree, as
/// PostgreSQL's justify functions do.
fn agree_signs(high: &mut i64, low: &mut i64, unit: i64) {
    if *high > 0 && *low < 0 {
        *low += unit;
        *high -= 1;
    } else if *high < 0 && *low > 0 {
        *low -= unit;
        *high += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        format_interval(&parse_interval(text).unwrap_or_else(|e| panic!("{text}: {e:?}")))
    }

    #[test]
    fn postgres_style_output() {
        let cases = [
            ("1 day", "1 day"),
            ("2 hours 30 minutes", "02:30:00"),
            ("1 year 2 mons 3 days 04:05:06.5", "1 year 2 mons 3 days 04:05:06.5"),
            ("-1 day +02:00", "-1 days +02:00:00"),
            ("0", "00:00:00"),
            ("@ 1 day ago", "-1 days"),
            ("1 day 2 hours ago", "-1 days -02:00:00"),
            ("P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06"),
            ("P0.5Y", "6 mons"),
            ("PT1.5S", "00:00:01.5"),
            ("1.5 years", "1 year 6 mons"),
            ("1.5 months", "1 mon 15 days"),
            ("1.5 weeks", "10 days 12:00:00"),
            ("1.5 days", "1 day 12:00:00"),
            ("90 minutes", "01:30:00"),
            ("1", "00:00:01"),
            ("10 mins 5 secs", "00:10:05"),
            ("-1:30", "-01:30:00"),
            ("2h", "02:00:00"),
            ("1 mon -1 day", "1 mon -1 days"),
            ("100 hours", "100:00:00"),
            ("1 12:00", "1 day 12:00:00"),
            ("-2 03:00:00", "-2 days +03:00:00"),
            ("5 1:30:00 ago", "-5 days -01:30:00"),
            ("1 millisecond", "00:00:00.001"),
            ("3 decades", "30 years"),
            ("1 century", "100 years"),
        ];
        for (input, expected) in cases {
            assert_eq!(round_trip(input), expected, "{input}");
        }
    }

    #[test]
    fn bad_input() {
        for input in ["", "x", "1 fortnight", "P", "1.2.3 days", "1:x", "1 2"] {
            let err = parse_interval(input).unwrap_err();
            assert_eq!(err.code, "22007", "{input}");
        }
        for input in ["3000000000 days", "1:60", "1:00:61"] {
            assert_eq!(parse_interval(input).unwrap_err().code, "22015", "{input}");
        }
        assert_eq!(parse_interval("2147483647 years").unwrap_err().code, "22008");
    }

    #[test]
    fn ordering_by_span() {
        let month = parse_interval("1 mon").unwrap();
        let thirty_days = parse_interval("30 days").unwrap();
        assert_eq!(month.cmp_span(&thirty_days), Ordering::Equal);
        assert!(parse_interval("25 hours").unwrap() > parse_interval("1 day").unwrap());
    }

    #[test]
    fn multiplication_and_justification() {
        let mul = |text: &str, factor: f64| format_interval(&parse_interval(text).unwrap().mul(factor).unwrap());
        assert_eq!(mul("1 mon", 1.5), "1 mon 15 days");
        assert_eq!(mul("1 day", 0.5), "12:00:00");
        assert_eq!(mul("1 hour", 3.0), "03:00:00");
        let div = parse_interval("1 mon").unwrap().div(4.0).unwrap();
        assert_eq!(format_interval(&div), "7 days 12:00:00");
        let j = |text: &str, f: fn(&Interval) -> Result<Interval>| {
            format_interval(&f(&parse_interval(text).unwrap()).unwrap())
        };
        assert_eq!(j("27 hours", Interval::justify_hours), "1 day 03:00:00");
        assert_eq!(j("35 days", Interval::justify_days), "1 mon 5 days");
        assert_eq!(j("1 mon -1 hour", Interval::justify_interval), "29 days 23:00:00");
    }
}
