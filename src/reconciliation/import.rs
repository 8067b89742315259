//! The УП transactions import (`registrar up-transactions import FILE`), pure: a CSV as
//! the reconciliation exports write them (UTF-8, a BOM allowed, `;`, a header row) —
//!
//! `quarter;representative_inn;representative_kpp;client_inn;client_kpp;client_name;authority;count`
//!
//! — one row per representative, client and authority, grouped into the reports the
//! API takes. Every refusal names the file's line.

use std::collections::{BTreeMap, HashMap};

use super::service::{ClientSends, RepresentativeRef, UpReport};
use crate::organisation::Authority;

pub const HEADERS: [&str; 8] = [
    "quarter",
    "representative_inn",
    "representative_kpp",
    "client_inn",
    "client_kpp",
    "client_name",
    "authority",
    "count",
];

type RepKey = (String, String, String);
type ClientKey = (String, String);

/// The reports of a CSV file, one per quarter and representative, in file order.
///
/// # Errors
/// Every line that cannot be read, as «строка N: …».
pub fn parse(text: &str) -> Result<Vec<UpReport>, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    match reader.headers() {
        Ok(h) if h.iter().map(str::trim).eq(HEADERS) => {}
        _ => {
            return Err(vec![format!(
                "строка 1: ожидается заголовок {}",
                HEADERS.join(";")
            )]);
        }
    }
    let mut order: Vec<RepKey> = Vec::new();
    let mut reports: HashMap<RepKey, BTreeMap<ClientKey, ClientSends>> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("строка {line}: {e}"));
                continue;
            }
        };
        let f: Vec<&str> = row.iter().map(str::trim).collect();
        if f.iter().all(|x| x.is_empty()) {
            continue;
        }
        if f.len() != HEADERS.len() {
            errors.push(format!(
                "строка {line}: {} полей вместо {}",
                f.len(),
                HEADERS.len()
            ));
            continue;
        }
        let Some(authority) = Authority::parse(f[6]) else {
            errors.push(format!(
                "строка {line}: authority — один из {}",
                Authority::ALL.map(Authority::as_str).join(", ")
            ));
            continue;
        };
        let Ok(count) = f[7].parse::<i64>() else {
            errors.push(format!("строка {line}: count — целое число"));
            continue;
        };
        let key = (f[0].to_owned(), f[1].to_owned(), f[2].to_owned());
        if !reports.contains_key(&key) {
            order.push(key.clone());
        }
        let client = reports
            .entry(key)
            .or_default()
            .entry((f[3].to_owned(), f[4].to_owned()))
            .or_insert_with(|| ClientSends {
                inn: f[3].to_owned(),
                kpp: Some(f[4].to_owned()).filter(|k| !k.is_empty()),
                name: f[5].to_owned(),
                sends: HashMap::new(),
            });
        if client.sends.insert(authority, count).is_some() {
            errors.push(format!(
                "строка {line}: организация {} и орган {} уже встречались",
                f[3],
                authority.as_str()
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(order
        .into_iter()
        .map(|key| {
            let clients = reports.remove(&key).unwrap_or_default();
            let (quarter, inn, kpp) = key;
            UpReport {
                quarter,
                representative: RepresentativeRef {
                    inn,
                    kpp: Some(kpp).filter(|k| !k.is_empty()),
                    product_guid: None,
                },
                clients: clients.into_values().collect(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "quarter;representative_inn;representative_kpp;client_inn;client_kpp;client_name;authority;count\n";

    #[test]
    fn rows_group_into_reports_per_quarter_and_representative() {
        let text = format!(
            "\u{feff}{HEAD}2025-Q1;7707083893;770701001;4027291410;402701001;\"ООО \"\"Ромашка\"\"; филиал\";fns;2\n\
             2025-Q1;7707083893;770701001;4027291410;402701001;\"ООО \"\"Ромашка\"\"; филиал\";pfr;3\n\
             2025-Q1;7707083893;770701001;500100732259;;ИП Петров;fns;1\n\
             \n\
             2025-Q2;7707083893;770701001;4027291410;402701001;ООО Ромашка;fns;4\n"
        );
        let reports = parse(&text).unwrap();
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0].quarter, "2025-Q1");
        assert_eq!(reports[0].clients.len(), 2);
        let romashka = &reports[0].clients[0];
        assert_eq!(romashka.name, "ООО \"Ромашка\"; филиал");
        assert_eq!(romashka.sends[&Authority::Pfr], 3);
        assert_eq!(reports[0].clients[1].kpp, None);
        assert_eq!(reports[1].quarter, "2025-Q2");
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = format!(
            "{HEAD}2025-Q1;7707083893;770701001;4027291410;402701001;ООО;nalog;2\n\
             2025-Q1;7707083893;770701001;4027291410;402701001;ООО;fns;два\n\
             2025-Q1;7707083893;770701001;4027291410\n\
             2025-Q1;7707083893;770701001;4027291410;402701001;ООО;fns;1\n\
             2025-Q1;7707083893;770701001;4027291410;402701001;ООО;fns;1\n"
        );
        let errors = parse(&text).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("строка 2: authority"));
        assert!(errors[1].starts_with("строка 3: count"));
        assert!(errors[2].starts_with("строка 4: 4 полей"));
        assert!(errors[3].starts_with("строка 6: организация"));
        assert!(parse("inn;count\n").unwrap_err()[0].starts_with("строка 1"));
    }
}
