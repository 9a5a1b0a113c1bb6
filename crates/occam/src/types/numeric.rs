//! occam's `numeric`: an exact decimal of PostgreSQL's range (up to 131072 digits before the point and
//! 16383 after), with the display scale (`1.50` keeps two fraction digits) as part of the value.
//!
//! A value is `mantissa / 10^scale`. Mantissas that fit an `i128` (38 digits: money, counts, nearly
//! every stored value) live inline and their arithmetic is plain checked integer arithmetic; anything
//! larger moves to a heap `BigInt`, and results that fit `i128` again move back, so each value has one
//! representation per (mantissa, scale) and the derived encodings agree. Equality, order and hashing are
//! by value: `1.5 = 1.50`, as PostgreSQL compares numerics.
//!
//! The transcendental functions (`sqrt`, `exp`, `ln`) compute in fixed point with guard digits and round
//! half away from zero to the scale the caller chose (PostgreSQL's result-scale rules live in
//! `sql::scalar`, which calls these).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::error::{Error, Result};

/// PostgreSQL's NUMERIC_DSCALE_MAX: the most fraction digits a numeric keeps.
pub const MAX_SCALE: u32 = 0x3FFF;
/// Digits before the point a numeric may have (PostgreSQL: a base-10000 weight of at most 32767).
pub const MAX_INTEGER_DIGITS: i64 = 131_072;

/// An exact decimal number; see the module comment.
#[derive(Clone)]
pub struct Numeric(Repr);

#[derive(Clone)]
enum Repr {
    /// The mantissa as an i128 split in two words, so the whole value stays 24 bytes.
    Small {
        hi: i64,
        lo: u64,
        scale: u16,
    },
    Big {
        mantissa: Box<BigInt>,
        scale: u16,
    },
}

/// The 22003 error for a value beyond numeric's range.
pub fn overflow() -> Error {
    Error::out_of_range("value overflows numeric format")
}

const POW10: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

fn pow10_big(n: u32) -> BigInt {
    if (n as usize) < POW10.len() {
        BigInt::from(POW10[n as usize])
    } else {
        num_traits::pow(BigInt::from(10), n as usize)
    }
}

/// `m * 10^n`, or None when it does not fit an i128.
fn scale_up_small(m: i128, n: u32) -> Option<i128> {
    POW10.get(n as usize).and_then(|p| m.checked_mul(*p))
}

