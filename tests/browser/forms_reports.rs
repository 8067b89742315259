//! «Аналитика — Отчетность»: a sales center builds a report through its form — a period,
//! a region, a quarter — and sees the table, the chart and the export links for what it
//! asked; a wrong period is named beside its field.

use chrono::Duration;

use crate::harness::with_browser;
use crate::helpers::*;

/// Sets a date field by script: a date input's typing order follows the browser's locale.
async fn set_date(b: &crate::harness::Browser, name: &str, value: &str) {
    b.c.execute(
        &format!(
            "document.querySelector('form.report-params [name=\"{name}\"]').value = '{value}';"
        ),
        vec![],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_sales_center_builds_the_plans_and_the_regional_statistics() {
    let app = TestApp::spawn().await;
    // Registered on 3 March 2025 for a year and not renewed.
    app.registered_subscriber().await;
    app.advance(Duration::days(400));
    with_browser(&app, "reports-sales-center", |b| async move {
        b.sign_in("sc-klg").await;
        b.goto("/analytics").await;
        b.sees("Отчет по планам для ЦП").await;
        b.goto("/analytics/reports/plans").await;
        set_date(&b, "from", "2026-03-01").await;
        set_date(&b, "to", "2026-03-31").await;
        b.select(Some("/analytics/reports/plans"), "region", "40")
            .await;
        b.click("Построить отчет").await;
        assert_eq!(
            b.path().await,
            "/analytics/reports/plans?from=2026-03-01&to=2026-03-31&region=40"
        );
        b.sees("Период: 01.03.2026 — 31.03.2026").await;
        b.sees("% отвала по месяцам").await;
        // One paid licence due, none renewed: 100 %.
        b.sees("100,00").await;
        let href =
            b.c.find(fantoccini::Locator::LinkText("Excel (XLSX)"))
                .await
                .unwrap()
                .attr("href")
                .await
                .unwrap()
                .unwrap();
        assert_eq!(
            href,
            "/analytics/reports/plans/export.xlsx?from=2026-03-01&to=2026-03-31&region=40"
        );
        // A period that ends before it starts: named beside the field, the form kept.
        set_date(&b, "from", "2026-03-31").await;
        set_date(&b, "to", "2026-03-01").await;
        b.click("Построить отчет").await;
        b.sees("Отчет не построен").await;
        b.sees("конец периода раньше его начала").await;
        assert_eq!(
            b.value_of("/analytics/reports/plans", "from").await,
            "2026-03-31"
        );
        // The quarter's statistics: the chart of four quarters.
        b.goto("/analytics/reports/region_statistics").await;
        b.select(
            Some("/analytics/reports/region_statistics"),
            "quarter",
            "2025-Q1",
        )
        .await;
        b.click("Построить отчет").await;
        b.sees("Квартал: 1 квартал 2025 г.").await;
        b.sees("Абоненты 1С по кварталам").await;
        b.sees("40 Калужская область").await;
        b
    })
    .await;
}

#[tokio::test]
async fn the_operator_builds_partner_activity_and_tender_consulting_by_their_filters() {
    let app = TestApp::spawn().await;
    app.registered_subscriber().await; // p-klg-1, 3 March 2025
    app.advance(Duration::days(40));
    with_browser(&app, "reports-operator-filters", |b| async move {
        b.sign_in("operator").await;
        b.goto("/analytics/reports/partner_activity").await;
        b.fill_in(
            "/analytics/reports/partner_activity",
            "partner",
            "Калуга-Софт",
        )
        .await;
        set_date(&b, "from", "2025-03-01").await;
        set_date(&b, "to", "2025-03-31").await;
        b.click("Построить отчет").await;
        let path = b.path().await;
        assert!(
            path.starts_with("/analytics/reports/partner_activity?partner=")
                && path.ends_with("&from=2025-03-01&to=2025-03-31"),
            "{path}"
        );
        // The one partner's contacts, its line and its group sizes.
        b.sees("Менеджеры партнера").await;
        b.sees("+7 4842 40-10-01").await;
        b.sees("Действующие абоненты (Группы компаний / Остальные)")
            .await;
        b.sees("Подключения и продления по месяцам").await;
        let export =
            b.c.find(fantoccini::Locator::LinkText("Экспорт Абонентов"))
                .await
                .unwrap()
                .attr("href")
                .await
                .unwrap()
                .unwrap();
        assert!(
            export.starts_with(
                "/analytics/reports/active_subscribers/export.xlsx?on=2025-03-31&partner="
            ),
            "{export}"
        );
        // Tender consulting: the Moscow sales center has no organisation yet.
        b.goto("/analytics/reports/tender_consulting").await;
        b.select(
            Some("/analytics/reports/tender_consulting"),
            "sales_center",
            "sc-msk",
        )
        .await;
        b.click("Построить отчет").await;
        b.sees("Всего организаций: 0").await;
        b.select(
            Some("/analytics/reports/tender_consulting"),
            "sales_center",
            "sc-klg",
        )
        .await;
        b.click("Построить отчет").await;
        b.sees("Всего организаций: 1").await;
        b.sees("с продуктом: 1").await;
        b
    })
    .await;
}
