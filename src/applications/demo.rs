//! Sample applications for `--demo`: a few in every folder, for every demo partner, so
//! that each role opens a product with work in it. Created through the same services
//! as real ones, once (nothing happens if applications already exist).

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::intake::IntakeDocument;
use super::processing::{ConnectionOption, ProcessFlags, ProcessRequest};
use super::service::{self, Caller, Command, Submission};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::entities::{application, user};
use crate::error::{AppError, AppResult};

struct Org {
    inn: &'static str,
    kpp: Option<&'static str>,
    name: &'static str,
    region: &'static str,
    city: &'static str,
    its_login: &'static str,
}

const ORGS: &[Org] = &[
    Org {
        inn: "4027291410",
        kpp: Some("402701001"),
        name: "Ромашка",
        region: "40",
        city: "248001, Калужская область, г. Калуга, ул. Кирова, д. 1",
        its_login: "its-active",
    },
    Org {
        inn: "7707083893",
        kpp: Some("502901001"),
        name: "Северный ветер",
        region: "50",
        city: "141006, Московская обл., г. Мытищи, ул. Колпакова, д. 2",
        its_login: "its-multi",
    },
    Org {
        inn: "5036065113",
        kpp: Some("503601001"),
        name: "Подольский хлеб",
        region: "50",
        city: "142100, Московская обл., г. Подольск, ул. Ленина, д. 5",
        its_login: "its-future",
    },
    Org {
        inn: "4025442625",
        kpp: Some("402501001"),
        name: "Обнинские технологии",
        region: "40",
        city: "249030, Калужская обл., г. Обнинск, ул. Курчатова, д. 3",
        its_login: "its-used",
    },
    Org {
        inn: "4024011792",
        kpp: Some("402401001"),
        name: "Людиновский завод",
        region: "40",
        city: "249400, Калужская обл., г. Людиново, ул. Фокина, д. 9",
        its_login: "its-techno",
    },
    Org {
        inn: "5029140930",
        kpp: Some("502901001"),
        name: "Химки-Логистик",
        region: "50",
        city: "141400, Московская обл., г. Химки, ул. Московская, д. 21",
        its_login: "its-none",
    },
    Org {
        inn: "500100732259",
        kpp: None,
        name: "ИП Сидоров Пётр Ильич",
        region: "50",
        city: "140400, Московская обл., г. Коломна, ул. Октябрьской революции, д. 1",
        its_login: "its-none",
    },
];

fn document(org: &Org, partner: Option<&str>, n: usize) -> AppResult<IntakeDocument> {
    let sole = org.kpp.is_none();
    let short = if sole {
        org.name.to_owned()
    } else {
        format!("ООО \"{}\"", org.name)
    };
    let full = if sole {
        org.name.to_owned()
    } else {
        format!("Общество с ограниченной ответственностью \"{}\"", org.name)
    };
    Ok(serde_json::from_value(json!({
        "partner_code": partner,
        "request_type": "create",
        "legal_form": if sole { "sole_trader" } else { "legal_entity" },
        "category": "taxpayer",
        "inn": org.inn, "kpp": org.kpp, "ogrn": null,
        "full_name": full, "short_name": short,
        "pfr_number": format!("0{:02}-000-00{:04}", org.region.parse::<u32>().unwrap_or(0), n),
        "phone": "+7 495 000-00-00", "mobile_phone": format!("+7 900 100 {:04}", n), "email": format!("client{n}@example.ru"),
        "legal_address": org.city, "actual_address": org.city,
        "region_code": org.region,
        "configuration": "1С:БУХГАЛТЕРИЯ 3.0", "format_version": "1.8",
        "certificate_requested": true, "cryptopro_licence": n.is_multiple_of(5),
        "its_login": org.its_login, "its_email": format!("{}@client.example", org.its_login),
        "owner": { "full_name": "Иванов Иван Иванович", "snils": "112-233-445 95", "position": "Директор",
                   "certificate_type": if n.is_multiple_of(5) { "qualified_cryptopro" } else { "qualified" },
                   // One Kaluga subscriber signs in the cloud (§17).
                   "cloud_signature": org.inn == ORGS[4].inn },
        "directions": [ { "authority": "fns", "code": format!("{}01", org.region), "kpp": org.kpp },
                        { "authority": "pfr", "code": format!("0{}-001", org.region) } ],
    }))?)
}

/// A valid intake document (the first demo organisation, naming its partner p-klg-1).
///
/// # Errors
/// Never for the shipped data.
pub fn sample_document() -> AppResult<IntakeDocument> {
    document(&ORGS[0], Some("p-klg-1"), 1)
}

/// The documents «В обработку» asks for, as placeholder scans.
async fn attach_documents(st: &AppState, p: &CurrentUser, id: i64) -> AppResult<()> {
    for kind in [
        "application_form",
        "identity_document",
        "owner_photo",
        "contract",
        "transfer_act",
    ] {
        let pdf = format!("%PDF-1.4\n% demo {kind}\n%%EOF\n").into_bytes();
        super::files::attach(st, p, id, kind, &format!("{kind}.pdf"), &pdf).await?;
    }
    Ok(())
}

