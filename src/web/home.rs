//! The home page of each role, and the sections that later releases fill in.

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};

use super::layout::{self, navigation};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home)).route(
        "/analytics",
        get(|u: CurrentUser| section(u, "analytics", "Аналитика")),
    )
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
        "analytics" => "Отчёты о подключениях, продлениях и активности абонентов.",
        "identification" => "Идентификации, переданные вашему офису: отметка о прохождении.",
        "special_offers" => {
            "Регистрация номеров специальных предложений (УСН, Нулевка) для клиентов."
        }
        "reference" => "Партнеры, центры идентификации, тарифы и производственный календарь.",
        "audit" => "Кто, когда и что изменил в системе.",
        _ => "",
    }
}

async fn home(user: CurrentUser) -> AppResult<Markup> {
    let greeting = match user.role {
        Role::Intake => {
            "Эта учётная запись предназначена для обмена с программой 1С через API; веб-разделов у неё нет."
        }
        _ => "Выберите раздел для работы.",
    };
    Ok(layout::page(
        &user,
        "",
        &format!("Здравствуйте, {}", user.full_name),
        html! {
            p.muted { (greeting) }
            div.cards {
                @for n in navigation(user.role) {
                    a.card href=(n.href) { h3 { (n.label) } p { (describe(n.key)) } }
                }
            }
        },
    ))
}

/// A section of the role's navigation whose functions arrive in a later release. The
/// page says so plainly instead of pretending to be empty.
async fn section(user: CurrentUser, key: &'static str, title: &'static str) -> AppResult<Markup> {
    if !navigation(user.role).iter().any(|n| n.key == key) {
        return Err(crate::error::AppError::Forbidden);
    }
    Ok(layout::page(
        &user,
        key,
        title,
        html! {
            p { (describe(key)) }
            div.flash.flash-info { "Раздел подключается в следующем выпуске. Справочные данные уже доступны в разделе «Справочники»." }
        },
    ))
}
