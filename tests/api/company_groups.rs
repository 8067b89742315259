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

#[tokio::test]
async fn a_member_joins_from_its_card_by_the_heads_inn() {
    let app = TestApp::spawn().await;
    let head = subscriber(&app, "4027291410", "402701001", "basic_1y", false).await;
    let member = subscriber(&app, "7707083893", "770701001", "basic_1y", false).await;
    let other = subscriber(&app, "5036065113", "503601001", "basic_1y", false).await;
    let partner = app.as_("p-klg-1");
    // Not a head yet: the refusal says so, naming the field.
    let p = partner
        .post_problem(
            &format!("/subscribers/{member}/join-group"),
            json!({"head_inn": "4027291410", "head_kpp": "402701001"}),
            422,
        )
        .await;
    assert_eq!(p["errors"][0]["field"], "head_inn");
    assert!(first_message(&p).contains("не возглавляет"), "{p}");
    let g = partner
        .post_ok("/company-groups", json!({"head_subscriber_id": head}))
        .await;
    let joined = partner
        .post_ok(
            &format!("/subscribers/{member}/join-group"),
            json!({"head_inn": "4027291410", "head_kpp": "402701001"}),
        )
        .await;
    assert_eq!(joined["id"], g["id"]);
    assert_eq!(joined["total"], 2, "{joined}");
    // The member rules still apply: a second time is refused.
    let again = partner
        .post_problem(
            &format!("/subscribers/{member}/join-group"),
            json!({"head_inn": "4027291410", "head_kpp": "402701001"}),
            422,
        )
        .await;
    assert_eq!(again["errors"][0]["field"], "subscriber_id");
    // Unknown and malformed heads are named; another partner does not find this head.
    for (body, field) in [
        (
            json!({"head_inn": "7707083893", "head_kpp": "770701002"}),
            "head_inn",
        ),
        (json!({"head_inn": "12"}), "head_inn"),
        (
            json!({"head_inn": "4027291410", "head_kpp": "x"}),
            "head_kpp",
        ),
    ] {
        let p = partner
            .post_problem(&format!("/subscribers/{other}/join-group"), body, 422)
            .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let p = app
        .as_("p-msk-1")
        .post_problem(
            &format!("/subscribers/{other}/join-group"),
            json!({"head_inn": "4027291410", "head_kpp": "402701001"}),
            422,
        )
        .await;
    assert_eq!(
        p["errors"][0]["field"], "head_inn",
        "another partner's head is not found"
    );
    app.as_("sc-klg")
        .post_problem(
            &format!("/subscribers/{other}/join-group"),
            json!({"head_inn": "4027291410", "head_kpp": "402701001"}),
            403,
        )
        .await;
}

#[tokio::test]
async fn a_products_recipients_are_copied_from_the_main_requisites() {
    let app = TestApp::spawn().await;
    let s = app.registered_subscriber().await;
    let (id, product) = (
        s["id"].as_i64().unwrap(),
        s["products"][0]["id"].as_i64().unwrap(),
    );
    let partner = app.as_("p-klg-1");
    partner
        .send(
            Method::PUT,
            &format!("/products/{product}/contacts/fns_requirements"),
            Some(json!({"value": "other@example.ru"})),
        )
        .await;
    // The card's phone is a Kaluga landline; the application's mobile is the other requisite.
    let copied = partner
        .post_ok(&format!("/products/{product}/contacts/copy"), json!({}))
        .await;
    let items = copied["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{copied}");
    assert_eq!(items[0]["usage"], "fns_requirements");
    assert_eq!(items[0]["value"], "info@example.ru");
    assert_eq!(items[1]["usage"], "status_notifications");
    assert_eq!(items[1]["value"], "+7 900 000 0000");
    let card = partner.get_ok(&format!("/subscribers/{id}")).await;
    assert!(card.to_string().contains("info@example.ru"));
    assert!(
        !card.to_string().contains("other@example.ru"),
        "replaced, one recipient"
    );
    app.as_("p-msk-1")
        .post_problem(
            &format!("/products/{product}/contacts/copy"),
            json!({}),
            404,
        )
        .await;
}
