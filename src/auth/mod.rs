//! Who is asking and what they may see: roles, the tenant scope, and the one extractor
//! (`CurrentUser`) every handler uses. Handlers never filter by organisation by hand:
//! they ask the user's [`Scope`].

pub mod password;
pub mod routes;
pub mod scope;
pub mod session;
pub mod throttle;
pub mod token;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use sea_orm::entity::prelude::*;

use serde::Deserialize;

pub use crate::role::Role;
pub use scope::Scope;

use crate::AppState;
use crate::entities::{identification_center, partner, sales_center, user};
use crate::error::AppError;

/// Which face of the product a request came through; set as an extension by the routers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
}

/// The signed-in session behind a web request.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub id_hash: String,
    pub csrf_token: String,
    pub flash: Option<session::Flash>,
    /// What was typed into the form whose refusal the flash reports.
    pub form_echo: Option<session::FormEcho>,
}

/// A form as it was posted: where to, and its fields (the product's own control fields
/// and passwords left out), so a refusal can send the values back.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub action: String,
    pub values: Vec<(String, String)>,
}

/// The authenticated caller. Extracting it authenticates the request: by bearer token on
/// the API, by session cookie in the web UI.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i32,
    pub login: String,
    pub full_name: String,
    pub role: Role,
    pub scope: Scope,
    /// Display name of the user's organisation, if it has one.
    pub organisation: Option<String>,
    pub session: Option<WebSession>,
    /// The form this request posted, when it came through [`Csrf`].
    pub submitted: Option<std::sync::Arc<Submitted>>,
    /// The test clock's time, when the server runs on one (pages show a banner).
    pub test_now: Option<chrono::DateTime<chrono::Utc>>,
}

impl CurrentUser {
    /// # Errors
    /// `Forbidden` when the user's role is not among `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::user(self.id, &self.login)
    }

    pub fn csrf_token(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf_token.as_str())
    }

    /// Builds the caller from a user row, resolving the organisation.
    ///
    /// # Errors
    /// Database errors; a user whose organisation is missing is refused.
    pub async fn load(
        db: &DatabaseConnection,
        u: user::Model,
        session: Option<WebSession>,
    ) -> Result<Self, AppError> {
        let (scope, organisation) = match u.role {
            Role::Operator => (Scope::Operator, Some("АО «Калуга Астрал»".to_owned())),
            Role::Intake => (Scope::Intake, None),
            Role::SalesCenter => {
                let sc =
                    sales_center::Entity::find_by_id(u.sales_center_id.ok_or(AppError::Forbidden)?)
                        .one(db)
                        .await?
                        .ok_or(AppError::Forbidden)?;
                (
                    Scope::SalesCenter {
                        sales_center_id: sc.id,
                    },
                    Some(sc.name),
                )
            }
            Role::Partner => {
                let p = partner::Entity::find_by_id(u.partner_id.ok_or(AppError::Forbidden)?)
                    .one(db)
                    .await?
                    .ok_or(AppError::Forbidden)?;
                (
                    Scope::Partner {
                        partner_id: p.id,
                        sales_center_id: p.sales_center_id,
                    },
                    Some(p.name),
                )
            }
            Role::IdentificationCenter => {
                let ic = identification_center::Entity::find_by_id(
                    u.identification_center_id.ok_or(AppError::Forbidden)?,
                )
                .one(db)
                .await?
                .ok_or(AppError::Forbidden)?;
                (
                    Scope::IdentificationCenter {
                        identification_center_id: ic.id,
                    },
                    Some(ic.office_name),
                )
            }
        };
        Ok(CurrentUser {
            id: u.id,
            login: u.login,
            full_name: u.full_name,
            role: u.role,
            scope,
            organisation,
            session,
            submitted: None,
            test_now: None,
        })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let channel = parts
            .extensions
            .get::<Channel>()
            .copied()
            .unwrap_or(Channel::Web);
        let mut user = match channel {
            Channel::Api => {
                let header = parts
                    .headers
                    .get(axum::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(AppError::Unauthenticated)?;
                // The scheme is case-insensitive (RFC 9110 §11.1).
                let (scheme, raw) = header
                    .trim()
                    .split_once(' ')
                    .ok_or(AppError::Unauthenticated)?;
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(AppError::Unauthenticated);
                }
                let u = token::authenticate(&state.db, raw.trim(), state.clock.now())
                    .await?
                    .ok_or(AppError::Unauthenticated)?;
                CurrentUser::load(&state.db, u, None).await?
            }
            Channel::Web => {
                let jar = CookieJar::from_headers(&parts.headers);
                let cookie = jar.get(session::COOKIE).ok_or(AppError::Unauthenticated)?;
                let (u, s) = session::authenticate(&state.db, cookie.value(), state.clock.now())
                    .await?
                    .ok_or(AppError::Unauthenticated)?;
                CurrentUser::load(&state.db, u, Some(s)).await?
            }
        };
        user.test_now = state.test_clock.as_ref().map(|c| {
            use crate::clock::Clock;
            c.now()
        });
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// A urlencoded form whose `csrf` field must match the session's token.
///
/// Use it for every state-changing web form: `Csrf(user, form): Csrf<MyForm>`.
pub struct Csrf<T>(pub CurrentUser, pub T);

/// The form of an action that sends nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// Fields every state-changing form carries for the product itself, not for the use
/// case: they are taken off before the form is parsed, so a form type never has to
/// declare them (the special-offers form refused every submission with «unknown field
/// `csrf`» when it did not).
pub const FORM_CONTROL_FIELDS: &[&str] = &["csrf", crate::web::once::FIELD];

/// Checks a form's CSRF token and consumes its one-time token: `Ok(None)` to go on,
/// `Ok(Some(response))` when the form was already submitted (the response says so).
///
/// # Errors
/// `CsrfRejected` for a missing or wrong CSRF token; database errors.
pub async fn check_form(
    st: &AppState,
    user: &CurrentUser,
    headers: &axum::http::HeaderMap,
    csrf: &str,
    once: Option<&str>,
) -> Result<Option<axum::response::Response>, AppError> {
    if !tokens_match(csrf, user.csrf_token()) {
        return Err(AppError::CsrfRejected);
    }
    if let (Some(token), Some(session)) = (once.filter(|t| !t.is_empty()), &user.session)
        && !crate::web::once::consume(st, session, token).await?
    {
        return Ok(Some(
            crate::web::once::repeated(st, session, headers).await?,
        ));
    }
    Ok(None)
}

impl<T: serde::de::DeserializeOwned + Send> FromRequest<AppState> for Csrf<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        Self::parse(req, state).await.map_err(|e| match e {
            Ok(repeated) => repeated,
            Err(e) => e.into_response(),
        })
    }
}

