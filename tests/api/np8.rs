//! Licences for 1С:Налогоплательщик 8 (§15): paid after payment, free with the
//! organisation's current ITS PROF contract, one per organisation and per contract; the
//! PIN shown at issue and once more to the issuing partner only.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;

fn paid(inn: &str, kpp: Option<&str>) -> Value {
    json!({"inn": inn, "kpp": kpp, "basis": "paid", "paid": true})
}

fn free(inn: &str, kpp: &str, contract: &str) -> Value {
    json!({"inn": inn, "kpp": kpp, "basis": "its_prof", "its_subscription": contract})
}

fn field(b: &Value) -> &str {
    b["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_paid_licence_is_issued_after_payment_once_per_organisation() {
    let app = TestApp::spawn().await;
    let p = app.as_("p-klg-1");
    // Not before the subscriber has paid.
    let b = p
        .post_problem(
            "/np8-licences",
            json!({"inn": "4027291410", "kpp": "402701001", "basis": "paid"}),
            422,
        )
        .await;
    assert_eq!(field(&b), "paid");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("оплат")
    );

    // Requisites named by field.
    for (body, f) in [
        (paid("4027291411", Some("402701001")), "inn"),
        (paid("4027291410", None), "kpp"),
        (paid("402700318097", Some("402701001")), "kpp"),
        (
            json!({"inn": "4027291410", "kpp": "402701001", "basis": "gift"}),
            "basis",
        ),
    ] {
        let b = p.post_problem("/np8-licences", body.clone(), 422).await;
        assert_eq!(field(&b), f, "{body}");
    }

    let r = p
        .post("/np8-licences", paid("4027291410", Some("402701001")))
        .await;
    assert_eq!(r.status(), 201);
    let l: Value = r.json().await.unwrap();
    let number = l["number"].as_str().unwrap().to_owned();
    let pin = l["pin"].as_str().unwrap().to_owned();
    assert_eq!(number.len(), 10);
    assert!(number.starts_with('8') && number.bytes().all(|c| c.is_ascii_digit()));
    assert_eq!(pin.len(), 15);
    assert!(pin.bytes().all(|c| c.is_ascii_digit()));
    assert_eq!(l["basis"], "paid");
    assert_eq!(l["partner"], "p-klg-1");
    assert_eq!(l["kpp"], "402701001");
    assert_eq!(l["its_subscription"], Value::Null);

    // A sole trader has no КПП.
    let r = p.post("/np8-licences", paid("402700318097", None)).await;
    assert_eq!(r.status(), 201);
    let ip: Value = r.json().await.unwrap();
    assert_eq!(ip["kpp"], Value::Null);
    assert_ne!(ip["number"], l["number"]);
    assert_ne!(ip["pin"], l["pin"]);

    // One licence per organisation: its own partner hears the number, another does not.
    let b = p
        .post_problem("/np8-licences", paid("4027291410", Some("402701001")), 409)
        .await;
    assert_eq!(b["refusal"], "already_issued");
    assert!(b["detail"].as_str().unwrap().contains(&number));
    let b = app
        .as_("p-msk-1")
        .post_problem("/np8-licences", paid("4027291410", Some("402701001")), 409)
        .await;
    assert_eq!(b["refusal"], "already_issued");
    assert!(!b["detail"].as_str().unwrap().contains(&number));
    // Another branch (КПП) of the same ИНН is another organisation.
    let r = p
        .post("/np8-licences", paid("4027291410", Some("402702001")))
        .await;
    assert_eq!(r.status(), 201);

    // Only partners issue.
    for login in ["sc-klg", "operator"] {
        app.as_(login)
            .post_problem("/np8-licences", paid("7707083893", Some("770701001")), 403)
            .await;
    }
}

