//! `to_char(number, format)`: PostgreSQL's numeric template patterns `9`, `0`, `.`/`D`, `,`/`G`, `S`,
//! `MI`, `PL`, `SG`, the `FM` fill mode and quoted literals (formatting.c's NUM_processor, in brief).
//!
//! The number is rounded to the pattern's fraction digits; integer digits fill the integer `9`/`0`
//! positions right-aligned, and a number with more integer digits than positions prints as `#`s. Without
//! an explicit sign pattern one position before the first digit holds the sign (`-` or a blank), as in
//! PostgreSQL. `sql::datetime` resolves `to_char` and calls [`format_number`] for numeric arguments.

use crate::types::numeric::Numeric;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `9` (`zero`: false) or `0` (`zero`: true).
    Digit {
        zero: bool,
    },
    Point,
    Comma,
    /// `S`: `+` or `-`.
    Sign,
    /// `MI`: `-` or a blank.
    Minus,
    /// `PL`: `+` or a blank.
    Plus,
    /// `SG`: `+` or `-` at its position.
    SignAtPosition,
    Literal(String),
}

fn tokenize(format: &str) -> (Vec<Token>, bool) {
    let mut tokens = Vec::new();
    let mut fill_mode = false;
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        let upper = rest.get(..2).map(str::to_ascii_uppercase);
        let (token, len) = match (c, upper.as_deref()) {
            (_, Some("FM")) => {
                fill_mode = true;
                rest = &rest[2..];
                continue;
            }
            (_, Some("MI")) => (Token::Minus, 2),
            (_, Some("PL")) => (Token::Plus, 2),
            (_, Some("SG")) => (Token::SignAtPosition, 2),
            ('9', _) => (Token::Digit { zero: false }, 1),
            ('0', _) => (Token::Digit { zero: true }, 1),
            ('.' | 'D' | 'd', _) => (Token::Point, 1),
            (',' | 'G' | 'g', _) => (Token::Comma, 1),
            ('S' | 's', _) => (Token::Sign, 1),
            ('"', _) => {
                let body = &rest[1..];
                let end = body.find('"').unwrap_or(body.len());
                tokens.push(Token::Literal(body[..end].to_string()));
                rest = body.get(end + 1..).unwrap_or("");
                continue;
            }
            (c, _) => (Token::Literal(c.to_string()), c.len_utf8()),
        };
        tokens.push(token);
        rest = &rest[len..];
    }
    (tokens, fill_mode)
}

/// Formats `value` by the template `format`. `float` rounds halves to even (PostgreSQL formats floats
/// through printf), numerics and integers away from zero.
pub fn format_number(value: &Numeric, float: bool, format: &str) -> String {
    let (tokens, fill_mode) = tokenize(format);
    let point_at = tokens.iter().position(|t| *t == Token::Point);
    let is_digit = |t: &Token| matches!(t, Token::Digit { .. });
    let integer_positions = tokens[..point_at.unwrap_or(tokens.len())].iter().filter(|t| is_digit(t)).count();
    let fraction_positions = point_at.map_or(0, |p| tokens[p..].iter().filter(|t| is_digit(t)).count());
    let first_zero = tokens[..point_at.unwrap_or(tokens.len())]
        .iter()
        .filter(|t| is_digit(t))
        .position(|t| *t == Token::Digit { zero: true });
    let first_digit = tokens.iter().position(is_digit).unwrap_or(tokens.len());
    let leading_sign = tokens.iter().position(|t| *t == Token::Sign).is_some_and(|at| at < first_digit);
    let explicit_sign = tokens.iter().any(|t| matches!(t, Token::Sign | Token::Minus | Token::SignAtPosition));

    let rounded =
        if float { round_half_even(value, fraction_positions as i64) } else { value.round(fraction_positions as i64) };
    let negative = rounded.is_negative();
    let magnitude = rounded.abs().to_string();
    let (integer, fraction) = magnitude.split_once('.').unwrap_or((&magnitude, ""));
    let mut integer_digits = integer.to_string();
    if integer == "0" && fraction_positions > 0 {
        integer_digits.clear();
    }
    let fraction_digits: Vec<char> = fraction.chars().collect();
    let overflow = integer_digits.len() > integer_positions;

    let sign_char = if negative {
        "-"
    } else if leading_sign {
        "+"
    } else if fill_mode {
        ""
    } else {
        " "
    };
    let mut pending_sign = (!explicit_sign || leading_sign).then_some(sign_char);
    let mut out = String::new();
    let mut started = false;
    let mut integer_slot = 0;
    let mut fraction_slot = 0;
    // Output positions of fraction `9`s, whose trailing zeros fill mode drops.
    let mut trimmable = Vec::new();
    let mut in_fraction = false;
    for token in &tokens {
        match token {
            Token::Digit { zero } if !in_fraction => {
                let offset = integer_positions - integer_slot;
                let digit = if overflow {
                    Some('#')
                } else {
                    integer_digits.len().checked_sub(offset).map(|i| integer_digits.as_bytes()[i] as char)
                };
                let zero_filled = first_zero.is_some_and(|z| integer_slot >= z);
                integer_slot += 1;
                match digit.or(zero_filled.then_some('0')) {
                    Some(d) => {
                        if overflow && !started {
                            out.push_str(if pending_sign.take().is_some() && !fill_mode { " " } else { "" });
                        } else if let Some(sign) = pending_sign.take() {
                            out.push_str(sign);
                        }
                        out.push(d);
                        started = true;
                    }
                    None if !fill_mode || *zero => out.push(' '),
                    None => {}
                }
            }
            Token::Digit { zero } => {
                let digit = if overflow { '#' } else { fraction_digits.get(fraction_slot).copied().unwrap_or('0') };
                fraction_slot += 1;
                if !zero {
                    trimmable.push(out.len());
                } else {
                    trimmable.clear();
                }
                out.push(digit);
            }
            Token::Point => {
                if let Some(sign) = pending_sign.take() {
                    out.push_str(if overflow && !fill_mode { " " } else { sign });
                }
                out.push('.');
                in_fraction = true;
                trimmable.clear();
            }
            Token::Comma if started => out.push(','),
            Token::Comma if !fill_mode => out.push(' '),
            Token::Comma => {}
            Token::Sign if !leading_sign => out.push(if negative { '-' } else { '+' }),
            Token::Sign => {}
            Token::Minus => out.push(if negative { '-' } else { ' ' }),
            Token::Plus => out.push(if negative { ' ' } else { '+' }),
            Token::SignAtPosition => out.push(if negative { '-' } else { '+' }),
            Token::Literal(text) => out.push_str(text),
        }
        if !matches!(token, Token::Digit { .. }) && in_fraction && *token != Token::Point {
            trimmable.clear();
        }
    }
    if fill_mode && !overflow {
        // Trailing zeros of `9` fraction positions go (from the end, while they are zeros).
        while let Some(&at) = trimmable.last() {
            if at + 1 == out.len() && out.ends_with('0') {
                out.pop();
                trimmable.pop();
            } else {
                break;
            }
        }
    }
    out
}