/// `n / d` rounded half away from zero (d != 0).
fn div_round_big(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = n.div_rem(d);
    if r.is_zero() {
        return q;
    }
    let twice = r.abs() * 2u32;
    if twice >= d.abs() {
        if (n.sign() == Sign::Minus) != (d.sign() == Sign::Minus) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

fn div_round_small(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r != 0 && r.unsigned_abs() >= d.unsigned_abs() - r.unsigned_abs() {
        if (n < 0) != (d < 0) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

impl Numeric {
    pub const ZERO: Numeric = Numeric(Repr::Small { hi: 0, lo: 0, scale: 0 });

    fn small(mantissa: i128, scale: u16) -> Numeric {
        Numeric(Repr::Small { hi: (mantissa >> 64) as i64, lo: mantissa as u64, scale })
    }

    /// `mantissa / 10^scale` (scale at most [`MAX_SCALE`]; callers round first).
    pub fn from_parts(mantissa: BigInt, scale: u32) -> Numeric {
        debug_assert!(scale <= u16::MAX as u32);
        match mantissa.to_i128() {
            Some(m) => Numeric::small(m, scale as u16),
            None => Numeric(Repr::Big { mantissa: Box::new(mantissa), scale: scale as u16 }),
        }
    }

    /// `mantissa / 10^scale` for an i128 mantissa.
    pub fn from_i128(mantissa: i128, scale: u32) -> Numeric {
        Numeric::small(mantissa, scale as u16)
    }

    pub fn from_i64(value: i64) -> Numeric {
        Numeric::small(value as i128, 0)
    }

    /// Digits after the point (PostgreSQL's dscale).
    pub fn scale(&self) -> u32 {
        match &self.0 {
            Repr::Small { scale, .. } | Repr::Big { scale, .. } => *scale as u32,
        }
    }

    fn small_mantissa(&self) -> Option<i128> {
        match &self.0 {
            Repr::Small { hi, lo, .. } => Some(((*hi as i128) << 64) | *lo as i128),
            Repr::Big { .. } => None,
        }
    }

    /// The mantissa (`self * 10^scale`).
    pub fn mantissa(&self) -> BigInt {
        match &self.0 {
            Repr::Small { .. } => BigInt::from(self.small_mantissa().unwrap_or_default()),
            Repr::Big { mantissa, .. } => (**mantissa).clone(),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.small_mantissa() == Some(0)
    }

    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Small { hi, .. } => *hi < 0,
            Repr::Big { mantissa, .. } => mantissa.is_negative(),
        }
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> i32 {
        if self.is_zero() {
            0
        } else if self.is_negative() {
            -1
        } else {
            1
        }
    }

    pub fn abs(&self) -> Numeric {
        if self.is_negative() {
            self.neg()
        } else {
            self.clone()
        }
    }

    pub fn neg(&self) -> Numeric {
        match self.small_mantissa() {
            Some(m) if m != i128::MIN => Numeric::small(-m, self.scale() as u16),
            _ => Numeric::from_parts(-self.mantissa(), self.scale()),
        }
    }

    /// The unsigned mantissa's decimal digits (`"0"` for zero).
    pub fn magnitude_digits(&self) -> String {
        match self.small_mantissa() {
            // u64 formats faster than u128, and nearly every mantissa fits.
            Some(m) => match u64::try_from(m.unsigned_abs()) {
                Ok(small) => small.to_string(),
                Err(_) => m.unsigned_abs().to_string(),
            },
            None => self.mantissa().magnitude().to_string(),
        }
    }

    /// How many decimal digits the mantissa has (1 for zero), without printing it.
    fn digit_count(&self) -> i64 {
        match &self.0 {
            Repr::Small { .. } => {
                let m = self.small_mantissa().unwrap_or(0).unsigned_abs();
                POW10[1..].iter().take_while(|p| m >= p.unsigned_abs()).count() as i64 + 1
            }
            Repr::Big { mantissa, .. } => {
                // 2^(bits-1) <= |m| < 2^bits: the count is this upper bound or one less.
                let upper = (mantissa.bits() as f64 * std::f64::consts::LOG10_2).floor() as i64 + 1;
                if mantissa.magnitude() >= pow10_big((upper - 1) as u32).magnitude() {
                    upper
                } else {
                    upper - 1
                }
            }
        }
    }

    /// The decimal exponent of the leading digit: `10^e <= |self| < 10^(e+1)` (None for zero).
    pub fn leading_exponent(&self) -> Option<i64> {
        if self.is_zero() {
            return None;
        }
        Some(self.digit_count() - 1 - self.scale() as i64)
    }

    /// Fails with 22003 when the value is beyond numeric's range.
    pub fn check_range(self) -> Result<Numeric> {
        if self.scale() > MAX_SCALE {
            return Err(overflow());
        }
        if let Repr::Big { mantissa, scale } = &self.0 {
            // Only a mantissa near the bound needs its digits counted.
            let upper = (mantissa.bits() as f64 * std::f64::consts::LOG10_2) as i64 + 1 - *scale as i64;
            if upper >= MAX_INTEGER_DIGITS && self.leading_exponent().is_some_and(|e| e >= MAX_INTEGER_DIGITS) {
                return Err(overflow());
            }
        }
        Ok(self)
    }

    /// The same value with `scale` fraction digits: more are zeros, fewer round half away from zero
    /// (`scale` may be negative: `round(1234, -2)` is `1200`, shown with no fraction digits).
    pub fn round(&self, scale: i64) -> Numeric {
        self.rescale_with(scale, true)
    }

    /// As [`Numeric::round`] but dropping the digits (toward zero).
    pub fn trunc(&self, scale: i64) -> Numeric {
        self.rescale_with(scale, false)
    }

    fn rescale_with(&self, scale: i64, round: bool) -> Numeric {
        let current = self.scale() as i64;
        let target = scale.min(MAX_SCALE as i64);
        let display = target.max(0) as u32;
        if target >= current {
            let up = (display as i64 - current) as u32;
            if let Some(m) = self.small_mantissa().and_then(|m| scale_up_small(m, up)) {
                return Numeric::small(m, display as u16);
            }
            return Numeric::from_parts(self.mantissa() * pow10_big(up), display);
        }
        let drop = (current - target).min(MAX_INTEGER_DIGITS + MAX_SCALE as i64 + 2) as u32;
        // Digits dropped below the point, then (negative target) zeros to restore at the ones' place.
        let restore = (display as i64 - target) as u32;
        if let (Some(m), Some(divisor)) = (self.small_mantissa(), POW10.get(drop as usize)) {
            let q = if round { div_round_small(m, *divisor) } else { m / divisor };
            if let Some(m) = scale_up_small(q, restore) {
                return Numeric::small(m, display as u16);
            }
        }
        let divisor = pow10_big(drop);
        let m = self.mantissa();
        let q = if round { div_round_big(&m, &divisor) } else { m / divisor };
        Numeric::from_parts(q * pow10_big(restore), display)
    }

    /// The value with no fraction digits, rounded up / down.
    pub fn ceil(&self) -> Numeric {
        let t = self.trunc(0);
        if !self.is_negative() && t != *self {
            t.add_exact(&Numeric::from_i64(1))
        } else {
            t
        }
    }

    pub fn floor(&self) -> Numeric {
        let t = self.trunc(0);
        if self.is_negative() && t != *self {
            t.add_exact(&Numeric::from_i64(-1))
        } else {
            t
        }
    }

    /// Both mantissas at the larger scale.
    fn aligned(&self, other: &Numeric) -> (Aligned, u32) {
        let scale = self.scale().max(other.scale());
        if let (Some(a), Some(b)) = (self.small_mantissa(), other.small_mantissa()) {
            if let (Some(a), Some(b)) =
                (scale_up_small(a, scale - self.scale()), scale_up_small(b, scale - other.scale()))
            {
                return (Aligned::Small(a, b), scale);
            }
        }
        let a = self.mantissa() * pow10_big(scale - self.scale());
        let b = other.mantissa() * pow10_big(scale - other.scale());
        (Aligned::Big(a, b), scale)
    }

    fn add_exact(&self, other: &Numeric) -> Numeric {
        match self.aligned(other) {
            (Aligned::Small(a, b), scale) => match a.checked_add(b) {
                Some(sum) => Numeric::small(sum, scale as u16),
                None => Numeric::from_parts(BigInt::from(a) + b, scale),
            },
            (Aligned::Big(a, b), scale) => Numeric::from_parts(a + b, scale),
        }
    }

    /// `self + other`, exact, at the larger scale.
    pub fn add(&self, other: &Numeric) -> Result<Numeric> {
        self.add_exact(other).check_range()
    }

    /// `self - other`, exact, at the larger scale.
    pub fn sub(&self, other: &Numeric) -> Result<Numeric> {
        self.add_exact(&other.neg()).check_range()
    }

    /// `self * other`, exact (scale: the sum of the scales, rounded to 16383 beyond that, as PostgreSQL).
    pub fn mul(&self, other: &Numeric) -> Result<Numeric> {
        let scale = self.scale() + other.scale();
        let product = match (self.small_mantissa(), other.small_mantissa()) {
            (Some(a), Some(b)) if a.checked_mul(b).is_some() && scale <= MAX_SCALE => {
                Numeric::small(a * b, scale as u16)
            }
            _ => {
                let m = self.mantissa() * other.mantissa();
                if scale > MAX_SCALE {
                    let divisor = pow10_big(scale - MAX_SCALE);
                    Numeric::from_parts(div_round_big(&m, &divisor), MAX_SCALE)
                } else {
                    Numeric::from_parts(m, scale)
                }
            }
        };
        product.check_range()
    }

    /// `self / other` rounded half away from zero to `scale` fraction digits (22012 for a zero divisor).
    pub fn div_round(&self, other: &Numeric, scale: i64) -> Result<Numeric> {
        self.div_with(other, scale, true)
    }

    /// `self / other` truncated toward zero at `scale` fraction digits.
    pub fn div_trunc(&self, other: &Numeric, scale: i64) -> Result<Numeric> {
        self.div_with(other, scale, false)
    }

    fn div_with(&self, other: &Numeric, scale: i64, round: bool) -> Result<Numeric> {
        if other.is_zero() {
            return Err(Error::division_by_zero());
        }
        let scale = scale.clamp(0, MAX_SCALE as i64) as u32;
        // self/other * 10^scale = a * 10^(scale + sb - sa) / b.
        let shift = scale as i64 + other.scale() as i64 - self.scale() as i64;
        let (up_a, up_b) = if shift >= 0 { (shift as u32, 0) } else { (0, (-shift) as u32) };
        if let (Some(a), Some(b)) = (self.small_mantissa(), other.small_mantissa()) {
            if let (Some(n), Some(d)) = (scale_up_small(a, up_a), scale_up_small(b, up_b)) {
                let q = if round { div_round_small(n, d) } else { n / d };
                return Numeric::small(q, scale as u16).check_range();
            }
        }
        if self.leading_exponent().unwrap_or(0) - other.leading_exponent().unwrap_or(0) > MAX_INTEGER_DIGITS {
            return Err(overflow());
        }
        let n = self.mantissa() * pow10_big(up_a);
        let d = other.mantissa() * pow10_big(up_b);
        let q = if round { div_round_big(&n, &d) } else { n / d };
        Numeric::from_parts(q, scale).check_range()
    }

    /// `self - trunc(self / other) * other`, at the larger scale (PostgreSQL's numeric `%`).
    pub fn rem(&self, other: &Numeric) -> Result<Numeric> {
        if other.is_zero() {
            return Err(Error::division_by_zero());
        }
        match self.aligned(other) {
            (Aligned::Small(a, b), scale) => Ok(Numeric::small(a.checked_rem(b).unwrap_or(0), scale as u16)),
            (Aligned::Big(a, b), scale) => Ok(Numeric::from_parts(a % b, scale)),
        }
    }

    /// The value as an i64 after rounding half away from zero (None when out of range).
    pub fn to_i64_rounded(&self) -> Option<i64> {
        let rounded = self.round(0);
        match rounded.small_mantissa() {
            Some(m) => i64::try_from(m).ok(),
            None => None,
        }
    }

    /// The nearest f64 (as PostgreSQL: through the decimal text; ±inf for values beyond f64's range).
    pub fn to_f64(&self) -> f64 {
        if let Some(m) = self.small_mantissa() {
            if self.scale() == 0 && m.unsigned_abs() < (1u128 << 53) {
                return m as f64;
            }
        }
        self.to_string().parse().unwrap_or(0.0)
    }

    /// The exact decimal value of a finite float (None for NaN and infinities).
    pub fn from_f64_exact(value: f64) -> Option<Numeric> {
        if !value.is_finite() {
            return None;
        }
        if value == 0.0 {
            return Some(Numeric::ZERO);
        }
        let bits = value.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, exponent) =
            if exponent == 0 { (fraction, -1074) } else { (fraction | (1u64 << 52), exponent - 1075) };
        let mantissa = if value < 0.0 { -BigInt::from(mantissa) } else { BigInt::from(mantissa) };
        Some(if exponent >= 0 {
            Numeric::from_parts(mantissa << exponent as usize, 0)
        } else {
            // m / 2^k = m * 5^k / 10^k.
            let k = (-exponent) as u32;
            Numeric::from_parts(mantissa * num_traits::pow(BigInt::from(5), k as usize), k).trimmed()
        })
    }

    /// Fraction digits without trailing zeros (PostgreSQL's min_scale).
    pub fn min_scale(&self) -> u32 {
        self.trimmed().scale()
    }

    /// The value without trailing fraction zeros (trim_scale): `1.500` -> `1.5`.
    pub fn trimmed(&self) -> Numeric {
        if self.is_zero() {
            return Numeric::ZERO;
        }
        let mut scale = self.scale();
        if let Some(mut m) = self.small_mantissa() {
            while scale > 0 && m % 10 == 0 {
                m /= 10;
                scale -= 1;
            }
            return Numeric::small(m, scale as u16);
        }
        let digits = self.magnitude_digits();
        let zeros = (digits.len() - digits.trim_end_matches('0').len()).min(scale as usize) as u32;
        Numeric::from_parts(self.mantissa() / pow10_big(zeros), scale - zeros)
    }

    /// Square root rounded to `scale` fraction digits (the caller checks the sign).
    pub fn sqrt(&self, scale: u32) -> Numeric {
        // sqrt(m / 10^s) * 10^k = sqrt(m * 10^(2k - s)), with k >= scale + 1 and 2k >= s.
        let k = (scale + 1).max(self.scale().div_ceil(2));
        let radicand = self.mantissa().abs() * pow10_big(2 * k - self.scale());
        let root = radicand.sqrt();
        Numeric::from_parts(root, k).round(scale as i64)
    }

    /// e^self rounded to `scale` fraction digits. The caller bounds |self| (PostgreSQL: below 6000).
    pub fn exp(&self, scale: u32) -> Numeric {
        let magnitude = self.abs().to_f64();
        let halvings = if magnitude > 0.01 { (magnitude / 0.01).log2().ceil() as u32 } else { 0 };
        let integer_digits = if self.is_negative() { 0 } else { (magnitude * std::f64::consts::LOG10_E) as i64 + 2 };
        let guard = 12 + (halvings as i64 * 3 + 9) / 10;
        let work = (scale as i64 + integer_digits + guard) as u32;
        let one = pow10_big(work);
        // r = |x| / 2^halvings at `work` fraction digits; e^r by Taylor series, then squared back.
        let x = self.abs().mantissa() * pow10_big(work) / pow10_big(self.scale());
        let r = x >> halvings as usize;
        let mut sum = one.clone();
        let mut term = one.clone();
        let mut n = 1u32;
        loop {
            term = &term * &r / &one / n;
            if term.is_zero() {
                break;
            }
            sum += &term;
            n += 1;
        }
        for _ in 0..halvings {
            sum = &sum * &sum / &one;
        }
        let result = if self.is_negative() {
            // 1 / e^|x| at `work` digits.
            Numeric::from_parts(div_round_big(&(&one * &one), &sum), work)
        } else {
            Numeric::from_parts(sum, work)
        };
        result.round(scale as i64)
    }

    /// ln(self) rounded to `scale` fraction digits (the caller checks self > 0).
    pub fn ln(&self, scale: u32) -> Numeric {
        // self = a * 10^e with a near 1 (e = 0 for values in [0.5, 2], kept whole for precision).
        let e = if *self >= Numeric::from_i128(5, 1) && *self <= Numeric::from_i64(2) {
            0
        } else {
            self.leading_exponent().unwrap_or(0) + 1
        };
        let e_digits = e.unsigned_abs().to_string().len() as i64;
        let work = (scale as i64 + 24 + e_digits) as u32;
        let one = pow10_big(work);
        // a = self / 10^e at `work` digits.
        let shift = work as i64 - self.scale() as i64 - e;
        let a = if shift >= 0 {
            self.mantissa() * pow10_big(shift as u32)
        } else {
            self.mantissa() / pow10_big((-shift) as u32)
        };
        let mut result = ln_fixed(a, &one, work);
        if e != 0 {
            result += ln_fixed(&one * 10u32, &one, work) * e;
        }
        Numeric::from_parts(result, work).round(scale as i64)
    }
}

/// ln(a / one) * one for a fixed-point `a > 0` at `work` fraction digits: square roots until a is within
/// 1% of 1, then 2·atanh((a-1)/(a+1)) by its series, scaled back by the roots taken.
fn ln_fixed(mut a: BigInt, one: &BigInt, work: u32) -> BigInt {
    let tolerance = one / 100u32;
    let mut roots = 0u32;
    while (&a - one).abs() > tolerance {
        a = (&a * one).sqrt();
        roots += 1;
    }
    let _ = work;
    let z = (&a - one) * one / (&a + one);
    let z2 = &z * &z / one;
    let mut sum = z.clone();
    let mut power = z;
    let mut k = 3u32;
    loop {
        power = &power * &z2 / one;
        let term = &power / k;
        if term.is_zero() {
            break;
        }
        sum += term;
        k += 2;
    }
    sum << (roots as usize + 1)
}

enum Aligned {
    Small(i128, i128),
    Big(BigInt, BigInt),
}

impl PartialEq for Numeric {
    fn eq(&self, other: &Numeric) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Numeric {}

impl PartialOrd for Numeric {
    fn partial_cmp(&self, other: &Numeric) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Numeric {
    fn cmp(&self, other: &Numeric) -> Ordering {
        if let (Some(a), Some(b)) = (self.small_mantissa(), other.small_mantissa()) {
            if self.scale() == other.scale() {
                return a.cmp(&b);
            }
        }
        match self.signum().cmp(&other.signum()) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        match self.aligned(other) {
            (Aligned::Small(a, b), _) => a.cmp(&b),
            (Aligned::Big(a, b), _) => a.cmp(&b),
        }
    }
}

impl Hash for Numeric {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Equal values hash equal whatever their scales.
        let trimmed = self.trimmed();
        trimmed.scale().hash(state);
        match trimmed.small_mantissa() {
            Some(m) => m.hash(state),
            None => trimmed.mantissa().hash(state),
        }
    }
}

impl fmt::Debug for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Numeric({self})")
    }
}

/// PostgreSQL's output: the digits with `scale` of them after the point, no exponent, never `-0`.
impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.magnitude_digits();
        let scale = self.scale() as usize;
        let mut out = String::with_capacity(digits.len() + scale + 3);
        if self.is_negative() {
            out.push('-');
        }
        if digits.len() > scale {
            out.push_str(&digits[..digits.len() - scale]);
            if scale > 0 {
                out.push('.');
                out.push_str(&digits[digits.len() - scale..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(&digits);
        }
        f.write_str(&out)
    }
}

impl From<i64> for Numeric {
    fn from(value: i64) -> Numeric {
        Numeric::from_i64(value)
    }
}

/// Parses `[+-]digits[.digits][e[+-]digits]` (no surrounding space; callers trim and check the syntax
/// first): the scale is the fraction digits written less the exponent (at least 0), as PostgreSQL's.
/// 22003 for a value beyond numeric's range.
pub fn parse(text: &str) -> Result<Numeric> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().map_err(|_| overflow())?),
        None => (unsigned, 0),
    };
    // PostgreSQL's bound on the exponent (INT_MAX / 2).
    if exponent.abs() > i64::from(i32::MAX / 2) {
        return Err(overflow());
    }
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let written_scale = frac_part.len() as i64;
    let scale = written_scale - exponent;
    let display = scale.max(0);
    if digits.is_empty() {
        if display > MAX_SCALE as i64 {
            return Err(overflow());
        }
        return Ok(Numeric::small(0, display as u16));
    }
    // Leading exponent: digits.len() - 1 - scale.
    if digits.len() as i64 - 1 - scale >= MAX_INTEGER_DIGITS || display > MAX_SCALE as i64 {
        return Err(overflow());
    }
    let value = if digits.len() <= 38 {
        Numeric::small(digits.parse::<i128>().map_err(|_| overflow())?, 0)
    } else {
        Numeric::from_parts(digits.parse::<BigInt>().map_err(|_| overflow())?, 0)
    };
    // value = digits * 10^-scale, shown with `display` fraction digits.
    let value = if scale >= 0 {
        match value.small_mantissa() {
            Some(m) => Numeric::small(m, scale as u16),
            None => Numeric::from_parts(value.mantissa(), scale as u32),
        }
    } else {
        let up = (-scale) as u32;
        match value.small_mantissa().and_then(|m| scale_up_small(m, up)) {
            Some(m) => Numeric::small(m, 0),
            None => Numeric::from_parts(value.mantissa() * pow10_big(up), 0),
        }
    };
    let value = if value.scale() as i64 != display { value.round(display) } else { value };
    Ok(if negative { value.neg() } else { value })
}

