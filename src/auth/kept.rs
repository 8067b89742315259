//! Sessions, and the one-row read a page makes beside them ([`super::Beside`]), kept in
//! memory on PostgreSQL: a page asked again — the registry, kept under its scope's
//! stamp — is then served without a query. On PostgreSQL every query is a round trip
//! and about 100 µs of the database's CPU; that round trip was all a kept registry page
//! still cost (issue 11).
//!
//! What is kept is dropped — all of it at once — as soon as anything it was read from
//! may have changed:
//! - after every request that may have written (anything but a `GET` — and a `GET`
//!   answered with a redirect, which may have left a message for the next page) and
//!   every run of the jobs, before the answer leaves ([`after_writes`],
//!   [`KeptSessions::written`]): a person who acted sees what they did on the next page;
//! - on a notification from PostgreSQL (`LISTEN registrar_changes`): the database
//!   notifies on every statement that changes sessions, users, their organisations or
//!   the registry's counts (migration `m20261210_100000_notify_changes`), whoever wrote
//!   it — another `serve` on the same database, a CLI command, a person in `psql`;
//! - when the listening connection is lost: nothing is kept until it listens again
//!   (notifications sent in between are lost, so what was kept is dropped, and kept
//!   again only from reads made after the new `LISTEN`);
//! - and each entry after [`KEPT_FOR`] whatever happens, should a connection die
//!   silently.
//!
//! SQLite keeps nothing here: another process (the CLI) may write to the same file
//! without telling this one, and SQLite's reads are in-process anyway.
//!
//! Another server's write reaches this one as fast as PostgreSQL delivers the
//! notification (a fraction of a millisecond on one host): a session signed out there
//! may be accepted here for that long, as a replica's lag would allow.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{CurrentUser, Scope};

/// The PostgreSQL channel the database notifies on (see the module's doc).
pub const CHANNEL: &str = "registrar_changes";

/// How long an entry is trusted without a notification, at most: the bound on how stale
/// a page could be if the listening connection died without PostgreSQL or the network
/// saying so. One query per session every five seconds costs nothing.
pub const KEPT_FOR: Duration = Duration::from_secs(5);

/// Past this many sessions (about 1 KB each) or reads, what is kept starts over.
const MAX_ENTRIES: usize = 10_000;

/// A moment in the writes' count, taken before a read: what the read returns may be kept
/// only if nothing was written since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// What one server keeps (see the module's doc).
#[derive(Default)]
pub struct KeptSessions {
    listening: AtomicBool,
    /// Moves with every write this server makes and every notification: what was read
    /// before it moved is not handed out after.
    writes: AtomicU64,
    inner: Mutex<Inner>,
    /// The payload of the last notification that carried one (see [`Self::last_heard`]).
    heard: Mutex<String>,
}

#[derive(Default)]
struct Inner {
    /// The writes' count everything below was read at.
    at: u64,
    sessions: HashMap<String, KeptSession>,
    beside: HashMap<(TypeId, Scope), (Arc<dyn Any + Send + Sync>, Instant)>,
}

struct KeptSession {
    user: CurrentUser,
    expires_at: DateTime<Utc>,
    read: Instant,
}

impl KeptSessions {
    /// Call after a write commits (not before: a read between the two would be kept as
    /// current).
    pub fn written(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    /// Before reading what may be kept: `None` when nothing may be (not listening).
    pub fn ticket(&self) -> Option<Ticket> {
        self.listening
            .load(Ordering::SeqCst)
            .then(|| Ticket(self.writes.load(Ordering::SeqCst)))
    }

    /// The caller behind a session's hash, as read before, if nothing changed since and
    /// the session has not ended.
    pub fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Option<CurrentUser> {
        let inner = self.current()?;
        let kept = inner.sessions.get(id_hash)?;
        (kept.expires_at > now && kept.read.elapsed() < KEPT_FOR).then(|| kept.user.clone())
    }

    /// A session as it was read with `ticket` taken before. Only a session without a
    /// pending message (the message is taken by the read that shows it).
    pub fn keep_session(&self, ticket: Ticket, user: &CurrentUser, expires_at: DateTime<Utc>) {
        let Some(session) = &user.session else {
            return;
        };
        if session.flash.is_some() || session.form_echo.is_some() {
            return;
        }
        let Some(mut inner) = self.at(ticket) else {
            return;
        };
        if inner.sessions.len() >= MAX_ENTRIES {
            inner.sessions.clear();
        }
        let mut user = user.clone();
        user.submitted = None;
        user.test_now = None;
        inner.sessions.insert(
            session.id_hash.clone(),
            KeptSession {
                user,
                expires_at,
                read: Instant::now(),
            },
        );
    }

    /// What a page read beside a session of `scope`, if nothing changed since.
    pub fn beside<T: Clone + Send + Sync + 'static>(&self, scope: &Scope) -> Option<T> {
        let inner = self.current()?;
        let (read, at) = inner.beside.get(&(TypeId::of::<T>(), *scope))?;
        if at.elapsed() >= KEPT_FOR {
            return None;
        }
        read.downcast_ref::<T>().cloned()
    }

