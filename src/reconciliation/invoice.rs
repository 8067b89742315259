//! The invoice of an approved reconciliation (manual §12 «Счета»), pure: its rows from
//! the approved snapshot, the split between the part subject to VAT and the exempt one,
//! the amount in words, and the printable documents — the invoice («Счёт на оплату»),
//! and for each part an act and a «счёт-фактура» (the list's columns «Акт с НДС»,
//! «Счёт фактура с НДС», «Акт без НДС», «Счёт фактура без НДС»).
//!
//! The partner pays its sales center the reconciliation's «Стоимость» (domain.md §5).
//! Licences of 1C-Reporting and CryptoPro are software rights, exempt from VAT (НК РФ
//! ст. 149 п. 2 пп. 26); the certification authority's services are not. Prices include
//! VAT: the VAT is the part `rate / (100 + rate)` of the sum, at 20 % before 2026 and
//! 22 % from 1 January 2026 (федеральный закон от 28.11.2025 № 425-ФЗ).

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::builder::{LineKind, Period};
use super::service::Snapshot;
use crate::entities::{invoice, partner, sales_center};
use crate::money::Money;
use crate::pdf::{Align, Column, Layout, MARGIN, PAGE_WIDTH};

/// VAT in percent on `day`.
pub fn vat_rate(day: NaiveDate) -> i32 {
    if day.year() >= 2026 { 22 } else { 20 }
}

/// The VAT included in `gross` at `rate` percent, to the kopeck.
pub fn vat_included(gross: Money, rate: i32) -> Money {
    let rate = Decimal::from(rate);
    Money::new(
        (gross.amount() * rate / (Decimal::from(100) + rate))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

/// Which part of the invoice a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Subject to VAT: the certification authority's services.
    Vat,
    /// Exempt: licences (software rights).
    Exempt,
}

/// One row: the lines of the same name and price together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub quantity: i64,
    pub price: Money,
    pub sum: Money,
    pub part: Part,
}

/// The invoice's rows from an approved snapshot: lines of one tariff and price counted
/// together, corrections of earlier months as their own rows, nothing at 0,00 ₽.
pub fn rows(s: &Snapshot) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut add = |name: String, price: Money, part: Part| {
        if price == Money::ZERO {
            return;
        }
        match out
            .iter_mut()
            .find(|r| r.name == name && r.price == price && r.part == part)
        {
            Some(r) => {
                r.quantity += 1;
                r.sum = r.sum + price;
            }
            None => out.push(Row {
                name,
                quantity: 1,
                price,
                sum: price,
                part,
            }),
        }
    };
    for l in s.lines.iter().filter(|l| !l.revoked) {
        let part = if l.kind == LineKind::CaService {
            Part::Vat
        } else {
            Part::Exempt
        };
        let name = match l.adjusts.as_deref().and_then(|m| Period::parse(m).ok()) {
            Some(month) => format!("Корректировка за {}: {}", month.title_ru(), l.tariff_name),
            None => l.tariff_name.clone(),
        };
        add(name, l.cost, part);
    }
    for u in &s.up {
        add(
            format!("{} ({}, {})", u.tariff_name, u.quarter, u.name),
            u.cost,
            Part::Exempt,
        );
    }
    out
}

/// The sum of `part`'s rows.
pub fn part_sum(rows: &[Row], part: Part) -> Money {
    rows.iter().filter(|r| r.part == part).map(|r| r.sum).sum()
}

/// A printable document of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printable {
    Invoice,
    Act(Part),
    Factura(Part),
}

impl Printable {
    /// The file names the list links to.
    pub fn parse(file: &str) -> Option<Printable> {
        Some(match file {
            "invoice.pdf" => Printable::Invoice,
            "act-vat.pdf" => Printable::Act(Part::Vat),
            "act.pdf" => Printable::Act(Part::Exempt),
            "factura-vat.pdf" => Printable::Factura(Part::Vat),
            "factura.pdf" => Printable::Factura(Part::Exempt),
            _ => return None,
        })
    }