impl<T: serde::de::DeserializeOwned + Send> Csrf<T> {
    /// `Err(Ok(response))`: a repeated submission, answered; `Err(Err(e))`: refused.
    async fn parse(
        req: Request,
        state: &AppState,
    ) -> Result<Self, Result<axum::response::Response, AppError>> {
        let (mut parts, body) = req.into_parts();
        let mut user = CurrentUser::from_request_parts(&mut parts, state)
            .await
            .map_err(Err)?;
        let bytes = axum::body::to_bytes(body, crate::extract::FORM_LIMIT)
            .await
            .map_err(|_| Err(AppError::invalid("form", "форма слишком большая")))?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        // The form is parsed before the one-time token is spent: a malformed form can be
        // corrected and sent again.
        let rest = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                pairs
                    .iter()
                    .filter(|(k, _)| !FORM_CONTROL_FIELDS.contains(&k.as_str())),
            )
            .finish();
        if !tokens_match(field("csrf").unwrap_or(""), user.csrf_token()) {
            return Err(Err(AppError::CsrfRejected));
        }
        user.submitted = Some(std::sync::Arc::new(Submitted {
            action: parts.uri.path().to_owned(),
            values: pairs
                .iter()
                .filter(|(k, _)| !FORM_CONTROL_FIELDS.contains(&k.as_str()) && k != "password")
                .cloned()
                .collect(),
        }));
        let form: T = crate::extract::urlencoded(rest.as_bytes()).map_err(Err)?;
        if let Some(repeated) = check_form(
            state,
            &user,
            &parts.headers,
            field("csrf").unwrap_or(""),
            field(crate::web::once::FIELD),
        )
        .await
        .map_err(Err)?
        {
            return Err(Ok(repeated));
        }
        Ok(Csrf(user, form))
    }
}

/// Constant-time comparison of two secrets; an empty expected token never matches.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty()
        && given.len() == expected.len()
        && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// A fresh random secret as 64 hex characters.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// SHA-256 in hex: how sessions and tokens are stored.
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// The full names of users by login, for histories and the journal ("Кто").
///
/// # Errors
/// Database errors.
pub async fn people<'a>(
    db: &DatabaseConnection,
    logins: impl IntoIterator<Item = &'a str>,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut logins: Vec<&str> = logins
        .into_iter()
        .filter(|l| !l.starts_with("system:"))
        .collect();
    logins.sort_unstable();
    logins.dedup();
    if logins.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Login.is_in(logins))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.login, u.full_name))
        .collect())
}
