//! The home page of each role: what needs doing today — the counts and deadlines that
//! call for action, each a link into the filtered registry or report — above the menu
//! of the role's sections.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Duration;
use maud::{Markup, html};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::layout::{self, navigation};
use crate::AppState;
use crate::applications::registry::{self, Folder};
use crate::applications::state::State as AppStateKind;
use crate::auth::{CurrentUser, Role};
use crate::entities::application;
use crate::error::AppResult;
use crate::reconciliation::state::ReconciliationState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

fn describe(key: &str) -> &'static str {
    match key {
        "applications" => {
            "Заявления абонентов из программы 1С: приём, проверка, идентификация, отправка в обработку."
        }
        "distribution" => {
            "Заявления вашего региона, которые не получил ни один партнер, и их назначение партнерам."
        }
        "subscribers" => "Зарегистрированные абоненты, их лицензии, сертификаты и группы компаний.",
        "finance" => "Ежемесячные сверки, одобрение, счета и выгрузки.",
        "analytics" => {
            "Отчёты о подключениях, продлениях и активности абонентов; тарифный калькулятор."
        }
        "identification" => "Идентификации, переданные вашему офису: отметка о прохождении.",
        "special_offers" => {
            "Регистрация номеров специальных предложений (УСН, Нулевка) для клиентов."
        }
        "reference" => "Партнеры, центры идентификации, тарифы и производственный календарь.",
        "audit" => "Кто, когда и что изменил в системе.",
        _ => "",
    }
}

/// One thing that needs doing: a count, what it is, where to do it.
pub struct Task {
    pub count: u64,
    pub title: &'static str,
    pub hint: String,
    pub href: String,
    /// A deadline is close or passed.
    pub urgent: bool,
}

/// Days before the 30-day rule that the home page warns of.
const AUTO_REJECT_WARNING_DAYS: i64 = 3;

