//! Pages of the reference data.

use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};

use super::routes::CalendarDayView;
use super::{CenterView, PartnerView};
use crate::auth::{CurrentUser, Role};
use crate::tariffs::catalog::CatalogItem;
use crate::web::components::{date_ru, table, yes_no};
use crate::web::layout;

const ACTIVE: &str = "reference";

pub fn index(user: &CurrentUser) -> Markup {
    let sees_partners = matches!(
        user.role,
        Role::Operator | Role::SalesCenter | Role::Partner
    );
    layout::page(
        user,
        ACTIVE,
        "Справочники",
        html! {
            div.cards {
                @if sees_partners {
                    a.card href="/reference/partners" { h3 { "Партнеры" } p { "Коды, регионы, центры продаж, тарифные зоны." } }
                }
                a.card href="/reference/identification-centers" { h3 { "Центры идентификации" } p { "Офисы, адреса, координаты, режим работы." } }
                a.card href="/reference/tariffs" { h3 { "Тарифы" } p { "Каталог тарифов и расширений с ценами по зонам." } }
                a.card href="/reference/calculator" { h3 { "Расчет стоимости" } p { "Цена тарифа или расширения с объяснением по строкам." } }
                @if sees_partners {
                    a.card href="/reference/calculator-tariffs" { h3 { "Тарифы калькулятора" } p { "Тарифы 1С-Отчетности и конкурентов для сравнения: возможности и цены." } }
                }
                a.card href="/reference/calendar" { h3 { "Производственный календарь" } p { "Рабочие и нерабочие дни, переносы." } }
                a.card href="/api" { h3 { "API для интеграций" } p { "Операции JSON API, их параметры и поля; описание OpenAPI." } }
            }
        },
    )
}

pub fn partners(user: &CurrentUser, rows: &[PartnerView]) -> Markup {
    layout::page(
        user,
        ACTIVE,
        "Партнеры",
        table(
            &[
                "Код",
                "Наименование",
                "ИНН",
                "Регион",
                "Центр продаж",
                "Тарифная зона",
                "E-mail",
                "Телефон",
            ],
            rows.iter().map(|p| {
                html! { tr {
                    td { code { (p.code) } }
                    td { (p.name) }
                    td { (p.inn.as_deref().unwrap_or("")) }
                    td { (p.region) }
                    td { (p.sales_center) }
                    td.num { (p.tariff_zone) }
                    td { (p.email.as_deref().unwrap_or("")) }
                    td { (p.phone.as_deref().unwrap_or("")) }
                } }
            }),
        ),
    )
}

pub fn centers(user: &CurrentUser, rows: &[CenterView]) -> Markup {
    layout::page(
        user,
        ACTIVE,
        "Центры идентификации",
        table(
            &[
                "Офис",
                "Адрес",
                "Регион",
                "Координаты",
                "Режим работы",
                "Телефон",
                "E-mail",
            ],
            rows.iter().map(|c| {
                html! { tr {
                    td { (c.office_name) }
                    td { (c.address) }
                    td { (c.region) }
                    td.num { (format!("{:.4}, {:.4}", c.latitude, c.longitude)) }
                    td { (c.schedule) }
                    td { (c.phone) }
                    td { (c.email) }
                } }
            }),
        ),
    )
}

pub fn tariffs(
    user: &CurrentUser,
    rows: &[CatalogItem],
    zone: Option<i16>,
    date: Option<NaiveDate>,
) -> Markup {
    layout::page(
        user,
        ACTIVE,
        "Тарифы",
        html! {
            form.toolbar method="get" action="/reference/tariffs" {
                label { "Тарифная зона"
                    select name="zone" {
                        option value="" selected[zone.is_none()] { "Все" }
                        @for z in 1..=3i16 { option value=(z) selected[zone == Some(z)] { (z) } }
                    }
                }
                label { "Действует на дату" input type="date" name="date" value=[date.map(|d| d.to_string())]; }
                button.primary type="submit" { "Показать" }
            }
            (table(
                &["Наименование", "Вид", "Срок, мес.", "Зона", "Первичное", "Продление", "Отчисления ЦП", "Перечисление в КА", "Отзыв", "Действует"],
                rows.iter().map(|t| html! { tr {
                    td.wide { (t.name) }
                    td { (if t.kind == "extension" { "Расширение" } else { "Тариф" }) }
                    td.num { (t.term_months) }
                    td.num { (t.zone) }
                    td.num { (t.primary_price.ru()) }
                    td.num { (t.renewal_price.ru()) }
                    td.num { (t.sales_center_share.ru()) }
                    td.num { (t.operator_transfer.ru()) }
                    td { (yes_no(t.revocable)) }
                    td.nowrap { "с " (date_ru(t.valid_from)) @if let Some(to) = t.valid_to { br; "по " (date_ru(to)) } }
                } }),
            ))
        },
    )
}

const MONTHS: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];

pub fn calendar(user: &CurrentUser, year: i32, days: &[CalendarDayView], loaded: bool) -> Markup {
    let working_total = days.iter().filter(|d| d.working).count();
    layout::page(
        user,
        ACTIVE,
        &format!("Производственный календарь на {year} год"),
        html! {
            div.toolbar {
                a.button.secondary href={ "/reference/calendar?year=" (year - 1) } { "← " (year - 1) }
                a.button.secondary href={ "/reference/calendar?year=" (year + 1) } { (year + 1) " →" }
                span.muted { "Рабочих дней: " b { (working_total) } ", выходных и праздничных: " b { (days.len() - working_total) } }
            }
            @if !loaded {
                div.flash.flash-error role="alert" {
                    "Производственный календарь на " (year) " год не загружен: показаны только субботы и воскресенья, праздники и переносы не учтены. "
                    "Сроки в рабочих днях (10 рабочих дней на идентификацию, 3 рабочих дня на одобрение сверки), которые приходятся на этот год, будут посчитаны без праздников. Календарь года загружает оператор вместе со справочниками."
                }
            }
            div.calendar {
                @for m in 1..=12u32 {
                    @let month: Vec<&CalendarDayView> = days.iter().filter(|d| d.date.month() == m).collect();
                    (month_grid(m, &month))
                }
            }
        },
    )
}

fn month_grid(m: u32, days: &[&CalendarDayView]) -> Markup {
    let lead = days
        .first()
        .map_or(0, |d| d.date.weekday().num_days_from_monday() as usize);
    let mut cells: Vec<Option<&CalendarDayView>> = vec![None; lead];
    cells.extend(days.iter().copied().map(Some));
    let working = days.iter().filter(|d| d.working).count();
    html! {
        div.month {
            h3 { (MONTHS[(m - 1) as usize]) span.muted { "раб. дней: " (working) } }
            table {
                thead { tr { @for w in ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"] { th { (w) } } } }
                tbody {
                    @for week in cells.chunks(7) {
                        tr {
                            @for c in week {
                                @match c {
                                    Some(d) => {
                                        @let transfer = d.working && d.date.weekday().num_days_from_monday() >= 5;
                                        td.off[!d.working].transfer[transfer] title=[d.note.as_deref()] { (d.date.day()) }
                                    }
                                    None => td {},
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
