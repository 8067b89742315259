//! Edits of an application that are not state changes: the ITS portal login (§7).

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, EntityTrait};
use serde_json::json;

use super::{Caller, find, history_row};
use crate::AppState;
use crate::applications::state::State;
use crate::audit::{Change, Write};
use crate::auth::Role;
use crate::entities::application;
use crate::error::{AppError, AppResult};

/// «Изменение параметров подключения ИТС» (manual l.988–1010): the application is linked
/// to another ITS portal user; the ITS check at «В обработку» is made against it. Only
/// the partner, only before processing and outside identification; the change is kept
/// in the history and the journal.
///
/// # Errors
/// `Invalid` naming `its_login` or `its_email`; `Conflict` naming the state; `Stale` on
/// an old `version`; `Forbidden` for other roles.
pub async fn change_its_login(
    st: &AppState,
    caller: Caller<'_>,
    id: i64,
    login: &str,
    email: Option<&str>,
    version: Option<i32>,
) -> AppResult<application::Model> {
    if let Caller::User(u) = caller {
        u.require(&[Role::Partner])?;
    }
    let app = find(st, caller, id).await?;
    let login = login.trim();
    let mut errors = Vec::new();
    if login.is_empty() || login.chars().count() > 100 || login.chars().any(char::is_whitespace) {
        errors.push(crate::error::FieldError::new(
            "its_login",
            "укажите логин пользователя портала ИТС: до 100 знаков, без пробелов",
        ));
    }
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email
        && let Err(m) = crate::requisites::email(e)
    {
        errors.push(crate::error::FieldError::new("its_email", m));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if !app.state.is_before_processing() || app.state == State::Identification {
        return Err(AppError::conflict(
            app.state.as_str(),
            "change_its_login",
            format!(
                "логин ИТС меняется до отправки в обработку и вне идентификации; заявление в состоянии «{}»",
                app.state.title_ru()
            ),
        ));
    }
    if version.is_some_and(|v| v != app.version) {
        return Err(AppError::Stale {
            current_state: Some(app.state.as_str().to_owned()),
        });
    }
    let now = st.clock.now();
    let mut w = Write::begin(&st.db, caller.actor(), now).await?;
    let saved = crate::db::update_versioned(
        &*w,
        application::Entity::update_many()
            .col_expr(application::Column::ItsLogin, Expr::value(Some(login)))
            .col_expr(application::Column::ItsEmail, Expr::value(email)),
        (application::Column::Id, app.id),
        (application::Column::Version, app.version),
    )
    .await?;
    if !saved {
        return Err(AppError::Stale {
            current_state: Some(app.state.as_str().to_owned()),
        });
    }
    let reason = format!(
        "Логин ИТС: «{}» → «{}»",
        app.its_login.as_deref().unwrap_or("не указан"),
        login
    );
    history_row(
        &app,
        w.actor(),
        now,
        "its_login_changed",
        Some(app.state),
        app.state,
        Some(reason),
    )
    .insert(&*w)
    .await?;
    w.record(
        Change::new("application.change_its_login", "application", app.id)
            .before(json!({"its_login": app.its_login, "its_email": app.its_email}))
            .after(json!({"its_login": login, "its_email": email})),
    );
    w.commit().await?;
    application::Entity::find_by_id(app.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}