/// What needs doing today for `user`, from the kept counts and a few indexed counts.
///
/// # Errors
/// Database errors.
pub async fn tasks(st: &AppState, user: &CurrentUser) -> AppResult<Vec<Task>> {
    let mut out = Vec::new();
    if !matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator | Role::IdentificationCenter
    ) {
        return Ok(out);
    }
    let now = st.clock.now();
    let today = st.clock.today();
    let counts = registry::counts(
        &st.db,
        Some(&st.registry_pages),
        &user.scope,
        user.role,
        None,
        None,
    )
    .await?;
    let folder = |f: Folder| counts.by_folder.get(&f).copied().unwrap_or(0);
    let link = |f: Folder| format!("/applications?folder={}", f.key());
    match user.role {
        Role::IdentificationCenter => {
            out.push(Task {
                count: folder(Folder::Identification),
                title: "Ждут идентификации",
                hint: "Клиенты, направленные в ваш офис: отметьте прохождение.".to_owned(),
                href: "/identification".to_owned(),
                urgent: false,
            });
            return Ok(out);
        }
        Role::Partner => {
            let claimable = application::Entity::find()
                .filter(user.scope.claimable())
                .count(&st.db)
                .await?;
            out.push(Task {
                count: claimable,
                title: "Заявления к получению",
                hint: "Нераспределенные заявления вашего региона: их можно получить по ИНН/КПП или номеру.".to_owned(),
                href: "/applications".to_owned(),
                urgent: false,
            });
        }
        Role::SalesCenter | Role::Operator => {
            out.push(Task {
                count: folder(Folder::Distribution),
                title: "Нераспределенные заявления",
                hint: "Не получены партнерами за 2 рабочих дня: назначьте партнера.".to_owned(),
                href: link(Folder::Distribution),
                urgent: folder(Folder::Distribution) > 0,
            });
        }
        Role::Intake => {}
    }
    out.push(Task {
        count: folder(Folder::Accepted),
        title: "Принятые заявления",
        hint: "Проверьте реквизиты и документы, передайте на идентификацию или в обработку."
            .to_owned(),
        href: link(Folder::Accepted),
        urgent: false,
    });
    out.push(Task {
        count: folder(Folder::Identification),
        title: "Ждут идентификации",
        hint: "Клиент должен прийти в центр идентификации в течение 10 рабочих дней.".to_owned(),
        href: link(Folder::Identification),
        urgent: false,
    });
    out.push(Task {
        count: folder(Folder::IdentificationPassed),
        title: "Идентификация пройдена",
        hint: "Можно отправлять в обработку.".to_owned(),
        href: link(Folder::IdentificationPassed),
        urgent: folder(Folder::IdentificationPassed) > 0,
    });
    // Applications the 30-day rule rejects within three days: received between 30 and
    // 27 days ago and not yet sent to processing.
    let days = crate::jobs::auto_reject::DAYS;
    let before_processing: Vec<&str> = AppStateKind::ALL
        .iter()
        .filter(|s| s.is_before_processing())
        .map(|s| s.as_str())
        .collect();
    let soon = application::Entity::find()
        .select_only()
        .column(application::Column::Id)
        .filter(user.scope.applications())
        .filter(application::Column::State.is_in(before_processing))
        .filter(
            application::Column::ReceivedAt
                .lte(now - Duration::days(days - AUTO_REJECT_WARNING_DAYS)),
        )
        .filter(application::Column::ReceivedAt.gt(now - Duration::days(days)))
        .count(&st.db)
        .await?;
    out.push(Task {
        count: soon,
        title: "Будут отклонены через 3 дня",
        hint: format!(
            "Заявления, не отправленные в обработку за {days} дней, отклоняются автоматически. Самые старые — первыми."
        ),
        href: format!("/applications?folder={}&sort=received", Folder::Accepted.key()),
        urgent: soon > 0,
    });
    if matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    ) {
        // The expiry report of the month: subscribers whose last tariff ends in it (not yet
        // renewed), inactive product accounts left out — the tile counts its lines.
        let (first, last) = crate::reports::rules::month_of(today);
        let ending =
            crate::reports::lists::tariffs_ending_count(st, &user.scope, first, last).await?;
        out.push(Task {
            count: u64::try_from(ending).unwrap_or(u64::MAX),
            title: "Тарифы заканчиваются в этом месяце",
            hint: "Абоненты без продления: предложите продлить.".to_owned(),
            href: format!(
                "/analytics/reports/tariff_terms?from={}&to={}",
                first.format("%Y-%m-%d"),
                last.format("%Y-%m-%d")
            ),
            urgent: false,
        });
    }
    if matches!(user.role, Role::Partner | Role::SalesCenter) {
        let period = crate::reconciliation::builder::Period::of(today).previous();
        let rows = crate::reconciliation::service::list(st, user, &period.to_string()).await?;
        let waiting: Vec<_> = rows
            .iter()
            .filter(|r| match user.role {
                Role::Partner => matches!(
                    r.state,
                    ReconciliationState::Open | ReconciliationState::Returned
                ),
                _ => r.state == ReconciliationState::ApprovedByPartner,
            })
            .collect();
        let due = rows.iter().map(|r| r.due_on).min();
        out.push(Task {
            count: waiting.len() as u64,
            title: match user.role {
                Role::Partner => "Сверка ждет одобрения",
                _ => "Сверки ждут одобрения",
            },
            hint: {
                let month = crate::reports::rules::month_title_ru(period.first_day());
                match (due, waiting.is_empty(), user.role) {
                    (_, true, Role::Partner) if rows.is_empty() => {
                        format!("За {month} сверки нет.")
                    }
                    (_, true, Role::Partner) => format!("Сверка за {month} одобрена вами."),
                    (_, true, _) => {
                        format!("За {month} нет сверок, одобренных партнерами и ждущих вас.")
                    }
                    (Some(d), false, _) => format!(
                        "Сверка за {month}: одобрить до {}{}.",
                        crate::web::components::date_ru(d),
                        if waiting.iter().any(|r| r.overdue) {
                            " — срок прошел"
                        } else {
                            ""
                        }
                    ),
                    (None, false, _) => format!("Сверка за {month}."),
                }
            },
            href: format!("/finance?period={period}"),
            urgent: waiting.iter().any(|r| r.overdue),
        });
    }
    Ok(out)
}

async fn home(State(st): State<AppState>, user: CurrentUser) -> AppResult<Markup> {
    let greeting = match user.role {
        Role::Intake => {
            "Эта учётная запись предназначена для обмена с программой 1С через API; веб-разделов у неё нет."
        }
        _ => "Выберите раздел для работы.",
    };
    let tasks = tasks(&st, &user).await?;
    Ok(layout::page(
        &user,
        "",
        &format!("Здравствуйте, {}", user.full_name),
        html! {
            @if !tasks.is_empty() {
                h2 { "Требует внимания сегодня" }
                div.cards.tasks {
                    @for t in &tasks {
                        a.card.task href=(t.href) class=[t.urgent.then_some("urgent")] {
                            span.task-count { (t.count) }
                            h3 { (t.title) }
                            p { (t.hint) }
                        }
                    }
                }
                h2 { "Разделы" }
            } @else {
                p.muted { (greeting) }
            }
            div.cards {
                @for n in navigation(user.role) {
                    a.card href=(n.href) { h3 { (n.label) } p { (describe(n.key)) } }
                }
            }
        },
    ))
}
