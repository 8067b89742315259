//! Who is asking and what they may see: roles, the tenant scope, and the one extractor
//! (`CurrentUser`) every handler uses. Handlers never filter by organisation by hand:
//! they ask the user's [`Scope`].

pub mod kept;
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
    /// Database errors; a user whose organisation is missing, or who is no longer
    /// active, is refused.
    pub async fn load(
        db: &DatabaseConnection,
        u: user::Model,
        session: Option<WebSession>,
    ) -> Result<Self, AppError> {
        Self::of_user(db, u.id, session)
            .await?
            .ok_or(AppError::Forbidden)
    }

    /// The active user `user_id` with its organisation, in one query; `None` when there
    /// is no such active user.
    ///
    /// # Errors
    /// Database errors; a user whose organisation is missing is refused.
    pub async fn of_user(
        db: &DatabaseConnection,
        user_id: i32,
        session: Option<WebSession>,
    ) -> Result<Option<Self>, AppError> {
        use sea_orm::FromQueryResult;
        use sea_orm::sea_query::ExprTrait;
        let mut q = Caller::select();
        q.and_where(Expr::col((user::Entity, user::Column::Id)).eq(user_id));
        let found = Caller::find_by_statement(db.get_database_backend().build(&q))
            .one(db)
            .await?;
        found
            .filter(|c| c.active)
            .map(|c| c.into_user(session))
            .transpose()
    }
}

/// A user and what its scope needs of its organisation, read in one query (users
/// left-joined to partners, sales centers and identification centers) instead of one
/// for the user and one for the organisation on every request.
#[derive(Debug, sea_orm::FromQueryResult)]
pub(crate) struct Caller {
    id: i32,
    login: String,
    full_name: String,
    role: Role,
    active: bool,
    partner_id: Option<i32>,
    sales_center_id: Option<i32>,
    identification_center_id: Option<i32>,
    partner_name: Option<String>,
    partner_sales_center_id: Option<i32>,
    sales_center_name: Option<String>,
    office_name: Option<String>,
}

impl Caller {
    /// `SELECT` the caller's columns `FROM users` with its organisation joined; the
    /// caller adds the condition (and, for a session, joins it).
    pub(crate) fn select() -> sea_orm::sea_query::SelectStatement {
        use sea_orm::sea_query::{Alias, ExprTrait, Query};
        let u = |c: user::Column| Expr::col((user::Entity, c));
        let mut q = Query::select();
        q.from(user::Entity)
            .expr_as(u(user::Column::Id), Alias::new("id"))
            .expr_as(u(user::Column::Login), Alias::new("login"))
            .expr_as(u(user::Column::FullName), Alias::new("full_name"))
            .expr_as(u(user::Column::Role), Alias::new("role"))
            .expr_as(u(user::Column::Active), Alias::new("active"))
            .expr_as(u(user::Column::PartnerId), Alias::new("partner_id"))
            .expr_as(
                u(user::Column::SalesCenterId),
                Alias::new("sales_center_id"),
            )
            .expr_as(
                u(user::Column::IdentificationCenterId),
                Alias::new("identification_center_id"),
            )
            .expr_as(
                Expr::col((partner::Entity, partner::Column::Name)),
                Alias::new("partner_name"),
            )
            .expr_as(
                Expr::col((partner::Entity, partner::Column::SalesCenterId)),
                Alias::new("partner_sales_center_id"),
            )
            .expr_as(
                Expr::col((sales_center::Entity, sales_center::Column::Name)),
                Alias::new("sales_center_name"),
            )
            .expr_as(
                Expr::col((
                    identification_center::Entity,
                    identification_center::Column::OfficeName,
                )),
                Alias::new("office_name"),
            )
            .left_join(
                partner::Entity,
                Expr::col((partner::Entity, partner::Column::Id)).eq(u(user::Column::PartnerId)),
            )
            .left_join(
                sales_center::Entity,
                Expr::col((sales_center::Entity, sales_center::Column::Id))
                    .eq(u(user::Column::SalesCenterId)),
            )
            .left_join(
                identification_center::Entity,
                Expr::col((
                    identification_center::Entity,
                    identification_center::Column::Id,
                ))
                .eq(u(user::Column::IdentificationCenterId)),
            );
        q
    }

    pub(crate) fn active(&self) -> bool {
        self.active
    }