#[tokio::test]
async fn a_free_licence_needs_the_organisations_current_its_prof_contract() {
    let app = TestApp::spawn().await;
    let p = app.as_("p-klg-1");

    // «Изменение параметров подключения ИТС»: the login and its e-mail, as on the portal.
    let b = p
        .post_problem(
            "/np8-licences/its-contracts",
            json!({"its_login": "nobody", "email": "a@b.ru"}),
            422,
        )
        .await;
    assert_eq!(field(&b), "its_login");
    let b = p
        .post_problem(
            "/np8-licences/its-contracts",
            json!({"its_login": "its-active", "email": "someone@else.ru"}),
            422,
        )
        .await;
    assert_eq!(field(&b), "email");
    let c = p
        .post_ok(
            "/np8-licences/its-contracts",
            json!({"its_login": "its-active", "email": "ITS-ACTIVE@client.example"}),
        )
        .await;
    assert_eq!(c["items"][0]["registration_number"], "ITS-100001");
    assert_eq!(
        c["items"][0]["title"],
        "1С:ИТС ПРОФ(01.01.2024 - 31.12.2027)"
    );

    // Each contract rule, named by the field.
    for (body, needle) in [
        (
            json!({"inn": "4027291410", "kpp": "402701001", "basis": "its_prof"}),
            "выберите договор",
        ),
        (free("4024011792", "402401001", "ITS-100006"), "ПРОФ"),
        (free("5036065113", "503601001", "ITS-100002"), "01.06.2027"),
        (
            free("7707083893", "770701001", "ITS-100001"),
            "другой организацией",
        ),
        (
            free("4027291410", "402701001", "ITS-999999"),
            "выберите договор",
        ),
        (
            json!({"inn": "4027291410", "kpp": "402701001", "basis": "its_prof",
                   "its_subscription": "ITS-100001", "its_login": "its-multi"}),
            "выберите договор",
        ),
    ] {
        let b = p.post_problem("/np8-licences", body.clone(), 422).await;
        assert_eq!(field(&b), "its_subscription", "{body}");
        let m = b["errors"][0]["message"].as_str().unwrap();
        assert!(m.contains(needle), "{body}: {m}");
    }
    // A paid licence names no contract.
    let b = p
        .post_problem(
            "/np8-licences",
            json!({"inn": "4027291410", "kpp": "402701001", "basis": "paid", "paid": true, "its_subscription": "ITS-100001"}),
            422,
        )
        .await;
    assert_eq!(field(&b), "its_subscription");

    let r = p
        .post(
            "/np8-licences",
            json!({"inn": "4027291410", "kpp": "402701001", "basis": "its_prof",
                   "its_subscription": "ITS-100001", "its_login": "its-active"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let l: Value = r.json().await.unwrap();
    assert_eq!(l["basis"], "its_prof");
    assert_eq!(l["its_subscription"], "ITS-100001");

    // One free licence per contract: a contract without a КПП serves any branch of its
    // ИНН, but only once.
    app.sql(
        "INSERT INTO its_subscriptions (registration_number, owner_inn, owner_kpp, tariff_name, starts_on, ends_on, level, portal_login, email) \
         VALUES ('ITS-200001', '7707083893', NULL, '1С:ИТС ПРОФ', '2025-01-01', '2025-12-31', 'PROF', 'its-branches', NULL)",
    )
    .await;
    let r = p
        .post(
            "/np8-licences",
            free("7707083893", "770701001", "ITS-200001"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let b = p
        .post_problem(
            "/np8-licences",
            free("7707083893", "770702001", "ITS-200001"),
            409,
        )
        .await;
    assert_eq!(b["refusal"], "its_contract_used");

    // A contract that has ended gives nothing: its-multi's first contract ends 31.05.2027,
    // its second 31.08.2027.
    app.advance(Duration::days(830)); // 2027-06-11
    let b = p
        .post_problem(
            "/np8-licences",
            free("5029140930", "502901001", "ITS-100004"),
            422,
        )
        .await;
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31.05.2027")
    );
    let r = p
        .post(
            "/np8-licences",
            free("5029140930", "502901001", "ITS-100005"),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn the_pin_is_shown_once_more_to_the_issuing_partner_only() {
    let app = TestApp::spawn().await;
    let p = app.as_("p-klg-1");
    let l: Value = p
        .post("/np8-licences", paid("4027291410", Some("402701001")))
        .await
        .json()
        .await
        .unwrap();
    let (id, number, pin) = (
        l["id"].as_i64().unwrap(),
        l["number"].as_str().unwrap().to_owned(),
        l["pin"].as_str().unwrap().to_owned(),
    );

    // The registry: the partner's own, its sales center's, the operator's; no PINs.
    let list = p.get_ok("/np8-licences").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["pin_available"], true);
    assert!(list["items"][0].get("pin").is_none());
    for (login, total) in [
        ("sc-klg", 1),
        ("operator", 1),
        ("sc-msk", 0),
        ("p-klg-2", 0),
        ("p-msk-1", 0),
    ] {
        let list = app.as_(login).get_ok("/np8-licences").await;
        assert_eq!(list["total"], total, "{login}");
        assert!(!list.to_string().contains(&pin), "{login}");
        if total == 1 {
            assert_eq!(list["items"][0]["pin_available"], false, "{login}");
        }
    }
    for login in ["p-klg-2", "p-msk-1", "sc-msk"] {
        app.as_(login)
            .get_problem(&format!("/np8-licences/{id}"), 404)
            .await;
        app.as_(login)
            .post_problem(&format!("/np8-licences/{id}/pin"), json!({}), 404)
            .await;
    }
    app.as_("sc-klg")
        .post_problem(&format!("/np8-licences/{id}/pin"), json!({}), 403)
        .await;
    app.as_("ic-1").get_problem("/np8-licences", 403).await;

    // Search by ИНН, number, name.
    for (q, total) in [
        ("4027", 1),
        (&number[..6], 1),
        ("7707", 0),
        ("нет такой", 0),
        ("%", 0),
    ] {
        let list = p.get_ok(&format!("/np8-licences?q={}", urlencode(q))).await;
        assert_eq!(list["total"], total, "{q}");
    }

    // Once more, then never.
    let shown = p
        .post_ok(&format!("/np8-licences/{id}/pin"), json!({}))
        .await;
    assert_eq!(shown["pin"], pin.as_str());
    assert_eq!(shown["number"], number.as_str());
    let b = p
        .post_problem(&format!("/np8-licences/{id}/pin"), json!({}), 409)
        .await;
    assert_eq!(b["refusal"], "pin_already_shown");
    let one = p.get_ok(&format!("/np8-licences/{id}")).await;
    assert_eq!(one["pin_available"], false);
    assert!(one["pin_shown_again_at"].is_string());

    // Journalled, without the PIN.
    let journal = app
        .as_("operator")
        .get_ok("/audit?object_type=np8_licence")
        .await;
    let actions: Vec<&str> = journal["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"np8.issue") && actions.contains(&"np8.show_pin"),
        "{actions:?}"
    );
    assert!(!journal.to_string().contains(&pin));

    // The export lists the licence, never the PIN.
    let b = app.signed_in("p-klg-1").await;
    let csv = b
        .get(app.url("/np8-licences/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&number) && csv.contains("Рег. номер лицензии"));
    assert!(!csv.contains(&pin));
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
