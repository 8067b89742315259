//! Future dates in sight (issue 9): what the product will do by itself next — the 30-day
//! rejection, the failed identification, the deferred-ITS block — on rows, cards and in
//! the API as `next_action: {kind, at}`.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_application_shows_its_rejection_date_then_its_identification_deadline() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    let partner = app.as_("p-klg-1");
    // Received 03.03.2025 12:00 Moscow: rejected automatically 30 days later.
    let a = partner.get_ok(&format!("/applications/{id}")).await;
    assert_eq!(
        a["next_action"],
        json!({"kind": "auto_reject", "at": "2025-04-02T09:00:00Z"})
    );
    let list = partner.get_ok("/applications").await;
    assert_eq!(list["items"][0]["next_action"]["kind"], "auto_reject");
    let b = app.signed_in("p-klg-1").await;
    let html = app.html(&b, "/applications").await;
    assert!(
        html.contains("отклонение<br><span class=\"nowrap\">02.04.2025 12:00"),
        "{html}"
    );

    // Delegated: the ten working days end first (the shipped calendar has 10 March off).
    partner
        .post_ok(
            &format!("/applications/{id}/delegate-identification"),
            json!({}),
        )
        .await;
    let a = partner.get_ok(&format!("/applications/{id}")).await;
    assert_eq!(a["next_action"]["kind"], "identification_fails");
    assert_eq!(a["next_action"]["at"], "2025-03-18T09:00:00Z");
    let html = app.html(&b, &format!("/applications/{id}")).await;
    assert!(
        html.contains("Идентификация не пройдена (неявка): <b>18.03.2025 12:00"),
        "{html}"
    );
}

#[tokio::test]
async fn nothing_automatic_is_shown_once_the_application_is_processed() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.attach_required("p-klg-1", id).await;
    let a = app
        .as_("p-klg-1")
        .post_ok(
            &format!("/applications/{id}/process"),
            json!({"option": "basic_1y"}),
        )
        .await;
    assert_eq!(a["next_action"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_deferred_its_subscriber_shows_the_day_it_is_blocked() {
    let app = TestApp::spawn().await;
    let id = app.submit(&sample_application()).await;
    app.register_submitted(id, json!({"option": "deferred_its"}))
        .await;
    let partner = app.as_("p-klg-1");
    let list = partner.get_ok("/subscribers?q=4027291410").await;
    let sid = list["items"][0]["id"].as_i64().unwrap();
    let c = partner.get_ok(&format!("/subscribers/{sid}")).await;
    assert_eq!(
        c["next_action"],
        json!({"kind": "deferred_its_block", "at": "2025-04-02T21:00:00Z"})
    );
    let b = app.signed_in("p-klg-1").await;
    let html = app.html(&b, &format!("/subscribers/{sid}")).await;
    assert!(
        html.contains("Блокировка: подписка ИТС ПРОФ не зарегистрирована: <b>03.04.2025 00:00"),
        "{html}"
    );
}