    /// The caller as handlers see it.
    ///
    /// # Errors
    /// `Forbidden` when the user's organisation is missing.
    pub(crate) fn into_user(self, session: Option<WebSession>) -> Result<CurrentUser, AppError> {
        let (scope, organisation) = match self.role {
            Role::Operator => (Scope::Operator, Some("АО «Калуга Астрал»".to_owned())),
            Role::Intake => (Scope::Intake, None),
            Role::SalesCenter => (
                Scope::SalesCenter {
                    sales_center_id: self.sales_center_id.ok_or(AppError::Forbidden)?,
                },
                Some(self.sales_center_name.ok_or(AppError::Forbidden)?),
            ),
            Role::Partner => (
                Scope::Partner {
                    partner_id: self.partner_id.ok_or(AppError::Forbidden)?,
                    sales_center_id: self.partner_sales_center_id.ok_or(AppError::Forbidden)?,
                },
                Some(self.partner_name.ok_or(AppError::Forbidden)?),
            ),
            Role::IdentificationCenter => (
                Scope::IdentificationCenter {
                    identification_center_id: self
                        .identification_center_id
                        .ok_or(AppError::Forbidden)?,
                },
                Some(self.office_name.ok_or(AppError::Forbidden)?),
            ),
        };
        Ok(CurrentUser {
            id: self.id,
            login: self.login,
            full_name: self.full_name,
            role: self.role,
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
        let user = match channel {
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
                token::authenticate(&state.db, raw.trim(), state.clock.now())
                    .await?
                    .ok_or(AppError::Unauthenticated)?
            }
            Channel::Web => {
                let jar = CookieJar::from_headers(&parts.headers);
                let cookie = jar.get(session::COOKIE).ok_or(AppError::Unauthenticated)?;
                let CallerWith(user, _) = web_caller::<Nothing>(state, cookie.value()).await?;
                user
            }
        };
        Ok(authenticated(parts, state, user))
    }
}

/// The caller as the request keeps it: with the test clock's time, and in the
/// request's extensions for the next extractor.
fn authenticated(parts: &mut Parts, state: &AppState, mut user: CurrentUser) -> CurrentUser {
    user.test_now = state.test_clock.as_ref().map(|c| {
        use crate::clock::Clock;
        c.now()
    });
    parts.extensions.insert(user.clone());
    user
}

/// A one-row read a page makes beside its caller on every request (the registry's kept
/// counts of the caller's scope), joined to the caller's own query by [`CallerWith`].
pub trait Beside: Sized {
    /// The read for a caller of `scope`; `None` when the page reads nothing for it. It
    /// must return exactly one row (an aggregate without `GROUP BY`, say): it is
    /// left-joined to the session's row.
    fn select(scope: &Scope) -> Option<sea_orm::sea_query::SelectStatement>;

    /// The read's row, as the joined query returned it.
    ///
    /// # Errors
    /// The row lacks the read's columns.
    fn from_row(row: &sea_orm::QueryResult) -> Result<Self, DbErr>;
}

/// The caller and, when the session's scope is known from an earlier request, what the
/// page reads beside it — from one query (see [`session::authenticate_with`]). The
/// scope remembered per session only chooses what to join: the session is checked as
/// always, and the read is handed over only when the caller's scope, read in the same
/// query, is the one it was made for. `None` otherwise (the page reads it itself).
pub struct CallerWith<T>(pub CurrentUser, pub Option<T>);

impl<T: Beside + Clone + Send + Sync + 'static> FromRequestParts<AppState> for CallerWith<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let web = parts.extensions.get::<Channel>().copied() != Some(Channel::Api);
        let cookie = CookieJar::from_headers(&parts.headers)
            .get(session::COOKIE)
            .map(|c| c.value().to_owned());
        let (true, Some(cookie), None) = (web, cookie, parts.extensions.get::<CurrentUser>())
        else {
            return Ok(CallerWith(
                CurrentUser::from_request_parts(parts, state).await?,
                None,
            ));
        };
        let CallerWith(user, read) = web_caller::<T>(state, &cookie).await?;
        Ok(CallerWith(authenticated(parts, state, user), read))
    }
}

/// The caller behind a session cookie and what the page reads beside it: kept in
/// memory when nothing changed since they were read ([`kept`]), else read in one query
/// (and kept).
async fn web_caller<T: Beside + Clone + Send + Sync + 'static>(
    state: &AppState,
    cookie: &str,
) -> Result<CallerWith<T>, AppError> {
    let id_hash = sha256_hex(cookie);
    let now = state.clock.now();
    // Taken before any read: what the read returns is kept only if nothing was written
    // since.
    let ticket = state.kept_sessions.ticket();
    if let Some(user) = state.kept_sessions.session(&id_hash, now) {
        if let Some(read) = state.kept_sessions.beside::<T>(&user.scope) {
            return Ok(CallerWith(user, Some(read)));
        }
        if T::select(&user.scope).is_none() {
            return Ok(CallerWith(user, None));
        }
    }
    let known = state.known_scopes.get(&id_hash);
    let beside = known.as_ref().and_then(T::select);
    let found = session::authenticate_with(&state.db, cookie, now, beside)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let read = match (known, &found.beside) {
        (Some(scope), Some(row)) if scope == found.user.scope => Some(T::from_row(row)?),
        _ => None,
    };
    state.known_scopes.remember(id_hash, found.user.scope);
    if let Some(ticket) = ticket {
        let kept = &state.kept_sessions;
        kept.keep_session(ticket, &found.user, found.expires_at);
        if let Some(read) = &read {
            kept.keep_beside(ticket, found.user.scope, read);
        }
    }
    Ok(CallerWith(found.user, read))
}

/// What a page that reads nothing beside its caller reads.
#[derive(Clone)]
struct Nothing;

impl Beside for Nothing {
    fn select(_: &Scope) -> Option<sea_orm::sea_query::SelectStatement> {
        None
    }

    fn from_row(_: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok(Nothing)
    }
}

/// The scope of each session seen lately (by the hash the sessions table keys it by),
/// for [`CallerWith`] to know what to read beside the session before reading it.
/// Bounded: past [`KnownScopes::MAX`] sessions it starts over (the next request of each
/// reads as on its first).
#[derive(Default)]
pub struct KnownScopes {
    inner: std::sync::Mutex<std::collections::HashMap<String, Scope>>,
}

impl KnownScopes {
    /// About 1.5 MB at most.
    const MAX: usize = 10_000;

    fn get(&self, id_hash: &str) -> Option<Scope> {
        self.lock().get(id_hash).copied()
    }

    fn remember(&self, id_hash: String, scope: Scope) {
        let mut known = self.lock();
        if known.get(&id_hash) == Some(&scope) {
            return;
        }
        if known.len() >= Self::MAX {
            known.clear();
        }
        known.insert(id_hash, scope);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Scope>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
