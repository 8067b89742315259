//! The licence (a tariff granted to a subscriber) lifecycle of domain.md §4, as pure code:
//! `pending → registered ⇄ blocked`, and `revoked` from any of them, for good.
//!
//! Who may revoke depends on the reconciliation: partner staff only while the licence is
//! not yet approved in a reconciliation; the sales center also afterwards.

use chrono::NaiveDate;

use crate::role::Role;

crate::code_enum! {
    pub enum LicenceState {
        Pending = "pending",
        Registered = "registered",
        Blocked = "blocked",
        Revoked = "revoked",
    }
}

impl LicenceState {
    /// Not revoked: the licence still counts for the subscriber's connection.
    pub fn is_live(self) -> bool {
        self != LicenceState::Revoked
    }
    /// As the Тарифы tab names it.
    pub fn title_ru(self) -> &'static str {
        match self {
            LicenceState::Pending => "В ожидании",
            LicenceState::Registered => "Зарегистрировано",
            LicenceState::Blocked => "Заблокировано",
            LicenceState::Revoked => "Отозвано",
        }
    }
}

crate::code_enum! {
    pub enum LicenceEvent {
        /// The licence was registered with the operator.
        Register = "register",
        /// Заблокировать.
        Block = "block",
        /// Возобновить.
        Resume = "resume",
        /// Отозвать.
        Revoke = "revoke",
    }
}

impl LicenceEvent {
    /// The action as its button names it.
    pub fn title_ru(self) -> &'static str {
        match self {
            LicenceEvent::Register => "Зарегистрировать",
            LicenceEvent::Block => "Заблокировать",
            LicenceEvent::Resume => "Возобновить",
            LicenceEvent::Revoke => "Отозвать",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event {event:?} is not allowed in licence state {from}")]
pub struct LicenceTransitionError {
    pub from: LicenceState,
    pub event: LicenceEvent,
}

/// The transition table.
///
/// # Errors
/// Every pair the table does not list; nothing leaves `revoked`.
pub fn apply(
    state: LicenceState,
    event: LicenceEvent,
) -> Result<LicenceState, LicenceTransitionError> {
    use LicenceEvent as E;
    use LicenceState::*;
    match (state, event) {
        (Pending, E::Register) => Ok(Registered),
        (Registered, E::Block) => Ok(Blocked),
        (Blocked, E::Resume) => Ok(Registered),
        // Revoking is irreversible.
        (Pending | Registered | Blocked, E::Revoke) => Ok(Revoked),
        (from, event) => Err(LicenceTransitionError { from, event }),
    }
}

/// Why an otherwise allowed action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenceRefusal {
    #[error("лицензия уже одобрена в сверке: отозвать её может только центр продаж")]
    ApprovedInReconciliation,
    #[error("расширение КриптоПро CSP в составе сертификата отозвать нельзя")]
    NotRevocable,
    #[error("у абонента есть лицензии, начинающиеся в будущем: сначала отзовите их")]
    FutureLicences,
    #[error(
        "лицензия ещё не зарегистрирована: она зарегистрируется или будет отозвана вместе с заявлением"
    )]
    AwaitingRegistration,
    #[error("роль не может выполнить это действие")]
    Role,
}

impl LicenceRefusal {
    /// The refusal's code in problem documents.
    pub fn code(&self) -> &'static str {
        match self {
            LicenceRefusal::ApprovedInReconciliation => "approved_in_reconciliation",
            LicenceRefusal::NotRevocable => "not_revocable",
            LicenceRefusal::FutureLicences => "future_licences_first",
            LicenceRefusal::AwaitingRegistration => "awaiting_registration",
            LicenceRefusal::Role => "role",
        }
    }
}

