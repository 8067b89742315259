//! Groups of companies: the head first, members after its registration, no Верное
//! решение, the head removed only from its own card, activity with a 30-day grace.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Registers an organisation of p-klg-1 and returns its subscriber id.
async fn subscriber(app: &TestApp, inn: &str, kpp: &str, option: &str, right_choice: bool) -> i64 {
    let mut doc = sample_application();
    doc["inn"] = json!(inn);
    doc["kpp"] = json!(kpp);
    doc["directions"] = json!([{ "authority": "fns", "code": "4027", "kpp": kpp }]);
    doc["short_name"] = json!(format!("ООО \"Компания {inn}\""));
    let id = app.submit(&doc).await;
    let flags = if right_choice {
        json!({"right_choice": true})
    } else {
        json!({})
    };
    app.register_submitted(id, json!({"option": option, "flags": flags}))
        .await;
    let token = app.token("p-klg-1").await;
    let list: Value = app
        .api_get(Some(&token), &format!("/subscribers?q={inn}"))
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_i64().unwrap()
}

/// A group of three around its head: `(group, head, first member, second member)`.
async fn a_group_of_three(app: &TestApp) -> (i64, i64, i64, i64) {
    let head = subscriber(app, "4027291410", "402701001", "basic_1y", false).await;
    let m1 = subscriber(app, "7707083893", "770701001", "basic_1y", false).await;
    let m2 = subscriber(app, "5036065113", "503601001", "basic_1y", false).await;
    let partner = app.as_("p-klg-1");
    let g = partner
        .post_ok("/company-groups", json!({"head_subscriber_id": head}))
        .await;
    let gid = g["id"].as_i64().unwrap();
    for m in [m1, m2] {
        partner
            .post_ok(
                &format!("/company-groups/{gid}/members"),
                json!({"subscriber_id": m}),
            )
            .await;
    }
    (gid, head, m1, m2)
}

fn first_message(problem: &Value) -> &str {
    problem["errors"][0]["message"].as_str().unwrap()
}

#[tokio::test]
async fn a_group_counts_its_head_and_members_head_first() {
    let app = TestApp::spawn().await;
    let (gid, ..) = a_group_of_three(&app).await;
    let g = app
        .as_("p-klg-1")
        .get_ok(&format!("/company-groups/{gid}"))
        .await;
    assert_eq!(
        (g["active"].as_u64(), g["total"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(g["members"][0]["head"], true);
}

#[tokio::test]
async fn a_right_choice_subscriber_cannot_join_a_group() {
    let app = TestApp::spawn().await;
    let (gid, ..) = a_group_of_three(&app).await;
    let rc = subscriber(&app, "5029140930", "502901001", "basic_1y", true).await;
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/company-groups/{gid}/members"),
            json!({"subscriber_id": rc}),
            422,
        )
        .await;
    assert!(first_message(&p).contains("Верное решение"), "{p}");
}

#[tokio::test]
async fn a_member_joins_once() {
    let app = TestApp::spawn().await;
    let (gid, _, m1, _) = a_group_of_three(&app).await;
    let p = app
        .as_("p-klg-1")
        .post_problem(
            &format!("/company-groups/{gid}/members"),
            json!({"subscriber_id": m1}),
            422,
        )
        .await;
    assert!(first_message(&p).contains("уже состоит"), "{p}");
}

#[tokio::test]
async fn the_head_leaves_only_from_its_own_card_and_a_member_is_removed() {
    let app = TestApp::spawn().await;
    let (gid, head, _, m2) = a_group_of_three(&app).await;
    let partner = app.as_("p-klg-1");
    let r = partner
        .send(
            Method::DELETE,
            &format!("/company-groups/{gid}/members/{head}"),
            None,
        )
        .await;
    assert!(first_message(&problem(r, 422).await).contains("только из своей карточки"));
    let r = partner
        .send(
            Method::DELETE,
            &format!("/company-groups/{gid}/members/{m2}"),
            None,
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["total"], 2);
}

/// A year and 30 days later everyone is still active (grace); a day more and nobody is.
#[tokio::test]
async fn members_stop_counting_30_days_after_their_licences_end_but_stay() {
    let app = TestApp::spawn().await;
    let (gid, ..) = a_group_of_three(&app).await;
    let partner = app.as_("p-klg-1");
    let path = format!("/company-groups/{gid}");
    app.clock.set(instant("2026-04-02T12:00:00+03:00"));
    assert_eq!(partner.get_ok(&path).await["active"], 3);
    app.clock.set(instant("2026-04-03T12:00:00+03:00"));
    let g = partner.get_ok(&path).await;
    assert_eq!(
        (g["active"].as_u64(), g["total"].as_u64()),
        (Some(0), Some(3)),
        "members stay, but do not count"
    );
}

#[tokio::test]
async fn another_partner_does_not_see_the_group() {
    let app = TestApp::spawn().await;
    let (gid, ..) = a_group_of_three(&app).await;
    app.as_("p-klg-2")
        .get_problem(&format!("/company-groups/{gid}"), 404)
        .await;
}

#[tokio::test]
async fn the_group_form_counts_members_and_exports() {
    let app = TestApp::spawn().await;
    let head = subscriber(&app, "4027291410", "402701001", "basic_1y", false).await;
    subscriber(&app, "7707083893", "770701001", "basic_1y", false).await;
    let b = app.signed_in("p-klg-1").await;
    let card = b
        .get(app.url(&format!("/subscribers/{head}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&card).unwrap();
    let r = b
        .post(app.url(&format!("/subscribers/{head}/company-group")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let group_url = location(&r);
    assert!(group_url.starts_with("/company-groups/"));
    let r = b
        .post(app.url(&format!("{group_url}/members")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("inn", "7707083893"),
            ("kpp", "770701001"),
        ])
        .send()
        .await
        .unwrap();
    let html = b
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("добавлена в группу"), "{html}");
    assert!(html.contains("Активных участников: <b>2 / 2</b>"));
    let csv = b
        .get(app.url(&format!("{group_url}/export.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.contains("7707083893;770701001;Участник;03.03.2026;Да"),
        "{csv}"
    );
}
