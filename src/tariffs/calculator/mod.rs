//! The tariff calculator (manual §13, l.2356–2527): given a region (its tariff zone
//! prices 1С-Отчетность), an organisation type, a taxation and the directions, a tariff —
//! 1С-Отчетность's or a competitor's — is shown with what it offers, and compared with
//! others that fit the same criteria. A competitor's tariff brings 1С's own into the
//! comparison by itself (l.2515). The tariffs and their capabilities are catalog data
//! (`fixtures/calculator.json`, then the operator's to edit), never code.
//!
//! This file holds the rules; `service` loads and saves, `routes` draws.

pub mod routes;
pub mod service;

use std::collections::BTreeMap;

use crate::entities::calculator_tariff;
use crate::organisation::Authority;

crate::code_enum! {
    /// «Тип организации».
    #[derive(utoipa::ToSchema)]
    pub enum OrganisationType {
        SoleTrader = "ip",
        Legal = "ul",
        Group = "gk",
        TaxRepresentative = "np",
    }
}

impl OrganisationType {
    /// As the form's buttons say it.
    pub fn short_ru(self) -> &'static str {
        match self {
            OrganisationType::SoleTrader => "ИП",
            OrganisationType::Legal => "ЮЛ",
            OrganisationType::Group => "ГК",
            OrganisationType::TaxRepresentative => "НП",
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            OrganisationType::SoleTrader => "Индивидуальный предприниматель",
            OrganisationType::Legal => "Юридическое лицо",
            OrganisationType::Group => "Группа компаний",
            OrganisationType::TaxRepresentative => "Налоговый представитель",
        }
    }
}

crate::code_enum! {
    /// «Тип налогообложения».
    #[derive(utoipa::ToSchema)]
    pub enum Taxation {
        General = "osno",
        Special = "usn",
        Budget = "budget",
    }
}

impl Taxation {
    pub fn short_ru(self) -> &'static str {
        match self {
            Taxation::General => "ОСНО",
            Taxation::Special => "УСН/ЕНВД",
            Taxation::Budget => "Бюджет",
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Taxation::General => "Общий",
            Taxation::Special => "Специальный",
            Taxation::Budget => "Бюджетная организация",
        }
    }
}

/// The directions the calculator asks about (l.2383–2389).
pub const DIRECTIONS: [Authority; 4] = [
    Authority::Fns,
    Authority::Pfr,
    Authority::Fss,
    Authority::Rosstat,
];

/// What the tariff is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria {
    pub organisation: OrganisationType,
    pub taxation: Taxation,
    pub directions: Vec<Authority>,
}

impl Criteria {
    /// The directions as the comparison prints them: «ФНС, ПФР».
    pub fn directions_ru(&self) -> String {
        self.directions
            .iter()
            .map(|a| a.title_ru())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn listed(list: &str, code: &str) -> bool {
    list.split(',').any(|c| c.trim() == code)
}

/// Whether `t` serves the criteria: the organisation type, the taxation and every
/// direction asked (no more of them than the tariff serves at once).
pub fn fits(t: &calculator_tariff::Model, c: &Criteria) -> bool {
    listed(&t.organisation_types, c.organisation.as_str())
        && listed(&t.taxation, c.taxation.as_str())
        && c.directions
            .iter()
            .all(|d| listed(&t.directions, d.as_str()))
        && t.direction_limit
            .is_none_or(|n| usize::try_from(n).is_ok_and(|n| c.directions.len() <= n))
}

/// What the tariff offers: capability code → yes / no (absent: no data).
pub fn capabilities(t: &calculator_tariff::Model) -> BTreeMap<String, bool> {
    serde_json::from_str(&t.capabilities).unwrap_or_default()
}

/// The comparison's columns: the chosen tariff first; a competitor's brings 1С's own
/// tariffs that fit (l.2515); then the ones asked for in `compare`, or — `everything`,
/// «Сравнить со всеми» — every tariff that fits. Each once, in that order, less the
/// `removed` ones (the chosen tariff stays).
pub fn columns<'a>(
    chosen: &'a calculator_tariff::Model,
    catalog: &'a [calculator_tariff::Model],
    compare: &[String],
    everything: bool,
    removed: &[String],
    c: &Criteria,
) -> Vec<&'a calculator_tariff::Model> {
    let mut out = vec![chosen];
    let mut push = |t: &'a calculator_tariff::Model| {
        if !out.iter().any(|o| o.code == t.code) && !removed.contains(&t.code) {
            out.push(t);
        }
    };
    if !chosen.own {
        for t in catalog.iter().filter(|t| t.own && fits(t, c)) {
            push(t);
        }
    }
    for code in compare {
        if let Some(t) = catalog.iter().find(|t| &t.code == code) {
            push(t);
        }
    }
    if everything {
        for t in catalog.iter().filter(|t| fits(t, c)) {
            push(t);
        }
    }
    out
}

/// «Сравнить с:» — the tariffs that fit and are not in the comparison yet.
pub fn to_add<'a>(
    shown: &[&calculator_tariff::Model],
    catalog: &'a [calculator_tariff::Model],
    c: &Criteria,
) -> Vec<&'a calculator_tariff::Model> {
    catalog
        .iter()
        .filter(|t| fits(t, c) && !shown.iter().any(|s| s.code == t.code))
        .collect()
}

