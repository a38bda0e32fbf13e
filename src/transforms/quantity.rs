//! A Kubernetes quantity (`1.5Gi`, `500m`, `2e3`) as a float64, as the
//! `convert` transform with format `quantity` reads it: apimachinery's
//! `resource.ParseQuantity`, then `AsApproximateFloat64`, whose arithmetic
//! (an integer times a power of ten) is kept, since it decides the last
//! digit: `0.3` is 3 × 0.1 there, 0.30000000000000004, not 0.3.

/// Why a text is not a quantity. The text itself is not repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityError {
    /// apimachinery's `ErrFormatWrong`.
    Format,
    /// `ErrSuffix`.
    Suffix,
    /// `ErrNumeric`.
    Numeric,
    /// More significant digits than this reading holds (38); apimachinery
    /// keeps any number of them.
    TooLong,
}

impl std::fmt::Display for QuantityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Format => "is not a quantity such as 1.5Gi, 500m or 2e3",
            Self::Suffix => "has a suffix that is none of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<n>",
            Self::Numeric => "has a number Kubernetes cannot read",
            Self::TooLong => "has more digits than this function reads (38)",
        })
    }
}

/// `ParseQuantity(text).AsApproximateFloat64()`.
pub fn approximate_float(text: &str) -> Result<f64, QuantityError> {
    if text.is_empty() {
        return Err(QuantityError::Format);
    }
    let parts = Parts::scan(text)?;
    let suffix = Suffix::read(parts.suffix).ok_or(QuantityError::Suffix)?;
    let magnitude = match fast(&parts, suffix) {
        Some(result) => result?,
        None => slow(&parts, suffix)?,
    };
    Ok(if parts.negative { -magnitude } else { magnitude })
}

/// The pieces of `[+-]digits[.digits]suffix`.
struct Parts<'t> {
    negative: bool,
    /// The integer digits without leading zeros; `0` when there are none.
    integer: &'t str,
    fraction: &'t str,
    suffix: &'t str,
}

impl<'t> Parts<'t> {
    /// apimachinery's `parseQuantityString`: lenient where it is (`1.` and
    /// `.5` are numbers, a bare sign is zero) and strict where it is.
    fn scan(text: &'t str) -> Result<Self, QuantityError> {
        let (negative, unsigned) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let significant = unsigned.trim_start_matches('0');
        let integer_end = significant.find(|c: char| !c.is_ascii_digit()).unwrap_or(significant.len());
        let integer = if integer_end == 0 { "0" } else { &significant[..integer_end] };
        let mut rest = &significant[integer_end..];
        let mut fraction = "";
        if let Some(after_point) = rest.strip_prefix('.') {
            let fraction_end = after_point.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_point.len());
            fraction = &after_point[..fraction_end];
            rest = &after_point[fraction_end..];
        }
        let letters = rest.find(|c: char| !"eEinumkKMGTP".contains(c)).unwrap_or(rest.len());
        let after_letters = &rest[letters..];
        let exponent = after_letters.strip_prefix(['+', '-']).unwrap_or(after_letters);
        if !exponent.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuantityError::Format);
        }
        Ok(Self { negative, integer, fraction, suffix: rest })
    }

    /// The digits with the point removed.
    fn digits(&self) -> String {
        format!("{}{}", self.integer, self.fraction)
    }

    fn fraction_len(&self) -> i32 {
        i32::try_from(self.fraction.len()).unwrap_or(i32::MAX)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    /// `n` … `E`, or none: times ten to this power.
    DecimalSi(i32),
    /// `e3`, `E-2`.
    Exponent(i32),
    /// `Ki` … `Ei`: times two to this power.
    BinarySi(u32),
}