/// Creates the demo applications unless there are applications already.
///
/// # Errors
/// Database errors, or the demo users are missing (seed `--demo` first).
pub async fn seed(st: &AppState) -> AppResult<usize> {
    if application::Entity::find().count(&st.db).await? > 0 {
        return Ok(0);
    }
    let load = |login: &'static str| async move {
        let u = user::Entity::find()
            .filter(user::Column::Login.eq(login))
            .one(&st.db)
            .await?
            .ok_or(AppError::NotFound)?;
        CurrentUser::load(&st.db, u, None).await
    };
    let intake = load("intake").await?;
    let mut created = 0;
    // (organisation, partner, what happens next)
    let plan: &[(usize, Option<&str>, &str)] = &[
        (0, Some("p-klg-1"), "accepted"),
        (3, Some("p-klg-1"), "identification"),
        (4, Some("p-klg-1"), "passed"),
        (0, Some("p-klg-1"), "rejected"),
        (1, Some("p-msk-1"), "accepted"),
        (2, Some("p-msk-1"), "processing"),
        (1, Some("p-msk-1"), "registered"),
        (5, Some("p-msk-2"), "registered"),
        (0, Some("p-klg-1"), "awaiting"),
        // A Kaluga partner with subscribers of its own to work on.
        (3, Some("p-klg-1"), "registered"),
        (4, Some("p-klg-1"), "registered"),
        // A registered subscriber's renewal waits for the partner's wizard (§3).
        (3, Some("p-klg-1"), "renewal"),
        (5, Some("p-msk-1"), "accepted"),
        (6, Some("p-msk-1"), "failed"),
        (5, Some("p-msk-2"), "accepted"),
        (2, Some("p-msk-3"), "accepted"),
        (4, Some("p-klg-2"), "accepted"),
        (3, Some("p-klg-3"), "accepted"),
        // Every folder of p-klg-1 has rows, and the Moscow centers have a queue too.
        (4, Some("p-klg-1"), "failed"),
        (2, Some("p-msk-1"), "identification"),
        (1, None, "submitted"),
        (6, None, "submitted"),
        (0, None, "submitted"),
    ];
    for (n, (org, partner, next)) in plan.iter().enumerate() {
        let mut doc = document(&ORGS[*org], *partner, n + 1)?;
        if *next == "renewal" {
            use crate::entities::{product_account, subscriber};
            doc.request_type = super::intake::RequestType::Change;
            let owner = subscriber::Entity::find()
                .filter(subscriber::Column::Inn.eq(ORGS[*org].inn))
                .one(&st.db)
                .await?
                .ok_or(AppError::NotFound)?;
            doc.product_guid = product_account::Entity::find()
                .filter(product_account::Column::SubscriberId.eq(owner.id))
                .one(&st.db)
                .await?
                .map(|p| p.guid);
        }
        let Submission::New(app) = service::submit(st, &intake, doc, None).await? else {
            continue;
        };
        created += 1;
        let partner_user = match partner {
            Some(code) => Some(load(code).await?),
            None => None,
        };
        let id = app.id;
        match (*next, &partner_user) {
            ("identification" | "passed" | "failed", Some(p)) => {
                service::fire(
                    st,
                    Caller::User(p),
                    id,
                    Command::DelegateIdentification { center_id: None },
                    None,
                )
                .await?;
                let delegated = service::find(st, Caller::System("demo"), app.id).await?;
                if let Some(cid) = delegated.identification_center_id {
                    let ic = crate::entities::identification_center::Entity::find_by_id(cid)
                        .one(&st.db)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    let icu = load(match ic.code.as_str() {
                        "ic-1" => "ic-1",
                        "ic-2" => "ic-2",
                        "ic-3" => "ic-3",
                        _ => "ic-4",
                    })
                    .await?;
                    // The center answers a little later.
                    match *next {
                        "passed" => {
                            service::fire(
                                st,
                                Caller::User(&icu),
                                id,
                                Command::IdentificationResult {
                                    passed: true,
                                    reason: None,
                                },
                                None,
                            )
                            .await?;
                        }
                        "failed" => {
                            let cmd = Command::IdentificationResult {
                                passed: false,
                                reason: Some("Паспорт владельца просрочен".to_owned()),
                            };
                            service::fire(st, Caller::User(&icu), id, cmd, None).await?;
                        }
                        _ => {}
                    }
                }
            }
            ("rejected", Some(p)) => {
                service::fire(
                    st,
                    Caller::User(p),
                    id,
                    Command::Reject {
                        reason: "Дубль заявления: клиент отправил его повторно".to_owned(),
                    },
                    None,
                )
                .await?;
            }
            ("renewal", Some(p)) => {
                attach_documents(st, p, app.id).await?;
            }
            ("processing" | "registered" | "awaiting", Some(p)) => {
                attach_documents(st, p, app.id).await?;
                let req = ProcessRequest {
                    option: Some(ConnectionOption::Basic1y),
                    action: None,
                    its_subscription: None,
                    flags: ProcessFlags::default(),
                };
                service::fire(
                    st,
                    Caller::User(p),
                    id,
                    Command::SendToProcessing(req),
                    None,
                )
                .await?;
                if matches!(*next, "registered" | "awaiting") {
                    // What the processing pipeline does once the certificate is issued.
                    service::fire(
                        st,
                        Caller::System("processing"),
                        id,
                        Command::CertificateIssued,
                        None,
                    )
                    .await?;
                }
                if *next == "registered" {
                    service::fire(st, Caller::User(&intake), id, Command::Receipt, None).await?;
                }
            }
            _ => {}
        }
    }
    super::demo_history::seed(st).await?;
    Ok(created)
}
