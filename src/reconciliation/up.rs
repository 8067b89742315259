//! Authorized representatives' transactions (manual §12.7), pure: the quarter they are
//! counted in, and the tab's line of one representative — its sends summed over its
//! client organisations, priced by the catalog's «Транзакции 1С/УП до 200 за квартал».
//!
//! A transaction is «полностью завершённый электронный документооборот по отдельному
//! файлу отчетности». The quarter's tab belongs to the reconciliation of the quarter's
//! last month (March, June, September, December); one «Одобрить» approves both tabs.
//! «Количество» is the count first received, «Новое количество» the latest (a re-send
//! from the e-filing side corrects it) and the one priced. «Отчисление партнёра» is what
//! the partner owes its sales center for the line (its «Стоимость», as the sales center's
//! «Отчисление от партнёров» sums it); «Отчисление ЦП» is the sales center's share.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::builder::Period;
use crate::money::Money;
use crate::organisation::Authority;
use crate::tariffs::pricing::{self, Catalog, QuoteRequest};

/// The catalog item the tab is priced by.
pub const TARIFF: &str = "up_transactions_200";
/// The transactions a quarter of the tariff covers.
pub const LIMIT: i64 = 200;

/// A calendar quarter, `yyyy-Qn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    /// 1..=4
    number: u32,
}

impl Quarter {
    /// # Errors
    /// Not a `yyyy-Qn` quarter between 2000 and 2100.
    pub fn parse(s: &str) -> Result<Quarter, String> {
        let bad = || "квартал в виде ГГГГ-Qn, например 2025-Q1".to_owned();
        let (y, q) = s.trim().split_once("-Q").ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let number: u32 = q.parse().map_err(|_| bad())?;
        if y.len() != 4 || !(2000..=2100).contains(&year) || !(1..=4).contains(&number) {
            return Err(bad());
        }
        Ok(Quarter { year, number })
    }

    /// The quarter holding month `p`.
    pub fn of(p: Period) -> Quarter {
        let first = p.first_day();
        Quarter {
            year: first.year(),
            number: first.month0() / 3 + 1,
        }
    }

    /// The quarter's tab is reconciled with this month's licences.
    pub fn last_month(self) -> Period {
        Period::of(self.first_day() + chrono::Months::new(2))
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1).unwrap_or_default()
    }

    /// «I квартал 2025».
    pub fn title_ru(self) -> String {
        let roman = ["I", "II", "III", "IV"][(self.number - 1) as usize];
        format!("{roman} квартал {}", self.year)
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

/// One client organisation a representative sent for: its sends by authority
/// («Подробнее в Excel»).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpClient {
    pub inn: String,
    pub kpp: Option<String>,
    pub name: String,
    /// Every authority together («Общее количество отправок»), latest counts.
    pub total: i64,
    pub fns: i64,
    pub pfr: i64,
    pub rosstat: i64,
    pub fss: i64,
    pub rar: i64,
    pub rpn: i64,
    pub fts: i64,
}

impl UpClient {
    pub fn add(&mut self, authority: Authority, count: i64) {
        self.total += count;
        let slot = match authority {
            Authority::Fns => &mut self.fns,
            Authority::Pfr => &mut self.pfr,
            Authority::Rosstat => &mut self.rosstat,
            Authority::Fss => &mut self.fss,
            Authority::Rar => &mut self.rar,
            Authority::Rpn => &mut self.rpn,
            Authority::Fts => &mut self.fts,
        };
        *slot += count;
    }
}

/// A representative with what its line needs.
#[derive(Debug, Clone, Default)]
pub struct Representative {
    pub id: i64,
    pub inn: String,
    pub kpp: Option<String>,
    pub name: String,
    pub region_code: String,
    pub zone: i16,
    /// The day it was registered (its first licence).
    pub registered_on: Option<NaiveDate>,
}

/// The tab's line of one representative for a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpLine {
    pub representative_id: i64,
    pub inn: String,
    pub kpp: Option<String>,
    pub name: String,
    pub registered_on: Option<NaiveDate>,
    pub quarter: String,
    pub tariff_code: String,
    pub tariff_name: String,
    pub zone: i16,
    /// «Количество»: as first received.
    pub count: i64,
    /// «Новое количество»: the latest, priced.
    pub new_count: i64,
    pub cost: Money,
    /// «Отчисление партнёра»: what the partner owes its sales center for the line.
    pub partner_share: Money,
    /// «Отчисление ЦП».
    pub sales_center_share: Money,
    pub explanation: Vec<String>,
    pub clients: Vec<UpClient>,
}

