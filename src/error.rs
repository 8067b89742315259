//! Error policy: every fallible handler returns `Result<_, AppError>`; the error is turned
//! into a response in exactly one place (`IntoResponse for AppError`).
//!
//! The response is always RFC 9457 `application/problem+json`. The web UI wraps its routes
//! in `web::html_errors`, which re-renders the same problem as a Russian HTML page (or a
//! redirect to the login page for 401) from the `Problem` the response carries in its
//! extensions. Internal errors are logged with their cause and shown without it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("the form is stale or forged (CSRF token mismatch)")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    /// An event that the current state does not allow; `message` says so in Russian,
    /// naming the event and the state by their titles.
    #[error("event {event} is not allowed in state {current_state}")]
    Conflict {
        current_state: String,
        event: String,
        message: String,
    },
    /// A domain rule refused the action (the licence is approved in a reconciliation,
    /// there is nothing to block…): `code` for programs, the rule's sentence for people.
    #[error("refused by a rule: {code}")]
    Refused { code: &'static str, message: String },
    /// Someone else changed the object first.
    #[error("the object was changed by someone else")]
    Stale { current_state: Option<String> },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// An event the current state does not allow, with the sentence people read.
    pub fn conflict(
        current_state: impl Into<String>,
        event: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        AppError::Conflict {
            current_state: current_state.into(),
            event: event.into(),
            message: message.into(),
        }
    }

    /// A refusal by a domain rule, with the rule's own sentence.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Refused {
            code,
            message: message.into(),
        }
    }

    /// Adds what was being done to an internal error, so the log says what failed.
    pub fn context(self, what: &'static str) -> Self {
        match self {
            AppError::Internal(e) => AppError::Internal(e.context(what)),
            other => other,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::Stale { .. } | AppError::Refused { .. } => {
                StatusCode::CONFLICT
            }
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::CsrfRejected => "csrf",
            AppError::NotFound => "not-found",
            AppError::Conflict { .. } => "invalid-transition",
            AppError::Refused { .. } => "refused",
            AppError::Stale { .. } => "stale-version",
            AppError::Invalid(_) => "validation",
            AppError::Internal(_) => "internal",
        }
    }

    /// The problem document. Titles and details are Russian: people read them.
    pub fn problem(&self) -> Problem {
        let (title, detail) = match self {
            AppError::Unauthenticated => ("Требуется вход", "Войдите в систему или передайте действующий API-токен.".to_owned()),
            AppError::Forbidden => ("Доступ запрещён", "Вашей роли это действие недоступно.".to_owned()),
            AppError::CsrfRejected => (
                "Форма устарела",
                "Страница была открыта слишком давно или отправлена не из приложения. Обновите страницу и повторите действие.".to_owned(),
            ),
            AppError::NotFound => ("Не найдено", "Запрошенный объект не существует или недоступен вам.".to_owned()),
            AppError::Conflict { message, .. } => ("Действие недоступно в текущем состоянии", message.clone()),
            AppError::Refused { message, .. } => ("Действие не разрешено правилами", message.clone()),
            AppError::Stale { .. } => (
                "Объект уже изменён",
                "Пока вы работали, объект изменил другой пользователь. Обновите страницу и проверьте его состояние.".to_owned(),
            ),
            AppError::Invalid(errors) => ("Данные не прошли проверку", crate::labels::invalid_text(errors)),
            AppError::Internal(_) => ("Внутренняя ошибка", "Произошла внутренняя ошибка. Она записана в журнал; повторите попытку позже.".to_owned()),
        };
        Problem {
            kind: format!("/problems/{}", self.slug()),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail,
            errors: match self {
                AppError::Invalid(e) => Some(e.clone()),
                _ => None,
            },
            current_state: match self {
                AppError::Conflict { current_state, .. } => Some(current_state.clone()),
                AppError::Stale { current_state } => current_state.clone(),
                _ => None,
            },
            event: match self {
                AppError::Conflict { event, .. } => Some(event.clone()),
                _ => None,
            },
            refusal: match self {
                AppError::Refused { code, .. } => Some((*code).to_owned()),
                _ => None,
            },
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<sea_orm::DbErr> for AppError {
    /// A unique constraint that fires is a lost race (two people adding the same group
    /// member, the same document kind at once): the loser is told someone else was first,
    /// with 409, as for a stale version. Everything else is internal.
    fn from(e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::info!(%detail, "unique constraint: a concurrent write won");
                AppError::Stale {
                    current_state: None,
                }
            }
            _ => AppError::Internal(e.into()),
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The rule that refused (`approved_in_reconciliation`, `nothing_registered`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

impl Problem {
    /// The problem for an error response that carries none — one produced below the
    /// handlers (the router's 405, a body-limit 413, a rejection from a layer) — so those
    /// too reach people in Russian and programs as problem+json.
    pub fn for_status(status: StatusCode) -> Problem {
        let (slug, title, detail) = match status.as_u16() {
            400 => (
                "bad-request",
                "Неверный запрос",
                "Запрос составлен неверно. Проверьте адрес и параметры и повторите.",
            ),
            401 => (
                "unauthenticated",
                "Требуется вход",
                "Войдите в систему или передайте действующий API-токен.",
            ),
            403 => (
                "forbidden",
                "Доступ запрещён",
                "Вашей роли это действие недоступно.",
            ),
            404 => (
                "not-found",
                "Не найдено",
                "Запрошенный объект не существует или недоступен вам.",
            ),
            405 => (
                "method-not-allowed",
                "Действие недоступно",
                "Этот адрес не принимает запрос такого вида. Вернитесь на страницу и воспользуйтесь её кнопками.",
            ),
            408 => (
                "timeout",
                "Время ожидания истекло",
                "Запрос передавался слишком долго. Повторите его.",
            ),
            413 => (
                "too-large",
                "Слишком большой запрос",
                "Файл или форма больше допустимого: файлы принимаются размером до 10 МБ.",
            ),
            415 => (
                "unsupported-media-type",
                "Неподдерживаемый формат",
                "Тело запроса передано в формате, который здесь не принимается.",
            ),
            429 => (
                "too-many-requests",
                "Слишком много запросов",
                "Повторите запрос немного позже.",
            ),
            503 => (
                "unavailable",
                "Сервис временно недоступен",
                "Повторите запрос через несколько секунд.",
            ),
            s if s >= 500 => (
                "internal",
                "Внутренняя ошибка",
                "Произошла внутренняя ошибка. Она записана в журнал; повторите попытку позже.",
            ),
            _ => (
                "bad-request",
                "Запрос не выполнен",
                "Запрос не может быть выполнен. Проверьте адрес и параметры.",
            ),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.to_owned(),
            errors: None,
            current_state: None,
            event: None,
            refusal: None,
        }
    }

    /// The problem as an `application/problem+json` response (it also rides along in the
    /// extensions, for the UI's error pages).
    pub fn into_response_with(self, status: StatusCode) -> Response {
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: an error response without a problem document gets one.
pub async fn problems_for_bare_errors(
    req: axum::http::Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    // Our own pages (the login form's 401, say) and documents are answers already.
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.contains("json"));
    if (status.is_client_error() || status.is_server_error())
        && !ours
        && response.extensions().get::<Problem>().is_none()
    {
        let mut fresh = Problem::for_status(status).into_response_with(status);
        for name in [header::ALLOW, header::RETRY_AFTER] {
            if let Some(v) = response.headers().get(&name) {
                fresh.headers_mut().insert(name, v.clone());
            }
        }
        return fresh;
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        self.problem().into_response_with(self.status())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_what_was_being_done_and_its_cause() {
        let e = AppError::from(sea_orm::DbErr::Custom("disk I/O error".into()))
            .context("registering the subscriber of the application")
            .context("auto_reject");
        let AppError::Internal(inner) = &e else {
            panic!("{e:?}")
        };
        let logged = format!("{inner:?}");
        for part in [
            "auto_reject",
            "registering the subscriber of the application",
            "disk I/O error",
        ] {
            assert!(logged.contains(part), "{logged}");
        }
        // A refusal is not internal and gains nothing.
        assert!(matches!(
            AppError::NotFound.context("anything"),
            AppError::NotFound
        ));
    }
}
