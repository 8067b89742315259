//! «Выгрузить отчет»: the report as CSV (the table and its totals, as Russian Excel opens
//! it) or as an XLSX workbook — the title, parameters, typed cells (numbers stay numbers),
//! the notes and, where the report has a trend, a native Excel chart of its series.

use axum::response::Response;
use rust_xlsxwriter::{Chart as XlsxChart, ChartType, Format, Workbook, Worksheet};

use super::chart::Kind as ChartKind;
use super::{Cell, Table};
use crate::error::{AppError, AppResult};
use crate::export::Sheet;

fn xe(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(e.into())
}

fn sheet(t: &Table) -> Sheet {
    let mut rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(Cell::display).collect())
        .collect();
    if let Some(totals) = &t.totals {
        rows.push(totals.iter().map(Cell::display).collect());
    }
    for s in &t.sections {
        rows.push(Vec::new());
        rows.push(vec![s.title.to_owned()]);
        rows.push(s.columns.iter().map(|c| c.title.to_owned()).collect());
        rows.extend(s.rows.iter().map(|r| r.iter().map(Cell::display).collect()));
    }
    Sheet {
        title: t.name.title_ru().to_owned(),
        headers: t.columns.iter().map(|c| c.title).collect(),
        rows,
    }
}

fn write_cell(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell, bold: bool) -> AppResult<()> {
    let mut text = Format::new();
    let mut percent = Format::new().set_num_format("0.00");
    let mut date = Format::new().set_num_format("dd.mm.yyyy");
    let mut number = Format::new();
    let mut money = Format::new().set_num_format("#,##0.00");
    if bold {
        money = money.set_bold();
        text = text.set_bold();
        percent = percent.set_bold();
        date = date.set_bold();
        number = number.set_bold();
    }
    match cell {
        Cell::Text(s) => ws.write_string_with_format(row, col, s, &text).map(|_| ()),
        Cell::Count(n) => ws
            .write_number_with_format(row, col, *n as f64, &number)
            .map(|_| ()),
        Cell::Date(d) => {
            use chrono::Datelike;
            let when = rust_xlsxwriter::ExcelDateTime::from_ymd(
                u16::try_from(d.year()).unwrap_or(1900),
                u8::try_from(d.month()).unwrap_or(1),
                u8::try_from(d.day()).unwrap_or(1),
            )
            .map_err(xe)?;
            ws.write_datetime_with_format(row, col, &when, &date)
                .map(|_| ())
        }
        Cell::Percent(Some(p)) => ws
            .write_number_with_format(
                row,
                col,
                rust_decimal::prelude::ToPrimitive::to_f64(p).unwrap_or_default(),
                &percent,
            )
            .map(|_| ()),
        Cell::Money(m) => ws
            .write_number_with_format(
                row,
                col,
                rust_decimal::prelude::ToPrimitive::to_f64(&m.amount()).unwrap_or_default(),
                &money,
            )
            .map(|_| ()),
        Cell::Percent(None) | Cell::Empty => Ok(()),
    }
    .map_err(xe)
}

/// The workbook: the report on its first sheet, the chart's series on a second one.
///
/// # Errors
/// The writer failed.
pub fn xlsx(t: &Table) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let ws = wb.add_worksheet();
    let name: String = t
        .name
        .title_ru()
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    ws.set_name(&name).map_err(xe)?;
    ws.write_string_with_format(0, 0, t.name.title_ru(), &title)
        .map_err(xe)?;
    let mut row = 1u32;
    for (k, v) in &t.parameters {
        ws.write_string(row, 0, format!("{k}: {v}")).map_err(xe)?;
        row += 1;
    }
    row += 1;
    let header_row = row;
    for (c, column) in t.columns.iter().enumerate() {
        ws.write_string_with_format(
            row,
            u16::try_from(c).unwrap_or(u16::MAX),
            column.title,
            &bold,
        )
        .map_err(xe)?;
    }
    for cells in &t.rows {
        row += 1;
        for (c, cell) in cells.iter().enumerate() {
            write_cell(ws, row, u16::try_from(c).unwrap_or(u16::MAX), cell, false)?;
        }
    }
    if let Some(totals) = &t.totals {
        row += 1;
        for (c, cell) in totals.iter().enumerate() {
            write_cell(ws, row, u16::try_from(c).unwrap_or(u16::MAX), cell, true)?;
        }
    }
    for s in &t.sections {
        row += 2;
        ws.write_string_with_format(row, 0, s.title, &bold)
            .map_err(xe)?;
        row += 1;
        for (c, column) in s.columns.iter().enumerate() {
            ws.write_string_with_format(
                row,
                u16::try_from(c).unwrap_or(u16::MAX),
                column.title,
                &bold,
            )
            .map_err(xe)?;
        }
        for cells in &s.rows {
            row += 1;
            for (c, cell) in cells.iter().enumerate() {
                write_cell(ws, row, u16::try_from(c).unwrap_or(u16::MAX), cell, false)?;
            }
        }
    }
    row += 2;
    for note in &t.notes {
        ws.write_string(row, 0, note).map_err(xe)?;
        row += 1;
    }
    ws.autofit();
    ws.set_column_width(0, 40).map_err(xe)?;
    let _ = header_row;
    if let Some(chart) = &t.chart {
        let data_name = "Данные графика";
        let data = wb.add_worksheet();
        data.set_name(data_name).map_err(xe)?;
        data.write_string_with_format(0, 0, "", &bold).map_err(xe)?;
        for (i, c) in chart.categories.iter().enumerate() {
            data.write_string(u32::try_from(i + 1).unwrap_or(u32::MAX), 0, c)
                .map_err(xe)?;
        }
        for (s, series) in chart.series.iter().enumerate() {
            let col = u16::try_from(s + 1).unwrap_or(u16::MAX);
            data.write_string_with_format(0, col, &series.name, &bold)
                .map_err(xe)?;
            for (i, v) in series.values.iter().enumerate() {
                if let Some(v) = v {
                    data.write_number(u32::try_from(i + 1).unwrap_or(u32::MAX), col, *v)
                        .map_err(xe)?;
                }
            }
        }
        data.autofit();
        let last = u32::try_from(chart.categories.len()).unwrap_or(u32::MAX);
        let mut x = XlsxChart::new(match chart.kind {
            ChartKind::Bars => ChartType::Column,
            ChartKind::Lines => ChartType::Line,
        });
        x.title().set_name(&chart.title);
        for s in 0..chart.series.len() {
            let col = u16::try_from(s + 1).unwrap_or(u16::MAX);
            x.add_series()
                .set_name((data_name, 0, col))
                .set_categories((data_name, 1, 0, last, 0))
                .set_values((data_name, 1, col, last, col));
        }
        if !chart.unit.is_empty() {
            x.y_axis().set_name(chart.unit);
        }
        x.set_width(760).set_height(360);
        let ws = wb.worksheet_from_index(0).map_err(xe)?;
        ws.insert_chart(row + 1, 0, &x).map_err(xe)?;
    }
    wb.save_to_buffer().map_err(xe)
}

/// The download for `format` (`csv` or `xlsx`).
///
/// # Errors
/// `NotFound` for another format; writer errors.
pub fn respond(t: &Table, format: &str) -> AppResult<Response> {
    let base = format!("report-{}", t.name.as_str());
    match format {
        "csv" => crate::export::respond(&sheet(t), "csv", &base),
        "xlsx" => Ok(crate::web::files::download(
            xlsx(t)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{base}.xlsx"),
        )),
        _ => Err(AppError::NotFound),
    }
}