    /// A page's read beside a session of `scope`, made with `ticket` taken before.
    pub fn keep_beside<T: Clone + Send + Sync + 'static>(
        &self,
        ticket: Ticket,
        scope: Scope,
        read: &T,
    ) {
        let Some(mut inner) = self.at(ticket) else {
            return;
        };
        if inner.beside.len() >= MAX_ENTRIES {
            inner.beside.clear();
        }
        inner.beside.insert(
            (TypeId::of::<T>(), scope),
            (Arc::new(read.clone()), Instant::now()),
        );
    }

    /// The payload of the last notification heard that carried one (the database's own
    /// carry none). Notifications arrive in the order their transactions committed: once
    /// a payload sent after a commit is heard, so is everything that commit changed —
    /// how a test knows the server heard of a change it made behind the server's back.
    pub fn last_heard(&self) -> String {
        self.heard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether this server listens for the database's notifications now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// How many sessions are kept (for tests).
    pub fn sessions_kept(&self) -> usize {
        self.current().map_or(0, |inner| inner.sessions.len())
    }

    /// What is kept, if it is current: nothing while not listening or after a write.
    fn current(&self) -> Option<MutexGuard<'_, Inner>> {
        if !self.is_listening() {
            return None;
        }
        let now = self.writes.load(Ordering::SeqCst);
        let mut inner = self.lock();
        if inner.at != now {
            inner.start_over(now);
            return None;
        }
        Some(inner)
    }

    /// What is kept, to add what was read with `ticket` — `None` when a write came
    /// between (the read may be older than it).
    fn at(&self, ticket: Ticket) -> Option<MutexGuard<'_, Inner>> {
        let mut inner = self.lock();
        if !self.is_listening() || self.writes.load(Ordering::SeqCst) != ticket.0 {
            return None;
        }
        if inner.at != ticket.0 {
            inner.start_over(ticket.0);
        }
        Some(inner)
    }

    fn set_listening(&self, listening: bool) {
        // Whichever way it turns, what was kept goes: before listening, notifications
        // were missed; after, none will come.
        self.listening.store(listening, Ordering::SeqCst);
        self.written();
        self.lock().start_over(self.writes.load(Ordering::SeqCst));
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn start_over(&mut self, at: u64) {
        self.at = at;
        self.sessions.clear();
        self.beside.clear();
    }
}