impl std::str::FromStr for Numeric {
    type Err = Error;
    fn from_str(text: &str) -> Result<Numeric> {
        parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Numeric {
        parse(text).unwrap()
    }

    #[test]
    fn small_values_stay_inline() {
        assert_eq!(std::mem::size_of::<Numeric>(), 24);
    }

    #[test]
    fn parses_and_prints_with_scale() {
        for text in ["0", "1.50", "-0.001", "123456789012345678901234567890123456789012.5", "0.000"] {
            assert_eq!(n(text).to_string(), text);
        }
        assert_eq!(n("1e2").to_string(), "100");
        assert_eq!(n("1.5e-3").to_string(), "0.0015");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("12.345e1").to_string(), "123.45");
        for text in ["1", "9", "10", "99999999999999999999999999999999999999", "1e38", "1e39", "9.99e60", "1e200"] {
            let value = n(text);
            assert_eq!(value.digit_count(), value.magnitude_digits().len() as i64, "{text}");
        }
        assert!(parse(&format!("1e{}", MAX_INTEGER_DIGITS)).is_err());
        assert!(parse(&format!("1e{}", MAX_INTEGER_DIGITS - 1)).is_ok());
    }

    #[test]
    fn equal_values_compare_and_hash_equal() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |v: &Numeric| {
            let mut h = DefaultHasher::new();
            v.hash(&mut h);
            h.finish()
        };
        let big = "1234567890123456789012345678901234567890";
        assert_eq!(n("1.5"), n("1.50"));
        assert_eq!(hash(&n("1.5")), hash(&n("1.50")));
        assert_eq!(n(big), n(&format!("{big}.000")));
        assert_eq!(hash(&n(big)), hash(&n(&format!("{big}.000"))));
        assert!(n("-2") < n("1e-40"));
        assert!(n(big) > n("1.5"));
    }

    #[test]
    fn arithmetic_is_exact() {
        let a = n("12345678901234567890.123456789");
        let b = n("98765432109876543210.987654321");
        assert_eq!(a.mul(&b).unwrap().to_string(), "1219326311370217952261850327336229233322.374638011112635269");
        assert_eq!(
            n("0.1").mul(&n("0.00000000000000000000000000001")).unwrap().to_string(),
            "0.000000000000000000000000000001"
        );
        assert_eq!(n("1").div_round(&n("3"), 40).unwrap().to_string(), "0.3333333333333333333333333333333333333333");
        assert_eq!(n("2").div_round(&n("3"), 2).unwrap().to_string(), "0.67");
        assert_eq!(n("-2").div_round(&n("3"), 2).unwrap().to_string(), "-0.67");
        assert_eq!(n("7.5").rem(&n("2")).unwrap().to_string(), "1.5");
        assert_eq!(n("1234.5").round(-2).to_string(), "1200");
        assert_eq!(n("-2.5").round(0).to_string(), "-3");
        assert_eq!(n("2.567").trunc(1).to_string(), "2.5");
    }

    #[test]
    fn transcendental_functions_round_correctly() {
        assert_eq!(n("2").sqrt(30).to_string(), "1.414213562373095048801688724210");
        assert_eq!(n("1").exp(30).to_string(), "2.718281828459045235360287471353");
        assert_eq!(n("-1").exp(20).to_string(), "0.36787944117144232160");
        assert_eq!(n("10").ln(30).to_string(), "2.302585092994045684017991454684");
        assert_eq!(n("0.5").ln(20).to_string(), "-0.69314718055994530942");
    }
}
