//! Parsing query parameters by hand, so a bad value is a 422 that names its field
//! rather than a bare 400 from the extractor.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{AppError, FieldError};

/// The deepest page any list serves; deeper requests show the last page's neighbourhood
/// empty rather than overflow an offset.
pub const MAX_PAGE: u64 = 1_000_000;

/// Collects field errors while parsing several parameters.
#[derive(Default)]
pub struct Params {
    errors: Vec<FieldError>,
}

impl Params {
    pub fn new() -> Self {
        Params::default()
    }

    fn parse<T: FromStr>(&mut self, field: &str, raw: Option<&str>, what: &str) -> Option<T> {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors.push(FieldError::new(
                    field,
                    format!("ожидается {what}, получено «{raw}»"),
                ));
                None
            }
        }
    }

    /// A list's `page` (from 1, default 1) and `per_page` (1–200, default 50).
    pub fn paging(&mut self, page: Option<&str>, per_page: Option<&str>) -> (u64, u64) {
        let page = self.int::<u64>("page", page, 1, MAX_PAGE).unwrap_or(1);
        let per_page = self.int::<u64>("per_page", per_page, 1, 200).unwrap_or(50);
        (page, per_page)
    }

    pub fn date(&mut self, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
        self.parse(field, raw, "дата в формате ГГГГ-ММ-ДД")
    }

    pub fn instant(&mut self, field: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
        match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => Some(t.to_utc()),
            Err(_) => {
                self.errors.push(FieldError::new(
                    field,
                    format!("ожидается момент времени RFC 3339, получено «{raw}»"),
                ));
                None
            }
        }
    }

    pub fn int<T: FromStr + PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        min: T,
        max: T,
    ) -> Option<T> {
        let v: T = self.parse(field, raw, "целое число")?;
        if v < min || v > max {
            self.errors.push(FieldError::new(
                field,
                format!("допустимо от {min} до {max}"),
            ));
            return None;
        }
        Some(v)
    }

    /// Records a bad value found by the caller's own parsing.
    pub fn reject(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Records that a required parameter is missing.
    pub fn require(&mut self, field: &str) {
        self.errors
            .push(FieldError::new(field, "обязательный параметр"));
    }

    /// # Errors
    /// `Invalid` with every field that failed.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }
}
