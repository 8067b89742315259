//! The tariff calculator in a browser: a partner picks a competitor's tariff and sees it
//! beside 1С's, compares with all, takes one out, returns to the last comparison; the
//! operator edits a competitor's tariff through its form.

use fantoccini::Locator;

use crate::harness::with_browser;
use crate::helpers::*;

async fn href(b: &crate::harness::Browser, css: &str) -> String {
    b.c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .attr("href")
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_partner_compares_a_competitors_tariff_with_1c() {
    let app = TestApp::spawn().await;
    with_browser(&app, "calculator-partner", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/analytics").await;
        b.sees("Тарифный калькулятор").await;
        b.goto("/analytics/calculator").await;
        // The partner's region is chosen; ЮЛ, ОСНО and the four directions by default.
        assert_eq!(b.value_of("/analytics/calculator", "region").await, "40");
        b.choose("/analytics/calculator", "taxation", "usn").await;
        b.fill_in("/analytics/calculator", "tariff", "Оптимальный (Контур)")
            .await;
        b.click("Показать тариф").await;
        b.sees("Тарифная зона: 2").await;
        b.sees("Правовая база (федеральное законодательство)").await;
        b.sees("Специальный").await;
        b.sees("4\u{a0}900,00\u{a0}₽").await;
        b.sees("2\u{a0}500,00\u{a0}₽").await;
        b.click("Сравнить со всеми").await;
        b.sees("Максимальный").await;
        b.sees("Базовый").await;
        // The trash icon beside «Максимальный».
        let remove = href(&b, "a[aria-label='Убрать из сравнения: Максимальный']").await;
        b.goto(&remove).await;
        assert!(
            b.c.find(Locator::Css(
                "a[aria-label='Убрать из сравнения: Максимальный']"
            ))
            .await
            .is_err(),
            "taken out"
        );
        b.sees("Базовый").await;
        // Another tariff alone, then back to the last comparison.
        b.fill_in("/analytics/calculator", "tariff", "Основной (1С)")
            .await;
        b.click("Показать тариф").await;
        b.click("← Вернуться к последнему сравнению").await;
        b.sees("Оптимальный").await;
        b.sees("Базовый").await;
        // A tariff nobody sells: named beside its field.
        b.fill_in("/analytics/calculator", "tariff", "Несуществующий")
            .await;
        b.click("Показать тариф").await;
        b.sees("тариф не найден").await;
        b
    })
    .await;
}

#[tokio::test]
async fn the_operator_edits_a_competitors_tariff() {
    let app = TestApp::spawn().await;
    with_browser(&app, "calculator-operator", |b| async move {
        b.sign_in("operator").await;
        b.goto("/reference/calculator-tariffs").await;
        b.sees("Отчет.ру (1 направление)").await;
        let action = "/reference/calculator-tariffs/kontur_optimal/edit";
        b.goto(action).await;
        b.fill_in(action, "price", "5 200").await;
        b.select(Some(action), "cap_expert_questions", "yes").await;
        b.click_in(action, "Сохранить").await;
        assert!(b.flash().await.contains("сохранен"), "{}", b.flash().await);
        b.sees("5\u{a0}200,00\u{a0}₽").await;
        // A price that is not one: refused, named, what was typed kept.
        b.goto(action).await;
        b.fill_in(action, "renewal_price", "дорого").await;
        b.click_in(action, "Сохранить").await;
        b.sees("сумма в рублях").await;
        assert_eq!(b.value_of(action, "renewal_price").await, "дорого");
        // A new competitor's tariff through its own form.
        let new = "/reference/calculator-tariffs";
        b.goto("/reference/calculator-tariffs/new").await;
        b.fill_in(new, "code", "taxcom_sprinter").await;
        b.fill_in(new, "product", "taxcom").await;
        b.fill_in(new, "product_title", "Такском").await;
        b.fill_in(new, "title", "Онлайн-Спринтер").await;
        b.fill_in(new, "price", "990").await;
        b.click_in(new, "Сохранить").await;
        b.sees("Онлайн-Спринтер").await;
        b.sees("990,00\u{a0}₽").await;
        b
    })
    .await;
}
