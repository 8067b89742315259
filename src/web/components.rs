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

pub fn date_ru(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

pub fn datetime_ru(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // Written out, not `format("%d.%m.%Y %H:%M:%S")`: that parses its pattern on every
    // call, and a registry page formats a hundred and fifty dates.
    let l = t.with_timezone(&crate::clock::moscow()).naive_local();
    format!(
        "{:02}.{:02}.{:04} {:02}:{:02}:{:02}",
        l.day(),
        l.month(),
        l.year(),
        l.hour(),
        l.minute(),
        l.second()
    )
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
    }
}