    pub fn file(self) -> &'static str {
        match self {
            Printable::Invoice => "invoice.pdf",
            Printable::Act(Part::Vat) => "act-vat.pdf",
            Printable::Act(Part::Exempt) => "act.pdf",
            Printable::Factura(Part::Vat) => "factura-vat.pdf",
            Printable::Factura(Part::Exempt) => "factura.pdf",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Printable::Invoice => "Счёт на оплату",
            Printable::Act(_) => "Акт",
            Printable::Factura(_) => "Счёт-фактура",
        }
    }
}

const ONES: [&str; 10] = [
    "",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
];
const ONES_FEMININE: [&str; 3] = ["", "одна", "две"];
const TEENS: [&str; 10] = [
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
];
const TENS: [&str; 10] = [
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
];
const HUNDREDS: [&str; 10] = [
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
];

/// The form of a noun after `n`: (1, 2–4, 5+).
fn plural(n: u64, forms: [&str; 3]) -> &str {
    match (n % 100, n % 10) {
        (11..=14, _) => forms[2],
        (_, 1) => forms[0],
        (_, 2..=4) => forms[1],
        _ => forms[2],
    }
}

fn triple(n: u64, feminine: bool, words: &mut Vec<&'static str>) {
    let (h, t, o) = (n / 100, n / 10 % 10, n % 10);
    if h > 0 {
        words.push(HUNDREDS[h as usize]);
    }
    match t {
        1 => words.push(TEENS[o as usize]),
        _ => {
            if t > 1 {
                words.push(TENS[t as usize]);
            }
            if o > 0 {
                words.push(if feminine && o < 3 {
                    ONES_FEMININE[o as usize]
                } else {
                    ONES[o as usize]
                });
            }
        }
    }
}

/// «Четыре тысячи девятьсот рублей 00 копеек».
pub fn rubles_in_words(m: Money) -> String {
    let kopecks = m.kopecks();
    let negative = kopecks < 0;
    let kopecks = kopecks.unsigned_abs();
    let (rubles, kop) = (kopecks / 100, kopecks % 100);
    let mut words: Vec<&'static str> = Vec::new();
    if negative {
        words.push("минус");
    }
    if rubles == 0 {
        words.push("ноль");
    }
    let scales: [(u64, bool, [&str; 3]); 3] = [
        (
            1_000_000_000,
            false,
            ["миллиард", "миллиарда", "миллиардов"],
        ),
        (1_000_000, false, ["миллион", "миллиона", "миллионов"]),
        (1_000, true, ["тысяча", "тысячи", "тысяч"]),
    ];
    let mut rest = rubles;
    for (scale, feminine, forms) in scales {
        let n = rest / scale;
        if n > 0 {
            triple(n, feminine, &mut words);
            words.push(plural(n, forms));
        }
        rest %= scale;
    }
    triple(rest, false, &mut words);
    let text = format!(
        "{} {} {kop:02} {}",
        words.join(" "),
        plural(rubles, ["рубль", "рубля", "рублей"]),
        plural(kop, ["копейка", "копейки", "копеек"])
    );
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Who sells and who buys, as printed.
pub struct Parties<'a> {
    pub supplier: &'a sales_center::Model,
    pub buyer: &'a partner::Model,
}

fn or_missing(v: Option<&str>) -> &str {
    v.filter(|s| !s.trim().is_empty())
        .unwrap_or("не указано в справочнике")
}

fn money(m: Money) -> String {
    m.ru().replace(" ₽", "").replace('₽', "")
}

