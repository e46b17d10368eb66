//! `serialNumber`, `valid_from`/`valid_to` and the fingerprints, as
//! OpenSSL's `BN_bn2hex`, `ASN1_TIME_print` and Node print them.

use ring::digest;

use super::der::{integer_ok, strip_zeros, upper_hex, Tlv, TAG_GENERALIZED_TIME, TAG_UTC_TIME};

/// `BN_bn2hex(ASN1_INTEGER_to_BN(serial))`; `None` for an INTEGER OpenSSL
/// rejects.
pub(super) fn serial_hex(contents: &[u8]) -> Option<String> {
    if !integer_ok(contents) {
        return None;
    }
    let negative = contents.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = contents.to_vec();
    if negative {
        // Two's complement: invert and add one.
        for b in magnitude.iter_mut() {
            *b = !*b;
        }
        for b in magnitude.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
    }
    let digits = upper_hex(strip_zeros(&magnitude), "");
    Some(match (digits.is_empty(), negative) {
        (true, _) => "0".to_owned(),
        (false, true) => format!("-{digits}"),
        (false, false) => digits,
    })
}

/// Colon-separated uppercase hex digest of the DER.
pub(super) fn fingerprint(algorithm: &'static digest::Algorithm, der: &[u8]) -> String {
    upper_hex(digest::digest(algorithm, der).as_ref(), ":")
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tm {
    year: i64,
    /// 0 to 11.
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// OpenSSL 3.0's `ASN1_TIME_print`: `Nov 11 09:52:22 2009 GMT` (space-padded
/// day, fractional seconds kept, `GMT` only for `Z` times), or `Bad time
/// value`.
pub(super) fn time_text(time: &Tlv<'_>) -> String {
    let generalized = time.is_universal(TAG_GENERALIZED_TIME, false);
    if !generalized && !time.is_universal(TAG_UTC_TIME, false) {
        return "Bad time value".to_owned();
    }
    let Some(tm) = parse_time(time.contents, generalized) else {
        return "Bad time value".to_owned();
    };
    let v = time.contents;
    let gmt = if v.last() == Some(&b'Z') { " GMT" } else { "" };
    let mut fraction = "";
    if generalized && v.len() > 15 && v.get(14) == Some(&b'.') {
        let digits = v
            .get(15..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        fraction = std::str::from_utf8(v.get(14..15 + digits).unwrap_or_default()).unwrap_or("");
    }
    format!(
        "{} {:2} {:02}:{:02}:{:02}{} {}{}",
        MONTHS.get(tm.month as usize).copied().unwrap_or("???"),
        tm.day,
        tm.hour,
        tm.minute,
        tm.second,
        fraction,
        tm.year,
        gmt
    )
}

/// OpenSSL 3.0's `ossl_asn1_time_to_tm` (non-strict mode): seconds and
/// fractional seconds optional, `Z` or a `+hhmm`/`-hhmm` offset.
pub(super) fn parse_time(a: &[u8], generalized: bool) -> Option<Tm> {
    const MIN: [u32; 9] = [0, 0, 1, 1, 0, 0, 0, 0, 0];
    const MAX: [u32; 9] = [99, 99, 12, 31, 23, 59, 59, 12, 59];
    const MDAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (min_len, end, btz) = if generalized { (13, 7, 6) } else { (11, 6, 5) };
    let l = a.len();
    if l < min_len {
        return None;
    }
    let at = |o: usize| a.get(o).copied().unwrap_or(0);
    let digit = |o: usize| at(o).is_ascii_digit().then(|| u32::from(at(o) - b'0'));
    let mut tm = Tm {
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
        second: 0,
    };
    let mut o = 0;
    for i in 0..end {
        if i == btz && matches!(at(o), b'Z' | b'+' | b'-') {
            break;
        }
        let mut n = digit(o)?;
        o += 1;
        if o == l {
            return None;
        }
        n = n * 10 + digit(o)?;
        o += 1;
        if o == l {
            return None;
        }
        let i2 = if generalized { i } else { i + 1 };
        if n < MIN[i2] || n > MAX[i2] {
            return None;
        }
        match i2 {
            0 => tm.year = i64::from(n) * 100,
            1 => {
                if generalized {
                    tm.year += i64::from(n);
                } else {
                    tm.year = i64::from(if n < 50 { 2000 + n } else { 1900 + n });
                }
            }
            2 => tm.month = n - 1,
            3 => {
                let days = if tm.month == 1 {
                    28 + u32::from(is_leap(tm.year))
                } else {
                    MDAYS[tm.month as usize]
                };
                if n > days {
                    return None;
                }
                tm.day = n;
            }
            4 => tm.hour = n,
            5 => tm.minute = n,
            _ => tm.second = n,
        }
    }
    if generalized && at(o) == b'.' {
        o += 1;
        if o == l {
            return None;
        }
        let start = o;
        while o < l && at(o).is_ascii_digit() {
            o += 1;
        }
        if o == start || o == l {
            return None;
        }
    }
    match at(o) {
        b'Z' => o += 1,
        sign @ (b'+' | b'-') => {
            o += 1;
            if o + 4 != l {
                return None;
            }
            let mut offset = 0i64;
            for i in end..end + 2 {
                let n = digit(o)? * 10 + digit(o + 1)?;
                o += 2;
                let i2 = if generalized { i } else { i + 1 };
                if n < MIN[i2] || n > MAX[i2] {
                    return None;
                }
                offset = offset * 60 + i64::from(n) * 60;
            }
            let seconds = if sign == b'-' { offset } else { -offset };
            tm = adjust(tm, seconds)?;
        }
        _ => return None,
    }
    (o == l).then_some(tm)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days since 1970-01-01 of a civil date (month 1 to 12).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1 to 12, day) of a day count since
/// 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `OPENSSL_gmtime_adj`: moves a time by some seconds.
fn adjust(tm: Tm, seconds: i64) -> Option<Tm> {
    let days = days_from_civil(tm.year, i64::from(tm.month) + 1, i64::from(tm.day));
    let total = days * 86_400
        + i64::from(tm.hour) * 3600
        + i64::from(tm.minute) * 60
        + i64::from(tm.second)
        + seconds;
    let (year, month, day) = civil_from_days(total.div_euclid(86_400));
    let rem = total.rem_euclid(86_400);
    Some(Tm {
        year,
        month: u32::try_from(month - 1).ok()?,
        day: u32::try_from(day).ok()?,
        hour: u32::try_from(rem / 3600).ok()?,
        minute: u32::try_from(rem % 3600 / 60).ok()?,
        second: u32::try_from(rem % 60).ok()?,
    })
}