/// The tariff a typed name means: its code, its title, or «title (product)» as the
/// autocomplete offers it; case- and ё-insensitive.
pub fn find<'a>(
    catalog: &'a [calculator_tariff::Model],
    typed: &str,
) -> Option<&'a calculator_tariff::Model> {
    let norm = |s: &str| s.trim().to_lowercase().replace('ё', "е");
    let typed = norm(typed);
    catalog
        .iter()
        .find(|t| norm(&t.code) == typed || norm(&label(t)) == typed)
        .or_else(|| {
            let mut by_title = catalog.iter().filter(|t| norm(&t.title) == typed);
            match (by_title.next(), by_title.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        })
}

/// «Оптимальный (Контур)»: how the autocomplete lists a tariff.
pub fn label(t: &calculator_tariff::Model) -> String {
    format!("{} ({})", t.title, t.product_title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff(
        code: &str,
        own: bool,
        directions: &str,
        limit: Option<i32>,
    ) -> calculator_tariff::Model {
        calculator_tariff::Model {
            id: 0,
            code: code.to_owned(),
            product: if own { "1c" } else { "kontur" }.to_owned(),
            product_title: if own { "1С" } else { "Контур" }.to_owned(),
            title: code.to_owned(),
            own,
            catalog_item: None,
            organisation_types: "ip,ul".to_owned(),
            taxation: "osno,usn".to_owned(),
            directions: directions.to_owned(),
            directions_note: String::new(),
            direction_limit: limit,
            capabilities: r#"{"letters":true}"#.to_owned(),
            price: None,
            renewal_price: None,
            position: 0,
            version: 1,
            updated_at: chrono::DateTime::default(),
        }
    }

    fn criteria(directions: &[Authority]) -> Criteria {
        Criteria {
            organisation: OrganisationType::Legal,
            taxation: Taxation::General,
            directions: directions.to_vec(),
        }
    }

    #[test]
    fn a_tariff_fits_only_what_it_serves() {
        let all = tariff("a", false, "fns,pfr,fss,rosstat", None);
        let three = tariff("b", false, "fns,pfr,fss", None);
        let one = tariff("c", false, "fns,pfr,fss,rosstat", Some(1));
        let four = criteria(&DIRECTIONS);
        assert!(fits(&all, &four));
        assert!(!fits(&three, &four), "no Росстат");
        assert!(!fits(&one, &four), "one direction at a time");
        assert!(fits(&one, &criteria(&[Authority::Pfr])));
        let mut np = four.clone();
        np.organisation = OrganisationType::TaxRepresentative;
        assert!(!fits(&all, &np), "not for tax representatives");
        let mut budget = four;
        budget.taxation = Taxation::Budget;
        assert!(!fits(&all, &budget));
    }

    #[test]
    fn a_competitor_brings_the_own_tariff_and_everything_adds_each_fitting_once() {
        let catalog = vec![
            tariff("own", true, "fns,pfr,fss,rosstat", None),
            tariff("k1", false, "fns,pfr,fss,rosstat", None),
            tariff("k2", false, "fns,pfr,fss,rosstat", None),
            tariff("short", false, "fns", None),
        ];
        let c = criteria(&DIRECTIONS);
        let codes = |v: Vec<&calculator_tariff::Model>| -> Vec<String> {
            v.into_iter().map(|t| t.code.clone()).collect()
        };
        assert_eq!(
            codes(columns(&catalog[1], &catalog, &[], false, &[], &c)),
            ["k1", "own"]
        );
        assert_eq!(
            codes(columns(&catalog[0], &catalog, &[], false, &[], &c)),
            ["own"]
        );
        assert_eq!(
            codes(columns(
                &catalog[0],
                &catalog,
                &["k2".into(), "k2".into(), "nope".into()],
                false,
                &[],
                &c
            )),
            ["own", "k2"]
        );
        let all = columns(&catalog[2], &catalog, &[], true, &[], &c);
        assert_eq!(
            codes(all.clone()),
            ["k2", "own", "k1"],
            "«short» does not fit"
        );
        assert!(to_add(&all, &catalog, &c).is_empty());
        let two = columns(&catalog[0], &catalog, &[], false, &[], &c);
        assert_eq!(codes(to_add(&two, &catalog, &c)), ["k1", "k2"]);
        // The trash icon: the own tariff a competitor brought goes; the chosen one stays.
        let removed = ["own".to_owned(), "k1".to_owned()];
        assert_eq!(
            codes(columns(&catalog[1], &catalog, &[], true, &removed, &c)),
            ["k1", "k2"]
        );
    }

    #[test]
    fn a_typed_name_finds_its_tariff() {
        let mut a = tariff("kontur_optimal", false, "fns", None);
        a.title = "Оптимальный".into();
        let mut b = tariff("1c_basic", true, "fns", None);
        b.title = "Основной".into();
        let catalog = vec![a, b];
        assert_eq!(
            find(&catalog, "оптимальный (контур)").unwrap().code,
            "kontur_optimal"
        );
        assert_eq!(find(&catalog, " Основной ").unwrap().code, "1c_basic");
        assert_eq!(find(&catalog, "1c_basic").unwrap().code, "1c_basic");
        assert!(find(&catalog, "Максимальный").is_none());
    }
}