/// The document `what` of invoice `inv` (made from `rows`) laid out on A4.
pub fn layout(
    what: Printable,
    inv: &invoice::Model,
    period: Period,
    p: &Parties<'_>,
    all: &[Row],
) -> Layout {
    let part = match what {
        Printable::Invoice => None,
        Printable::Act(part) | Printable::Factura(part) => Some(part),
    };
    let rows: Vec<&Row> = all
        .iter()
        .filter(|r| part.is_none_or(|x| r.part == x))
        .collect();
    let sum: Money = rows.iter().map(|r| r.sum).sum();
    let vat = match part {
        Some(Part::Exempt) => Money::ZERO,
        Some(Part::Vat) => vat_included(sum, inv.vat_rate),
        None => inv.vat_amount,
    };
    let date = inv.issued_on.format("%d.%m.%Y").to_string();
    let title = format!("{} № {} от {date}", what.title(), inv.number);
    let mut l = Layout::new(&title);
    let s = p.supplier;
    let width = PAGE_WIDTH - 2.0 * MARGIN;
    if what == Printable::Invoice {
        l.paragraph(&format!("Получатель: {}", s.name), 9.0, false);
        l.paragraph(
            &format!(
                "ИНН {} · КПП {}",
                or_missing(s.inn.as_deref()),
                or_missing(s.kpp.as_deref())
            ),
            9.0,
            false,
        );
        l.paragraph(
            &format!("Банк получателя: {}", or_missing(s.bank_account.as_deref())),
            9.0,
            false,
        );
        l.space(6.0);
        l.rule(0.8);
        l.space(10.0);
    }
    l.block(MARGIN, width, &title, 15.0, true, Align::Left);
    l.space(4.0);
    l.rule(1.2);
    l.space(8.0);
    let (seller, buyer) = match what {
        Printable::Invoice => ("Поставщик", "Покупатель"),
        Printable::Act(_) => ("Исполнитель", "Заказчик"),
        Printable::Factura(_) => ("Продавец", "Покупатель"),
    };
    l.paragraph(
        &format!(
            "{seller}: {}, ИНН {}, КПП {}, {}",
            s.name,
            or_missing(s.inn.as_deref()),
            or_missing(s.kpp.as_deref()),
            or_missing(s.address.as_deref())
        ),
        9.5,
        false,
    );
    l.space(3.0);
    l.paragraph(
        &format!(
            "{buyer}: {}, ИНН {}",
            p.buyer.name,
            or_missing(p.buyer.inn.as_deref())
        ),
        9.5,
        false,
    );
    l.space(3.0);
    l.paragraph(
        &format!(
            "Основание: сверка 1С-Отчетность за {}, одобренная партнером и центром продаж (снимок SHA-256 {}).",
            period.title_ru(),
            &inv.snapshot_hash[..16.min(inv.snapshot_hash.len())]
        ),
        9.5,
        false,
    );
    if matches!(what, Printable::Factura(_)) {
        l.paragraph(
            "Валюта: наименование, код — Российский рубль, 643",
            9.5,
            false,
        );
    }
    l.space(10.0);
    table(&mut l, what, &rows, inv.vat_rate);
    l.space(8.0);
    let label = |t: &str| format!("{t}: {}", money(sum));
    l.block(MARGIN, width, &label("Итого"), 10.0, true, Align::Right);
    l.block(
        MARGIN,
        width,
        &match (part, vat == Money::ZERO) {
            (Some(Part::Exempt), _) | (None, true) => "Без налога (НДС)".to_owned(),
            _ => format!("В том числе НДС ({} %): {}", inv.vat_rate, money(vat)),
        },
        10.0,
        true,
        Align::Right,
    );
    if what == Printable::Invoice {
        l.block(
            MARGIN,
            width,
            &label("Всего к оплате"),
            10.0,
            true,
            Align::Right,
        );
    }
    l.space(6.0);
    l.paragraph(
        &format!(
            "Всего наименований {}, на сумму {} руб.",
            rows.len(),
            money(sum)
        ),
        9.5,
        false,
    );
    l.paragraph(&rubles_in_words(sum), 9.5, true);
    l.space(8.0);
    if let Printable::Act(_) = what {
        l.paragraph(
            "Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по объему, качеству и срокам оказания услуг не имеет.",
            9.0,
            false,
        );
        l.space(24.0);
        l.paragraph(
            &format!("{seller} ____________________          {buyer} ____________________"),
            10.0,
            false,
        );
    } else {
        l.rule(0.8);
        l.space(24.0);
        l.paragraph(
            "Руководитель ____________________          Главный бухгалтер ____________________",
            10.0,
            false,
        );
    }
    l
}