/// Whether `role` may revoke a licence, given whether a reconciliation already approved it
/// and whether the catalog item is revocable at all.
///
/// # Errors
/// The reason when not.
pub fn may_revoke(
    role: Role,
    approved_in_reconciliation: bool,
    revocable: bool,
) -> Result<(), LicenceRefusal> {
    if !revocable {
        return Err(LicenceRefusal::NotRevocable);
    }
    match role {
        Role::SalesCenter | Role::Operator => Ok(()),
        Role::Partner if !approved_in_reconciliation => Ok(()),
        Role::Partner => Err(LicenceRefusal::ApprovedInReconciliation),
        _ => Err(LicenceRefusal::Role),
    }
}

/// Everything that decides whether a person may act on a licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenceFacts {
    pub state: LicenceState,
    pub role: Role,
    pub revocable: bool,
    pub approved_in_reconciliation: bool,
}

/// Why an action on a licence is refused: the state does not allow it, or a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error(transparent)]
    Transition(#[from] LicenceTransitionError),
    #[error(transparent)]
    Refusal(#[from] LicenceRefusal),
}

/// The one decision behind both the card's buttons and the service: may this person
/// fire `event` on this licence, and where does it lead? Registering is the system's
/// (at registration), never a person's.
///
/// # Errors
/// The reason when not.
pub fn decide(f: &LicenceFacts, event: LicenceEvent) -> Result<LicenceState, Denied> {
    if event == LicenceEvent::Register
        || !matches!(f.role, Role::Partner | Role::SalesCenter | Role::Operator)
    {
        return Err(LicenceRefusal::Role.into());
    }
    // A licence «В ожидании» follows its application (manual l.1343): registered at
    // registration, revoked when the authority refuses — never by hand.
    if f.state == LicenceState::Pending {
        return Err(LicenceRefusal::AwaitingRegistration.into());
    }
    if event == LicenceEvent::Revoke {
        may_revoke(f.role, f.approved_in_reconciliation, f.revocable)?;
    }
    Ok(apply(f.state, event)?)
}

/// The actions a page offers for a licence: exactly those [`decide`] allows.
pub fn available(f: &LicenceFacts) -> Vec<LicenceEvent> {
    LicenceEvent::ALL
        .into_iter()
        .filter(|e| decide(f, *e).is_ok())
        .collect()
}

/// §2.1.2: the day a deferred-ITS connection that started on `starts_on` is blocked
/// unless a PROF subscription was registered meanwhile — one calendar month later.
pub fn deferred_its_block_on(starts_on: NaiveDate) -> Option<NaiveDate> {
    starts_on.checked_add_months(chrono::Months::new(1))
}

/// A licence as the blocking rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct LicenceTerm {
    pub state: LicenceState,
    pub starts_on: NaiveDate,
}

/// Blocking a subscriber needs its future licences revoked first (§8.1).
///
/// # Errors
/// `FutureLicences` while one is still live.
pub fn may_block_subscriber(
    licences: &[LicenceTerm],
    today: NaiveDate,
) -> Result<(), LicenceRefusal> {
    if licences
        .iter()
        .any(|l| l.starts_on > today && l.state != LicenceState::Revoked)
    {
        Err(LicenceRefusal::FutureLicences)
    } else {
        Ok(())
    }
}