/// `value` rounded to `scale` fraction digits, halves to the even neighbour (printf's rounding of a float).
fn round_half_even(value: &Numeric, scale: i64) -> Numeric {
    let truncated = value.trunc(scale);
    let rounded = value.round(scale);
    if truncated == rounded {
        return rounded;
    }
    let half = Numeric::from_i128(5, scale as u32 + 1);
    let exactly_half = value.sub(&truncated).is_ok_and(|rest| rest.abs() == half);
    let even = truncated.magnitude_digits().ends_with(['0', '2', '4', '6', '8']);
    if exactly_half && even {
        truncated
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn f(value: &str, format: &str) -> String {
        format_number(&Numeric::from_str(value).unwrap(), false, format)
    }

    #[test]
    fn patterns_as_postgres() {
        let cases = [
            ("123.45", "999.99", " 123.45"),
            ("-123.45", "999.99", "-123.45"),
            ("1234.5", "9,999.00", " 1,234.50"),
            ("12", "0000", " 0012"),
            ("5", "999", "   5"),
            ("-5", "999", "  -5"),
            ("-5", "000", "-005"),
            ("0", "999", "   0"),
            ("0.5", "9.99", "  .50"),
            ("0.5", "0.99", " 0.50"),
            ("12345", "999", " ###"),
            ("1.5", "FM999.99", "1.5"),
            ("1.5", "FM999.00", "1.50"),
            ("-1.5", "FM999.99", "-1.5"),
            ("-12", "S999", " -12"),
            ("12", "S999", " +12"),
            ("12", "999S", " 12+"),
            ("-12", "999MI", " 12-"),
            ("12", "999MI", " 12 "),
            ("12", "PL999", "+  12"),
            ("-12", "SG999", "- 12"),
            ("1234567.891", "FM9,999,999.99", "1,234,567.89"),
            ("12", "9,999", "    12"),
            ("0.001", "FM0.999", "0.001"),
            ("42", "FM999", "42"),
            ("123", "\"Total: \"999", "Total:  123"),
            ("12.5", "99D9", " 12.5"),
            ("1234", "9G999", " 1,234"),
            ("0", "FM999", "0"),
            ("0", "FM990.00", "0.00"),
            ("-0.5", "9.9", " -.5"),
            ("125", "99", " ##"),
            ("7", "09", " 07"),
            ("1.999", "9.99", " 2.00"),
            ("9.999", "9.99", " #.##"),
            ("-0.004", "9.99", "  .00"),
            ("100", "FM9,999", "100"),
            ("3.5", "9", " 4"),
        ];
        for (value, format, expected) in cases {
            assert_eq!(f(value, format), expected, "to_char({value}, '{format}')");
        }
        assert_eq!(format_number(&Numeric::from_str("2.5").unwrap(), true, "9"), " 2");
        assert_eq!(format_number(&Numeric::from_str("3.5").unwrap(), true, "9"), " 4");
        let forty = "1234567890123456789012345678901234567890.125";
        assert_eq!(
            f(forty, "FM9999999999999999999999999999999999999999.99"),
            "1234567890123456789012345678901234567890.13"
        );
    }
}