/// The line of `rep` for quarter `q` from its `(reported, latest)` counts and clients.
pub fn line(
    rep: &Representative,
    q: Quarter,
    counts: (i64, i64),
    clients: Vec<UpClient>,
    catalog: &Catalog<'_>,
) -> UpLine {
    let (count, new_count) = counts;
    let request = QuoteRequest {
        item: TARIFF.to_owned(),
        date: q.first_day(),
        zone: Some(rep.zone),
        primary: true,
        organisations: 1,
        apply_promotions: true,
        region_code: Some(rep.region_code.clone()),
        ..QuoteRequest::default()
    };
    let (tariff_name, cost, share, mut explanation) = match pricing::quote(&request, catalog) {
        Ok(q) => (q.name, q.total, q.sales_center_share, q.explanation),
        Err(r) => (
            "Транзакции 1С/УП до 200 за квартал".to_owned(),
            Money::ZERO,
            Money::ZERO,
            vec![format!(
                "Тариф не найден в каталоге ({}) — стоимость 0,00 ₽",
                crate::refusals::sentence(&r.message)
            )],
        ),
    };
    explanation.push(if count == new_count {
        format!("{}: {new_count} транзакций", q.title_ru())
    } else {
        format!(
            "{}: получено {count}, уточнено до {new_count} транзакций",
            q.title_ru()
        )
    });
    if new_count > LIMIT {
        explanation.push(format!(
            "Превышение: {} транзакций сверх {LIMIT}, которые покрывает тариф; цены сверх лимита в каталоге нет — согласуйте с центром продаж до одобрения",
            new_count - LIMIT
        ));
    }
    UpLine {
        representative_id: rep.id,
        inn: rep.inn.clone(),
        kpp: rep.kpp.clone(),
        name: rep.name.clone(),
        registered_on: rep.registered_on,
        quarter: q.to_string(),
        tariff_code: TARIFF.to_owned(),
        tariff_name,
        zone: rep.zone,
        count,
        new_count,
        cost,
        partner_share: cost,
        sales_center_share: share,
        explanation,
        clients,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_and_end_in_their_last_month() {
        let q = Quarter::parse("2025-Q1").unwrap();
        assert_eq!(q.last_month().to_string(), "2025-03");
        assert_eq!(q.first_day().to_string(), "2025-01-01");
        assert_eq!(q.title_ru(), "I квартал 2025");
        assert_eq!(
            Quarter::of(Period::parse("2025-11").unwrap()).to_string(),
            "2025-Q4"
        );
        assert_eq!(Quarter::of(Period::parse("2025-03").unwrap()), q);
        for bad in ["2025-Q5", "2025-Q0", "2025Q1", "25-Q1", "2025-03", ""] {
            assert!(Quarter::parse(bad).is_err(), "{bad}");
        }
    }

    /// The manual's row (l.2300): 5 sends, 2 to ФНС and 3 to ПФР, zone 2, 0,00 ₽.
    #[test]
    fn the_manuals_row() {
        let tariffs = vec![crate::entities::tariff::Model {
            id: 0,
            code: TARIFF.into(),
            name: "Транзакции 1С/УП до 200 за квартал".into(),
            kind: "tariff".into(),
            zone: 2,
            term_months: 3,
            primary_price: Money::ZERO,
            renewal_price: Money::ZERO,
            sales_center_share: Money::ZERO,
            renewal_sales_center_share: Money::ZERO,
            revocable: true,
            valid_from: "2020-01-01".parse().unwrap(),
            valid_to: None,
        }];
        let catalog = Catalog {
            tariffs: &tariffs,
            special_offers: &[],
            promotions: &[],
        };
        let mut client = UpClient::default();
        client.add(Authority::Fns, 2);
        client.add(Authority::Pfr, 3);
        assert_eq!((client.total, client.fns, client.pfr), (5, 2, 3));
        let rep = Representative {
            zone: 2,
            region_code: "40".into(),
            ..Representative::default()
        };
        let q = Quarter::parse("2020-Q3").unwrap();
        let l = line(&rep, q, (5, 5), vec![client], &catalog);
        assert_eq!((l.count, l.new_count, l.cost), (5, 5, Money::ZERO));
        assert_eq!(l.tariff_name, "Транзакции 1С/УП до 200 за квартал");
        let over = line(&rep, q, (180, 230), Vec::new(), &catalog);
        assert!(
            over.explanation
                .iter()
                .any(|e| e.contains("уточнено до 230"))
        );
        assert!(
            over.explanation
                .iter()
                .any(|e| e.contains("30 транзакций сверх 200"))
        );
    }
}