/// Revoking the only live licence disconnects the subscriber (§8.2).
pub fn disconnects(licences: &[LicenceState], revoking: usize) -> bool {
    licences
        .iter()
        .enumerate()
        .all(|(i, s)| i == revoking || *s == LicenceState::Revoked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LicenceEvent as E;
    use LicenceState::*;
    use proptest::prelude::*;

    const TABLE: &[(LicenceState, LicenceEvent, LicenceState)] = &[
        (Pending, E::Register, Registered),
        (Registered, E::Block, Blocked),
        (Blocked, E::Resume, Registered),
        (Pending, E::Revoke, Revoked),
        (Registered, E::Revoke, Revoked),
        (Blocked, E::Revoke, Revoked),
    ];

    #[test]
    fn every_pair_matches_the_table() {
        for s in LicenceState::ALL {
            for e in LicenceEvent::ALL {
                let expected = TABLE
                    .iter()
                    .find(|(f, ev, _)| *f == s && *ev == e)
                    .map(|t| t.2);
                assert_eq!(apply(s, e).ok(), expected, "{s} + {}", e.as_str());
            }
        }
    }

    #[test]
    fn the_buttons_are_what_the_service_allows() {
        let f = |state, role, revocable, approved| LicenceFacts {
            state,
            role,
            revocable,
            approved_in_reconciliation: approved,
        };
        assert_eq!(
            available(&f(Registered, Role::Partner, true, false)),
            vec![E::Block, E::Revoke]
        );
        // An approved licence offers the partner no «Отозвать»; the sales center still has it.
        assert_eq!(
            available(&f(Registered, Role::Partner, true, true)),
            vec![E::Block]
        );
        assert_eq!(
            available(&f(Registered, Role::SalesCenter, true, true)),
            vec![E::Block, E::Revoke]
        );
        assert_eq!(
            available(&f(Blocked, Role::Partner, false, false)),
            vec![E::Resume]
        );
        assert!(available(&f(Registered, Role::IdentificationCenter, true, false)).is_empty());
        // «В ожидании» follows its application: nothing by hand, whoever asks.
        assert!(available(&f(Pending, Role::Operator, true, false)).is_empty());
        assert_eq!(
            decide(&f(Pending, Role::Partner, true, false), E::Revoke),
            Err(Denied::Refusal(LicenceRefusal::AwaitingRegistration))
        );
        for s in LicenceState::ALL {
            for e in available(&f(s, Role::Partner, true, false)) {
                assert!(decide(&f(s, Role::Partner, true, false), e).is_ok());
            }
        }
    }

    #[test]
    fn only_the_sales_center_revokes_after_approval() {
        assert!(may_revoke(Role::Partner, false, true).is_ok());
        assert_eq!(
            may_revoke(Role::Partner, true, true),
            Err(LicenceRefusal::ApprovedInReconciliation)
        );
        assert!(may_revoke(Role::SalesCenter, true, true).is_ok());
        assert_eq!(
            may_revoke(Role::SalesCenter, false, false),
            Err(LicenceRefusal::NotRevocable),
            "CryptoPro"
        );
        assert_eq!(
            may_revoke(Role::IdentificationCenter, false, true),
            Err(LicenceRefusal::Role)
        );
    }

    #[test]
    fn future_licences_are_revoked_before_blocking() {
        let today: NaiveDate = "2025-03-03".parse().unwrap();
        let future = LicenceTerm {
            state: Pending,
            starts_on: "2025-06-01".parse().unwrap(),
        };
        let current = LicenceTerm {
            state: Registered,
            starts_on: "2024-06-01".parse().unwrap(),
        };
        assert_eq!(
            may_block_subscriber(&[current, future], today),
            Err(LicenceRefusal::FutureLicences)
        );
        assert!(
            may_block_subscriber(
                &[
                    current,
                    LicenceTerm {
                        state: Revoked,
                        ..future
                    }
                ],
                today
            )
            .is_ok()
        );
    }

    #[test]
    fn revoking_the_only_live_licence_disconnects() {
        assert!(disconnects(&[Registered], 0));
        assert!(disconnects(&[Revoked, Blocked], 1));
        assert!(!disconnects(&[Registered, Registered], 0));
    }

    fn any_event() -> impl Strategy<Value = LicenceEvent> {
        prop::sample::select(LicenceEvent::ALL.to_vec())
    }

    proptest! {
        /// Revoked is absorbing: once revoked, no sequence of events brings a licence back.
        #[test]
        fn revoked_is_absorbing(events in prop::collection::vec(any_event(), 0..30)) {
            let mut s = Pending;
            let mut revoked = false;
            for e in events {
                if let Ok(next) = apply(s, e) {
                    prop_assert!(!revoked, "left revoked via {:?}", e);
                    s = next;
                }
                revoked |= s == Revoked;
                prop_assert_eq!(s == Revoked, revoked);
            }
        }
    }
}
