//! «Абоненты — Лицензии на 1С:НП 8» in a browser: the paid and the free way through the
//! manual's confirmation, refusals kept in the form, the PIN shown once more.

use fantoccini::Locator;

use crate::harness::{Browser, with_browser};
use crate::helpers::*;

const ISSUE: &str = "/np8-licences/issue";

async fn shown(b: &Browser, what: &str) -> String {
    b.c.find(Locator::Css(&format!("[data-np8=\"{what}\"]")))
        .await
        .unwrap_or_else(|_| panic!("no {what} on the page"))
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_partner_issues_a_paid_and_a_free_licence_and_sees_the_pin_once_more() {
    let app = TestApp::spawn().await;
    with_browser(&app, "np8", |b| async move {
        b.sign_in("p-klg-1").await;
        b.goto("/subscribers").await;
        b.click("Лицензии на 1С:НП 8").await;
        b.sees("Нет записей для просмотра").await;
        b.click("Выдача лицензий на 1С:НП 8").await;

        // A refused ИНН is named and kept.
        b.fill_in(ISSUE, "inn", "4027291411").await;
        b.fill_in(ISSUE, "kpp", "402701001").await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        assert!(b.flash().await.contains("ИНН"), "{}", b.flash().await);
        assert!(b.marked_invalid(ISSUE, "inn").await);
        assert_eq!(b.value_of(ISSUE, "kpp").await, "402701001");

        // Paid: «Базовый договор» is ticked; the confirmation can say no.
        b.fill_in(ISSUE, "inn", "4027291410").await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        b.sees("будет выдана платно").await;
        b.sees("только после того, как абонент оплатил").await;
        b.click("Не выдавать лицензию").await;
        assert_eq!(b.path().await, ISSUE);
        b.goto("/np8-licences").await;
        b.sees("Нет записей для просмотра").await;
        b.goto(ISSUE).await;
        b.fill_in(ISSUE, "inn", "4027291410").await;
        b.fill_in(ISSUE, "kpp", "402701001").await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        b.sees("Лицензия на 1С:Налогоплательщик 8 выдана").await;
        let number = shown(&b, "number").await;
        let pin = shown(&b, "pin").await;
        assert_eq!(number.len(), 10, "{number}");
        assert_eq!(pin.len(), 17, "{pin}");

        // Free: the portal login and its e-mail first.
        b.click("Выдать еще одну").await;
        b.open_details("Изменить").await;
        b.fill_in(ISSUE, "its_login", "its-multi").await;
        b.fill_in(ISSUE, "email", "wrong@client.example").await;
        b.click_in(ISSUE, "Применить").await;
        assert!(b.marked_invalid(ISSUE, "email").await);
        b.fill_in(ISSUE, "email", "its-multi@client.example").await;
        b.click_in(ISSUE, "Применить").await;
        assert!(
            b.flash().await.contains("Логин its-multi применен"),
            "{}",
            b.flash().await
        );
        b.sees("1С:ИТС ПРОФ (отраслевой)(01.09.2024 - 31.08.2027)")
            .await;
        b.select(Some(ISSUE), "its_subscription", "ITS-100005")
            .await;
        // Another organisation's contract is refused, the choice kept.
        b.fill_in(ISSUE, "inn", "7707083893").await;
        b.fill_in(ISSUE, "kpp", "770701001").await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        assert!(b.marked_invalid(ISSUE, "its_subscription").await);
        assert_eq!(b.value_of(ISSUE, "its_subscription").await, "ITS-100005");
        b.fill_in(ISSUE, "inn", "5029140930").await;
        b.fill_in(ISSUE, "kpp", "502901001").await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        b.sees("будет выдана бесплатно").await;
        b.sees("1С:ИТС ПРОФ (отраслевой)(01.09.2024 - 31.08.2027)")
            .await;
        b.click_in(ISSUE, "Выдать лицензию").await;
        b.sees("Бесплатно (договор 1С:ИТС ПРОФ), договор ITS-100005")
            .await;

        // The registry: both, the PIN hidden; shown once more, then gone.
        b.click("К выданным лицензиям").await;
        b.sees(&number).await;
        b.sees("5029140930").await;
        assert!(!b.text().await.contains(&pin));
        let pin_form = format!("/np8-licences/{}/pin", 1);
        b.click_in(&pin_form, "Показать пин-код").await;
        assert_eq!(shown(&b, "pin").await, pin);
        b.click("← К выданным лицензиям").await;
        b.sees("показан повторно").await;
        assert!(!b.text().await.contains(&pin));
        b
    })
    .await;
}