fn table(l: &mut Layout, what: Printable, rows: &[&Row], rate: i32) {
    let n = |i: usize| (i + 1).to_string();
    match what {
        Printable::Factura(part) => {
            let columns = [
                Column {
                    title: "№",
                    width: 22.0,
                    align: Align::Right,
                },
                Column {
                    title: "Наименование товара (описание выполненных работ, оказанных услуг), имущественного права",
                    width: 165.0,
                    align: Align::Left,
                },
                Column {
                    title: "Кол-во",
                    width: 38.0,
                    align: Align::Right,
                },
                Column {
                    title: "Цена за единицу",
                    width: 58.0,
                    align: Align::Right,
                },
                Column {
                    title: "Стоимость без налога",
                    width: 62.0,
                    align: Align::Right,
                },
                Column {
                    title: "Налоговая ставка",
                    width: 48.0,
                    align: Align::Center,
                },
                Column {
                    title: "Сумма налога",
                    width: 54.0,
                    align: Align::Right,
                },
                Column {
                    title: "Стоимость с налогом",
                    width: 64.0,
                    align: Align::Right,
                },
            ];
            let body: Vec<Vec<String>> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let tax = if part == Part::Vat {
                        vat_included(r.sum, rate)
                    } else {
                        Money::ZERO
                    };
                    vec![
                        n(i),
                        r.name.clone(),
                        r.quantity.to_string(),
                        money(r.price),
                        money(r.sum - tax),
                        if part == Part::Vat {
                            format!("{rate} %")
                        } else {
                            "без НДС".to_owned()
                        },
                        if part == Part::Vat {
                            money(tax)
                        } else {
                            "без НДС".to_owned()
                        },
                        money(r.sum),
                    ]
                })
                .collect();
            l.table(&columns, &body, 8.0);
        }
        _ => {
            let columns = [
                Column {
                    title: "№",
                    width: 26.0,
                    align: Align::Right,
                },
                Column {
                    title: "Наименование",
                    width: 265.0,
                    align: Align::Left,
                },
                Column {
                    title: "Кол-во",
                    width: 46.0,
                    align: Align::Right,
                },
                Column {
                    title: "Ед.",
                    width: 34.0,
                    align: Align::Center,
                },
                Column {
                    title: "Цена",
                    width: 70.0,
                    align: Align::Right,
                },
                Column {
                    title: "Сумма",
                    width: 70.0,
                    align: Align::Right,
                },
            ];
            let body: Vec<Vec<String>> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        n(i),
                        r.name.clone(),
                        r.quantity.to_string(),
                        "шт".to_owned(),
                        money(r.price),
                        money(r.sum),
                    ]
                })
                .collect();
            l.table(&columns, &body, 9.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::new(s.parse().unwrap())
    }

    #[test]
    fn amounts_in_words() {
        assert_eq!(
            rubles_in_words(m("4900.00")),
            "Четыре тысячи девятьсот рублей 00 копеек"
        );
        assert_eq!(
            rubles_in_words(m("6490.00")),
            "Шесть тысяч четыреста девяносто рублей 00 копеек"
        );
        assert_eq!(rubles_in_words(m("1.01")), "Один рубль 01 копейка");
        assert_eq!(rubles_in_words(m("22.02")), "Двадцать два рубля 02 копейки");
        assert_eq!(
            rubles_in_words(m("111.11")),
            "Сто одиннадцать рублей 11 копеек"
        );
        assert_eq!(
            rubles_in_words(m("2001000.50")),
            "Два миллиона одна тысяча рублей 50 копеек"
        );
        assert_eq!(rubles_in_words(m("0.00")), "Ноль рублей 00 копеек");
        assert_eq!(
            rubles_in_words(m("-590.00")),
            "Минус пятьсот девяносто рублей 00 копеек"
        );
    }

    #[test]
    fn vat_is_the_included_part_at_the_days_rate() {
        assert_eq!(vat_rate("2025-12-31".parse().unwrap()), 20);
        assert_eq!(vat_rate("2026-01-01".parse().unwrap()), 22);
        assert_eq!(vat_included(m("1200.00"), 20), m("200.00"));
        assert_eq!(vat_included(m("1000.00"), 22), m("180.33"));
    }

    fn texts(l: &Layout) -> Vec<String> {
        l.pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                crate::pdf::Op::Text { text, .. } => Some(text.clone()),
                crate::pdf::Op::Line { .. } => None,
            })
            .collect()
    }

    /// The manual's month (l.2327–2329): Платная 5 900 and CryptoPro 590 — exempt rows,
    /// «Без налога (НДС)», 6 490 in words; a correction is its own negative row.
    #[test]
    fn the_invoice_prints_the_months_rows_and_sum() {
        use crate::reconciliation::builder::{Line, Totals};
        let line = |id: i64, name: &str, kind: LineKind, cost: &str| Line {
            id,
            licence_id: id,
            subscriber_id: id,
            inn: "4027291410".into(),
            kpp: None,
            name: "ООО".into(),
            guid: None,
            registered_on: None,
            its_login: None,
            tariff_code: "x".into(),
            tariff_name: name.into(),
            zone: 3,
            primary: true,
            starts_on: "2025-03-01".parse().unwrap(),
            ends_on: "2026-03-01".parse().unwrap(),
            cost: m(cost),
            sales_center_share: Money::ZERO,
            special_offer_number: None,
            company_group_id: None,
            kind,
            revoked: false,
            revocable: true,
            edited: false,
            explanation: Vec::new(),
            adjusts: None,
        };
        let mut fix = line(
            9,
            "Платная лицензия (годовое обслуживание)",
            LineKind::Adjustment,
            "-5900.00",
        );
        fix.adjusts = Some("2025-02".into());
        let s = Snapshot {
            lines: vec![
                line(
                    1,
                    "Платная лицензия (годовое обслуживание)",
                    LineKind::Licence,
                    "5900.00",
                ),
                line(
                    2,
                    "Платная лицензия (годовое обслуживание)",
                    LineKind::Licence,
                    "5900.00",
                ),
                line(3, "КриптоПро", LineKind::Cryptopro, "590.00"),
                line(4, "ИТС", LineKind::Licence, "0.00"),
                fix,
            ],
            up: Vec::new(),
            totals: Totals::default(),
        };
        let rows = rows(&s);
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!((rows[0].quantity, rows[0].sum), (2, m("11800.00")));
        assert_eq!(
            rows[2].name,
            "Корректировка за февраль 2025: Платная лицензия (годовое обслуживание)"
        );
        assert_eq!(part_sum(&rows, Part::Exempt), m("6490.00"));
        let inv = invoice::Model {
            id: 1,
            sales_center_id: 1,
            partner_id: 1,
            reconciliation_id: 1,
            year: 2025,
            number: 7,
            issued_on: "2025-04-02".parse().unwrap(),
            amount: m("6490.00"),
            vat_base: Money::ZERO,
            vat_rate: 20,
            vat_amount: Money::ZERO,
            snapshot_hash: "ab".repeat(32),
            issued_by: "p".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let supplier = sales_center::Model {
            id: 1,
            code: "sc".into(),
            name: "Центр продаж «Калуга»".into(),
            region_code: "40".into(),
            email: None,
            inn: Some("4027067916".into()),
            kpp: None,
            address: None,
            bank_account: None,
        };
        let buyer = partner::Model {
            id: 1,
            code: "p".into(),
            name: "ООО «Калуга-Софт»".into(),
            region_code: "40".into(),
            sales_center_id: 1,
            tariff_zone: 2,
            inn: Some("4027291410".into()),
            email: None,
            phone: None,
        };
        let parties = Parties {
            supplier: &supplier,
            buyer: &buyer,
        };
        let march = Period::parse("2025-03").unwrap();
        let t = texts(&layout(Printable::Invoice, &inv, march, &parties, &rows)).join("\n");
        assert!(t.contains("Счёт на оплату № 7 от 02.04.2025"), "{t}");
        assert!(t.contains("Без налога (НДС)"));
        assert!(t.contains("Всего к оплате: 6 490,00"), "{t}");
        assert!(t.contains("Шесть тысяч четыреста девяносто рублей 00 копеек"));
        assert!(
            t.contains("КПП не указано в справочнике"),
            "missing requisites are said, not invented"
        );
        let f = texts(&layout(
            Printable::Factura(Part::Exempt),
            &inv,
            march,
            &parties,
            &rows,
        ))
        .join("\n");
        assert!(f.contains("Счёт-фактура № 7 от 02.04.2025") && f.contains("без НДС"));
        assert!(
            !layout(Printable::Invoice, &inv, march, &parties, &rows)
                .render()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn printables_round_trip_their_file_names() {
        for p in [
            Printable::Invoice,
            Printable::Act(Part::Vat),
            Printable::Act(Part::Exempt),
            Printable::Factura(Part::Vat),
            Printable::Factura(Part::Exempt),
        ] {
            assert_eq!(Printable::parse(p.file()), Some(p));
        }
        assert_eq!(Printable::parse("../etc/passwd"), None);
    }
}
