//! Small view pieces shared by pages: tables, badges, pagers.

use maud::{Markup, html};

/// Partial: a data table with a header row and pre-rendered rows.
pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Markup>) -> Markup {
    let rows: Vec<Markup> = rows.into_iter().collect();
    html! {
        div.table-wrap {
            table.data {
                thead { tr { @for h in headers { th { (h) } } } }
                tbody {
                    @if rows.is_empty() {
                        tr { td.empty colspan=(headers.len()) { "Нет записей для просмотра" } }
                    }
                    @for r in rows { (r) }
                }
            }
        }
    }
}

/// Partial: a yes/no badge.
pub fn yes_no(v: bool) -> Markup {
    html! { @if v { span.badge.badge-ok { "Да" } } @else { span.badge.badge-muted { "Нет" } } }
}

/// Partial: "next page" link for keyset pagination.
pub fn keyset_pager(next_href: Option<String>, shown: usize) -> Markup {
    html! {
        div.pager {
            span { "Показано записей: " (shown) }
            @if let Some(h) = next_href { a.button.secondary href=(h) { "Дальше →" } }
        }
    }
}

/// «31.12.2026».
pub fn date_ru(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let Some(y) = four_digit(d.year()) else {
        return d.format("%d.%m.%Y").to_string();
    };
    let mut b = *b"00.00.0000";
    digits(
        &mut b,
        &[(0, d.day()), (3, d.month()), (6, y / 100), (8, y % 100)],
    );
    ascii(&b)
}

/// «31.12.2026 23:59:00», Moscow time.
pub fn datetime_ru(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // Digits written into a fixed buffer: a registry page formats a hundred and fifty
    // dates, and `format!` with padding was half of that page's rendering (perf, 1 M
    // applications, 16 clients).
    let l = t.with_timezone(&crate::clock::moscow()).naive_local();
    let Some(y) = four_digit(l.year()) else {
        return l.format("%d.%m.%Y %H:%M:%S").to_string();
    };
    let mut b = *b"00.00.0000 00:00:00";
    digits(
        &mut b,
        &[
            (0, l.day()),
            (3, l.month()),
            (6, y / 100),
            (8, y % 100),
            (11, l.hour()),
            (14, l.minute()),
            (17, l.second()),
        ],
    );
    ascii(&b)
}

fn four_digit(y: i32) -> Option<u32> {
    u32::try_from(y).ok().filter(|y| *y <= 9999)
}

/// Writes each value below 100 as two digits at its position.
fn digits(buf: &mut [u8], at: &[(usize, u32)]) {
    for &(i, v) in at {
        buf[i] = b'0' + u8::try_from(v / 10 % 10).unwrap_or(0);
        buf[i + 1] = b'0' + u8::try_from(v % 10).unwrap_or(0);
    }
}

fn ascii(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The Russian plural form for `n`: `plural(n, "секунду", "секунды", "секунд")`.
pub fn plural<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => one,
        (2..=4, r) if !(12..=14).contains(&r) => few,
        _ => many,
    }
}

/// A wait in words: «40 секунд», «2 минуты».
pub fn seconds_ru(secs: u64) -> String {
    if secs < 120 {
        format!("{secs} {}", plural(secs, "секунду", "секунды", "секунд"))
    } else {
        let m = secs.div_ceil(60);
        format!("{m} {}", plural(m, "минуту", "минуты", "минут"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_moscow_time_as_strftime_would() {
        for micros in [
            0_i64,
            1_740_995_200_123_456,
            1_767_214_799_000_000,
            4_102_444_800_000_000,
        ] {
            let t = chrono::DateTime::from_timestamp_micros(micros).unwrap();
            assert_eq!(
                datetime_ru(t),
                t.with_timezone(&crate::clock::moscow())
                    .format("%d.%m.%Y %H:%M:%S")
                    .to_string()
            );
        }
        let t = chrono::DateTime::parse_from_rfc3339("2025-12-31T21:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(datetime_ru(t), "01.01.2026 00:00:00");
        // Every hour of two years (a leap one among them), and far years.
        let start = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for h in 0..(2 * 366 * 24) {
            let t = start + chrono::Duration::minutes(h * 61 + 7);
            let local = t.with_timezone(&crate::clock::moscow());
            assert_eq!(
                datetime_ru(t),
                local.format("%d.%m.%Y %H:%M:%S").to_string()
            );
            assert_eq!(
                date_ru(local.date_naive()),
                local.format("%d.%m.%Y").to_string()
            );
        }
        let far = chrono::NaiveDate::from_ymd_opt(12_345, 6, 7).unwrap();
        assert_eq!(date_ru(far), far.format("%d.%m.%Y").to_string());
        assert_eq!(
            date_ru(chrono::NaiveDate::from_ymd_opt(7, 1, 2).unwrap()),
            "02.01.0007"
        );
    }
}
