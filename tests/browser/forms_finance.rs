//! «Финансы — Сверка»: the partner edits a line and approves its month; the sales center
//! returns one with a comment and approves its partners' in bulk — as people use the
//! forms, valid and refused.

use chrono::Duration;
use serde_json::json;

use crate::harness::with_browser;
use crate::helpers::*;

const MARCH: &str = "/finance/p-klg-1/2025-03";

/// p-klg-1's client registered on 3 March 2025, then the clock on 1 April.
async fn a_month_to_reconcile(app: &TestApp) {
    let mut doc = sample_application();
    doc["its_login"] = json!("its-nobody");
    doc["directions"] = json!([{ "authority": "fns", "code": "4027", "kpp": "402701001" }]);
    let id = app.submit(&doc).await;
    app.register_submitted(id, json!({"option": "basic_1y"}))
        .await;
    app.advance(Duration::days(29));
}

#[tokio::test]
async fn the_partner_edits_a_line_and_approves_the_month() {
    let app = TestApp::spawn().await;
    a_month_to_reconcile(&app).await;
    let line = format!("{MARCH}/lines/1");
    with_browser(&app, "finance-partner", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/finance").await;
        // In the first working days the month just ended opens.
        assert_eq!(b.path().await, MARCH);
        b.sees("Сверка 1С-Отчетность").await;
        b.sees("4\u{a0}900,00\u{a0}₽").await;
        b.sees("Во время сверки обязательно проверяйте период действия выданного тарифа!")
            .await;
        // «Изменить» opens the line with its price explained.
        b.click("Изменить").await;
        assert_eq!(b.path().await, line);
        b.sees("Редактирование параметров подключения").await;
        // ITS needs a PROF subscription the client does not have: priced before saving,
        // the refusal named.
        b.select(Some(&line), "tariff_code", "its").await;
        b.click("Рассчитать").await;
        b.sees("Тариф: у абонента нет действующей подписки ИТС ПРОФ")
            .await;
        // Верное решение: one ФНС direction, a primary connection — 1 200 ₽ after.
        b.select(Some(&line), "tariff_code", "right_choice").await;
        b.click("Рассчитать").await;
        b.sees("После изменения").await;
        b.sees("1\u{a0}200,00\u{a0}₽").await;
        b.click("Сохранить").await;
        assert_eq!(b.path().await, MARCH);
        b.sees("Строка пересчитана").await;
        b.sees("Изменено в сверке").await;
        // A revocation needs its reason (the browser keeps the form).
        b.click("Изменить").await;
        b.open_details("Отозвать лицензию").await;
        b.click_refused_by_browser(&format!("{line}/revoke"), "Отозвать")
            .await;
        b.goto(MARCH).await;
        // The second tab: quarterly, March closes the first quarter.
        b.click("Транзакции уполномоченных представителей").await;
        b.sees("Нет записей для просмотра.").await;
        b.click("Основные лицензии").await;
        b.click("Одобрить").await;
        b.sees("Сверка одобрена: Одобрено партнером.").await;
        b.sees("Счёт выставляется после одобрения сверки центром продаж.")
            .await;
        // Another month through the period form: April's live preview.
        b.select(Some("/finance"), "month", "4").await;
        b.fill_in("/finance", "year", "2025").await;
        b.click("Показать данные сверки").await;
        assert_eq!(b.path().await, "/finance/p-klg-1/2025-04");
        b.sees("за апрель 2025").await;
        b.sees("Месяц ещё не закончился").await;
        b
    })
    .await;
    let d = app
        .as_("p-klg-1")
        .get_ok("/reconciliations/p-klg-1/2025-03")
        .await;
    assert_eq!(d["state"], "approved_by_partner");
    assert_eq!(d["totals"]["cost"], "1200.00");
}

#[tokio::test]
async fn the_sales_center_returns_with_a_comment_and_approves_in_bulk() {
    let app = TestApp::spawn().await;
    a_month_to_reconcile(&app).await;
    let partner = app.as_("p-klg-1");
    partner
        .post_ok("/reconciliations/p-klg-1/2025-03/approve", json!({}))
        .await;
    let give_back = format!("{MARCH}/return");
    let app2 = &app;
    with_browser(&app, "finance-sales-center", |b| async move {
        b.sign_in("sc-klg").await;
        b.goto("/finance?period=2025-03").await;
        b.sees("Сверки партнеров за март 2025").await;
        b.sees("Общий итог").await;
        b.click("Открыть").await;
        b.open_details("Вернуть партнеру").await;
        b.click_refused_by_browser(&give_back, "Вернуть").await;
        b.fill_in(&give_back, "comment", "Проверьте период лицензии")
            .await;
        b.click_in(&give_back, "Вернуть").await;
        b.sees("Сверка возвращена партнеру с комментарием.").await;
        b.sees("Возвращена партнеру").await;
        app2.as_("p-klg-1")
            .post_ok("/reconciliations/p-klg-1/2025-03/approve", json!({}))
            .await;
        b.goto("/finance?period=2025-03").await;
        b.click("Одобрить всё за партнёров (1)").await;
        b.sees("Одобрено сверок: 1.").await;
        // The filter: approved ones shown, none returned.
        b.select(Some("/finance"), "state", "returned").await;
        b.click("Показать данные сверки").await;
        b.sees("Нет сверок для показа.").await;
        b.sees("по показанным партнерам").await;
        b.select(Some("/finance"), "state", "approved").await;
        b.click("Показать данные сверки").await;
        b.sees("ООО «Калуга-Софт»").await;
        // «Получить счёт» on the approved month: numbered, listed, a PDF behind it.
        b.click("Открыть").await;
        b.click("Получить счёт").await;
        b.sees("Счёт № 1 от 01.04.2025 на сумму 4\u{a0}900,00\u{a0}₽ выставлен.")
            .await;
        b.sees("Счёт-фактура без НДС").await;
        b.goto("/finance?period=2025-03").await;
        b.sees("Счета за март 2025").await;
        b.sees("№ 1").await;
        b
    })
    .await;
    let d = partner.get_ok("/reconciliations/p-klg-1/2025-03").await;
    assert_eq!(d["state"], "approved");
    let invoices = partner.get_ok("/invoices").await;
    assert_eq!(invoices["items"][0]["number"], 1);
    assert_eq!(invoices["items"][0]["amount"], "4900.00");
}
