//! Forms outside the two big sections: the calculator, the journal's filter and check,
//! the sales center's special offers.

use crate::harness::with_browser;
use crate::helpers::*;

#[tokio::test]
async fn the_calculator_quotes_and_a_cleared_field_is_just_not_given() {
    let app = TestApp::spawn().await;
    with_browser(&app, "calculator", |b| async move {
        b.sign_in("p-klg-2").await;
        b.goto("/reference/calculator").await;
        // The partner's own tariff zone is preselected (p-klg-2 prices in zone 3).
        assert_eq!(b.value_of("/reference/calculator", "zone").await, "3");
        b.click("Рассчитать").await;
        b.sees("Как посчитано").await;
        b.sees("зона 3").await;
        b.fill("organisations", "").await;
        b.click("Рассчитать").await;
        let text = b.text().await;
        assert!(!text.contains("Failed"), "{text}");
        b.sees("Как посчитано").await;
        b
    })
    .await;
}

#[tokio::test]
async fn the_sales_center_registers_a_special_offer_number() {
    let app = TestApp::spawn().await;
    with_browser(&app, "special-offers", |b| async move {
        b.sign_in("sc-msk").await;
        b.click("Спецпредложения").await;
        b.select(Some("/special-offers"), "offer", "usn_mo").await;
        b.fill("number", "MSK-0042").await;
        b.fill("inn", "5036065111").await;
        b.click("Зарегистрировать").await;
        let flash = b.flash().await;
        assert!(
            flash.starts_with("ИНН клиента") || flash.starts_with("ИНН:"),
            "{flash}"
        );
        assert_eq!(b.value_of("/special-offers", "number").await, "MSK-0042");
        assert_eq!(b.value_of("/special-offers", "inn").await, "5036065111");
        b.fill("inn", "5036065113").await;
        b.click("Зарегистрировать").await;
        b.sees("Номер MSK-0042 зарегистрирован.").await;
        b.sees("MSK-0042").await;
        // The manual's own number, for every client of the region (no ИНН).
        b.fill("number", "УСН_МО").await;
        b.fill("inn", "").await;
        b.click("Зарегистрировать").await;
        b.sees("Номер УСН_МО зарегистрирован.").await;
        b.sees("любой клиент региона").await;
        b
    })
    .await;
}

#[tokio::test]
async fn the_operator_filters_the_journal_and_checks_its_chain() {
    let app = TestApp::spawn().await;
    app.submit(&sample_application()).await;
    with_browser(&app, "journal", |b| async move {
        b.sign_in("operator").await;
        b.click("Журнал действий").await;
        b.select(Some("/audit"), "action", "application.").await;
        b.click("Найти").await;
        b.sees("Заявление: получено из 1С").await;
        let text = b.text().await;
        assert!(!text.contains("Вход в систему"), "filtered: {text}");
        b.click("Проверить журнал").await;
        b.sees("Журнал проверен: цепочка цела").await;
        b
    })
    .await;
}