/// Listens for the database's notifications for as long as `kept` is in use: each one
/// drops what is kept; a lost connection stops keeping until a new one listens (tried
/// again every second). PostgreSQL only.
pub fn spawn_listener(database_url: String, kept: &Arc<KeptSessions>) {
    let kept = Arc::downgrade(kept);
    tokio::spawn(async move {
        loop {
            match listen(&database_url, &kept).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "not listening for the database's changes");
                    let Some(k) = kept.upgrade() else { return };
                    k.set_listening(false);
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Listens until the connection is lost (`Err`) or `kept` is dropped (`Ok`).
async fn listen(database_url: &str, kept: &Weak<KeptSessions>) -> anyhow::Result<()> {
    use sea_orm::sqlx::postgres::PgListener;
    let mut listener = PgListener::connect(database_url).await?;
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    match kept.upgrade() {
        Some(k) => k.set_listening(true),
        None => return Ok(()),
    }
    loop {
        // Woken now and then to notice that the server is gone.
        let next = tokio::time::timeout(KEPT_FOR, listener.try_recv()).await;
        if kept.strong_count() == 0 {
            return Ok(());
        }
        match next {
            Ok(Ok(Some(notification))) => {
                if let Some(k) = kept.upgrade() {
                    k.written();
                    if !notification.payload().is_empty() {
                        notification.payload().clone_into(
                            &mut k.heard.lock().unwrap_or_else(PoisonError::into_inner),
                        );
                    }
                }
            }
            Ok(Ok(None)) => anyhow::bail!("the listening connection was lost"),
            Ok(Err(e)) => return Err(e.into()),
            Err(_elapsed) => {}
        }
    }
}

/// Around every request: one that may have written (anything but `GET`, `HEAD` and
/// `OPTIONS`) or left a message for the next page (a redirect) drops what was kept
/// before its answer leaves.
pub async fn after_writes(
    axum::extract::State(kept): axum::extract::State<Arc<KeptSessions>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let reads_only = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    if !reads_only || response.status().is_redirection() {
        kept.written();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Role, WebSession};

    fn caller(id_hash: &str) -> CurrentUser {
        CurrentUser {
            id: 1,
            login: "p-klg-1".into(),
            full_name: "Иванов".into(),
            role: Role::Partner,
            scope: Scope::Partner {
                partner_id: 1,
                sales_center_id: 1,
            },
            organisation: Some("ООО «Партнёр»".into()),
            session: Some(WebSession {
                id_hash: id_hash.into(),
                csrf_token: "t".into(),
                flash: None,
                form_echo: None,
            }),
            submitted: None,
            test_now: None,
        }
    }

    fn listening() -> KeptSessions {
        let kept = KeptSessions::default();
        kept.set_listening(true);
        kept
    }

    fn later() -> DateTime<Utc> {
        Utc::now() + chrono::Duration::hours(1)
    }

    #[test]
    fn nothing_is_kept_while_not_listening() {
        let kept = KeptSessions::default();
        assert_eq!(kept.ticket(), None);
        let kept = listening();
        let ticket = kept.ticket().unwrap();
        kept.set_listening(false);
        kept.keep_session(ticket, &caller("a"), later());
        assert!(kept.session("a", Utc::now()).is_none());
    }

    #[test]
    fn a_session_is_handed_out_until_a_write() {
        let kept = listening();
        let ticket = kept.ticket().unwrap();
        kept.keep_session(ticket, &caller("a"), later());
        assert_eq!(kept.session("a", Utc::now()).unwrap().login, "p-klg-1");
        assert!(kept.session("b", Utc::now()).is_none());
        kept.written();
        assert!(kept.session("a", Utc::now()).is_none());
    }

    #[test]
    fn a_read_older_than_a_write_is_not_kept() {
        let kept = listening();
        let ticket = kept.ticket().unwrap();
        kept.written();
        kept.keep_session(ticket, &caller("a"), later());
        kept.keep_beside(ticket, caller("a").scope, &7_i64);
        assert!(kept.session("a", Utc::now()).is_none());
        assert!(kept.beside::<i64>(&caller("a").scope).is_none());
    }

    #[test]
    fn an_ended_session_or_one_with_a_message_is_not_handed_out() {
        let kept = listening();
        let ticket = kept.ticket().unwrap();
        kept.keep_session(ticket, &caller("a"), Utc::now());
        assert!(kept.session("a", Utc::now()).is_none(), "ended");
        let mut with_message = caller("b");
        with_message.session.as_mut().unwrap().flash = Some(crate::auth::session::Flash {
            kind: crate::auth::session::FlashKind::Success,
            text: "Сохранено".into(),
        });
        kept.keep_session(ticket, &with_message, later());
        assert!(kept.session("b", Utc::now()).is_none(), "message pending");
    }

    #[test]
    fn a_read_beside_is_kept_per_scope_and_type() {
        let kept = listening();
        let ticket = kept.ticket().unwrap();
        let scope = caller("a").scope;
        kept.keep_beside(ticket, scope, &7_i64);
        assert_eq!(kept.beside::<i64>(&scope), Some(7));
        assert_eq!(kept.beside::<i32>(&scope), None);
        assert_eq!(kept.beside::<i64>(&Scope::Operator), None);
    }
}