impl Suffix {
    fn read(suffix: &str) -> Option<Self> {
        const DECIMAL: [(&str, i32); 10] =
            [("", 0), ("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];
        const BINARY: [(&str, u32); 6] = [("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60)];
        if let Some((_, power)) = DECIMAL.iter().find(|(name, _)| *name == suffix) {
            return Some(Self::DecimalSi(*power));
        }
        if let Some((_, power)) = BINARY.iter().find(|(name, _)| *name == suffix) {
            return Some(Self::BinarySi(*power));
        }
        let exponent = suffix.strip_prefix(['e', 'E']).filter(|rest| !rest.is_empty())?;
        // Go converts the parsed int64 to int32 by truncation.
        exponent.parse::<i64>().ok().map(|power| Self::Exponent(power as i32))
    }
}

/// apimachinery's int64 path, taken when the digits are few enough; `None`
/// sends the quantity to the exact decimal path.
fn fast(parts: &Parts, suffix: Suffix) -> Option<Result<f64, QuantityError>> {
    let digit_count = i32::try_from(parts.integer.len() + parts.fraction.len()).ok()?;
    let (scale, multiplier, precision) = match suffix {
        Suffix::DecimalSi(power) | Suffix::Exponent(power) => (power, 1_i64, 18 - digit_count),
        Suffix::BinarySi(power) if parts.fraction.is_empty() => {
            let integer_len = i32::try_from(parts.integer.len()).ok()?;
            // Go's float32 arithmetic, truncated: a guess at the decimal
            // digits that 2^power adds.
            let added = (power as f32 * 3.0 / 10.0) as i32;
            (0, 1_i64 << power, 15 - integer_len - added - 1)
        }
        Suffix::BinarySi(_) => return None,
    };
    if precision < 0 {
        return None;
    }
    let scale = scale.checked_sub(parts.fraction_len())?;
    if scale < -9 {
        return None;
    }
    let Ok(value) = parts.digits().parse::<i64>() else { return Some(Err(QuantityError::Numeric)) };
    let product = value.checked_mul(multiplier)?;
    Some(Ok(scaled(product as f64, scale)))
}

/// The exact decimal path: the amount rounded away from zero to
/// nanounits, a binary one capped at 2^63-1, then as a float.
fn slow(parts: &Parts, suffix: Suffix) -> Result<f64, QuantityError> {
    const NANO: i32 = 9;
    let digits = parts.digits();
    let significant = digits.trim_start_matches('0');
    if significant.len() > 38 {
        return Err(QuantityError::TooLong);
    }
    let mut unscaled: u128 =
        if significant.is_empty() { 0 } else { significant.parse().map_err(|_| QuantityError::Numeric)? };
    let mut scale = parts.fraction_len();
    match suffix {
        Suffix::DecimalSi(power) | Suffix::Exponent(power) => scale -= power,
        Suffix::BinarySi(power) => unscaled = unscaled.checked_mul(1 << power).ok_or(QuantityError::TooLong)?,
    }
    if unscaled != 0 {
        unscaled = if scale > NANO {
            let divisor = 10_u128.checked_pow((scale - NANO).unsigned_abs());
            divisor.map_or(1, |divisor| unscaled.div_ceil(divisor))
        } else {
            10_u128
                .checked_pow((NANO - scale).unsigned_abs())
                .and_then(|m| unscaled.checked_mul(m))
                .ok_or(QuantityError::TooLong)?
        };
        scale = NANO;
    }
    let max_nanos = u128::from(i64::MAX.unsigned_abs()) * 1_000_000_000;
    if matches!(suffix, Suffix::BinarySi(_)) && unscaled > max_nanos {
        return Ok(i64::MAX as f64);
    }
    Ok(scaled(unscaled as f64, -scale))
}

/// `base * math.Pow10(exponent)`, as apimachinery computes it.
fn scaled(base: f64, exponent: i32) -> f64 {
    if exponent == 0 { base } else { base * go_pow10(exponent) }
}

/// Go's `math.Pow10`: a product (or quotient) of two correctly rounded
/// powers of ten, one a multiple of 32.
fn go_pow10(n: i32) -> f64 {
    let power = |e: i32| format!("1e{e}").parse::<f64>().unwrap_or(f64::INFINITY);
    match n {
        0..=308 => power(n / 32 * 32) * power(n % 32),
        -323..=-1 => power(n / 32 * 32) / power(-n % 32),
        _ if n > 0 => f64::INFINITY,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// apimachinery v0.34's `AsApproximateFloat64` of each quantity.
    #[test]
    fn reads_quantities_as_kubernetes_does() {
        let cases: [(&str, f64); 14] = [
            ("0", 0.0),
            ("1000m", 1.0),
            ("0.3", 0.30000000000000004),
            ("-1.5", -1.5),
            ("2k", 2000.0),
            ("1Ki", 1024.0),
            ("1.5Gi", 1610612736.0),
            ("12e3", 12000.0),
            ("1E", 1e18),
            ("1.", 1.0),
            (".5", 0.5),
            ("-", 0.0),
            ("0.0000000001", 1e-9),
            ("9Ei", i64::MAX as f64),
        ];
        for (text, expected) in cases {
            assert_eq!(approximate_float(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_kubernetes_refuses() {
        assert_eq!(approximate_float(""), Err(QuantityError::Format));
        assert_eq!(approximate_float("1000 blabla"), Err(QuantityError::Format));
        assert_eq!(approximate_float("5Xi"), Err(QuantityError::Format));
        assert_eq!(approximate_float("5ki"), Err(QuantityError::Suffix));
        assert_eq!(approximate_float("5e"), Err(QuantityError::Suffix));
    }
}
