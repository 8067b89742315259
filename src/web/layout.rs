//! The page shell: header with the user and organisation, navigation by role, flash
//! messages, and the error page in the same look.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::auth::session::FlashKind;
use crate::auth::{CurrentUser, Role};
use crate::error::Problem;

pub struct NavItem {
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

const fn item(key: &'static str, href: &'static str, label: &'static str) -> NavItem {
    NavItem { key, href, label }
}

/// The sections a role works in, in the order the manual lists them.
pub fn navigation(role: Role) -> Vec<NavItem> {
    let reference = item("reference", "/reference", "Справочники");
    match role {
        Role::Partner => vec![
            item("applications", "/applications", "Заявки"),
            item("subscribers", "/subscribers", "Абоненты"),
            item("finance", "/finance", "Финансы"),
            item("analytics", "/analytics", "Аналитика"),
            reference,
        ],
        Role::SalesCenter => vec![
            item("applications", "/applications", "Заявки"),
            item("distribution", "/distribution", "Распределение"),
            item("special_offers", "/special-offers", "Спецпредложения"),
            item("subscribers", "/subscribers", "Абоненты"),
            item("finance", "/finance", "Финансы"),
            item("analytics", "/analytics", "Аналитика"),
            reference,
        ],
        Role::IdentificationCenter => vec![
            item("identification", "/identification", "Очередь идентификации"),
            reference,
        ],
        Role::Operator => vec![
            item("applications", "/applications", "Заявки"),
            item("subscribers", "/subscribers", "Абоненты"),
            item("analytics", "/analytics", "Аналитика"),
            reference,
            item("audit", "/audit", "Журнал действий"),
        ],
        Role::Intake => vec![],
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " — Регистратор 1С-Отчетности" }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/app.js" defer {}
        }
    }
}

/// A signed-in page.
pub fn page(user: &CurrentUser, active: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ru" {
            (head(title))
            body {
                header.topbar {
                    a.brand href="/" { "Регистратор " span { "1С-Отчетности" } }
                    nav.mainnav {
                        @for n in navigation(user.role) {
                            a href=(n.href) class=[(n.key == active).then_some("active")] { (n.label) }
                        }
                    }
                    a.help href="/help" class=[(active == "help").then_some("active")] title="Справка" { "Справка" }
                    div.who {
                        a.who-name href="/profile" title="Профиль" { (user.full_name) }
                        // «Центр продаж «Калуга»» already says the role: not twice.
                        div.who-org {
                            @match &user.organisation {
                                Some(org) if org.starts_with(user.role.title_ru()) => (org),
                                Some(org) => { (user.role.title_ru()) " · " (org) }
                                None => (user.role.title_ru()),
                            }
                        }
                    }
                    form.logout method="post" action="/logout" {
                        (csrf_field(user))
                        button.link type="submit" { "Выйти" }
                    }
                }
                @if let Some(now) = user.test_now {
                    div.test-clock role="status" {
                        "Тестовые часы: " b { (crate::web::components::datetime_ru(now)) }
                        " — время переводит оператор; задания выполняются при переводе."
                    }
                }
                main.content {
                    @if let Some(f) = user.session.as_ref().and_then(|s| s.flash.as_ref()) {
                        div class={ "flash " (match f.kind { FlashKind::Success => "flash-success", FlashKind::Error => "flash-error", FlashKind::Info => "flash-info" }) } role=(if f.kind == FlashKind::Error { "alert" } else { "status" }) {
                            (f.text)
                        }
                    }
                    @if let Some(echo) = user.session.as_ref().and_then(|s| s.form_echo.as_ref()) {
                        // Data for /static/app.js, which refills the refused form; not a
                        // script (the CSP runs none inline), and `</` cannot end it early.
                        script type="application/json" id="form-echo" {
                            (PreEscaped(serde_json::to_string(echo).unwrap_or_default().replace("</", "<\\/").replace("<!--", "<\\!--")))
                        }
                    }
                    h1 { (title) }
                    (body)
                }
                footer.footer { "Регистратор 1С-Отчетности — рабочее место партнеров, центров продаж и центров идентификации · " a href="/help" { "Справка" } }
            }
        }
    }
}

/// A page outside the signed-in shell (login, errors for anonymous visitors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ru" {
            (head(title))
            body.bare {
                main.bare-card { (body) }
            }
        }
    }
}

/// The hidden fields every state-changing form carries: the session's CSRF token and a
/// one-time token against double submissions (`web::once`).
pub fn csrf_field(user: &CurrentUser) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(user.csrf_token());
        input type="hidden" name=(crate::web::once::FIELD) value=(crate::web::once::fresh());
    }
}

pub fn error_page(p: &Problem) -> Markup {
    bare(
        &p.title,
        html! {
            div.error-code { (p.status) }
            h1 { (p.title) }
            @if p.errors.is_none() { p { (p.detail) } }
            @if let Some(errors) = &p.errors {
                ul.errors { @for e in errors { li { b { (crate::labels::field_title(&e.field)) } ": " (e.message) } } }
            }
            p.actions {
                a.button href="/" { "На главную" }
                " "
                a.button.secondary href="/" data-back { "Назад" }
            }
            (PreEscaped(""))
        },
    )
}
