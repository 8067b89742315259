//! The application lifecycle (domain.md §2) as pure code: states, events, the transition
//! table, and who may fire which event. No database, no clock.

use crate::role::Role;

crate::code_enum! {
    pub enum State {
        Submitted = "submitted",
        Accepted = "accepted",
        Identification = "identification",
        IdentificationPassed = "identification_passed",
        IdentificationFailed = "identification_failed",
        InProcessing = "in_processing",
        AwaitingReceipt = "awaiting_receipt",
        Registered = "registered",
        Rejected = "rejected",
        AutoRejected = "auto_rejected",
    }
}

impl State {
    /// The state as the UI names it.
    pub fn title_ru(self) -> &'static str {
        match self {
            State::Submitted => "Новая (не принята)",
            State::Accepted => "Принята",
            State::Identification => "Идентификация",
            State::IdentificationPassed => "Идентификация пройдена",
            State::IdentificationFailed => "Идентификация не пройдена",
            State::InProcessing => "В обработке",
            State::AwaitingReceipt => "Ожидание расписки",
            State::Registered => "Зарегистрирована",
            State::Rejected => "Отклонена",
            State::AutoRejected => "Отклонена автоматически",
        }
    }

    /// States before `in_processing`: the 30-day rule applies to them.
    pub fn is_before_processing(self) -> bool {
        matches!(
            self,
            State::Submitted
                | State::Accepted
                | State::Identification
                | State::IdentificationPassed
                | State::IdentificationFailed
        )
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Registered | State::Rejected | State::AutoRejected
        )
    }
}

crate::code_enum! {
    /// Everything that can happen to an application after it was submitted.
    pub enum Event {
        /// Получить заявку: a partner takes an unclaimed application.
        Claim = "claim",
        /// A sales center hands an unclaimed application to one of its partners (§14).
        Assign = "assign",
        /// Делегировать идентификацию (§6).
        DelegateIdentification = "delegate_identification",
        IdentificationPassed = "identification_passed",
        IdentificationFailed = "identification_failed",
        /// В обработку.
        SendToProcessing = "send_to_processing",
        /// The processing pipeline issued the requested certificate.
        CertificateIssued = "certificate_issued",
        /// The processing pipeline finished (no certificate requested).
        ProcessingDone = "processing_done",
        /// The subscriber's receipt for the certificate arrived from 1C.
        Receipt = "receipt",
        Reject = "reject",
        /// The 30-day job.
        AutoReject = "auto_reject",
        /// The certification authority refused to process the application.
        CaRefused = "ca_refused",
    }
}

impl Event {
    pub fn title_ru(self) -> &'static str {
        match self {
            Event::Claim => "Получить заявку",
            Event::Assign => "Назначить партнеру",
            Event::DelegateIdentification => "Делегировать идентификацию",
            Event::IdentificationPassed => "Идентификация пройдена",
            Event::IdentificationFailed => "Идентификация не пройдена",
            Event::SendToProcessing => "В обработку",
            Event::CertificateIssued => "Сертификат выпущен",
            Event::ProcessingDone => "Обработка завершена",
            Event::Receipt => "Расписка получена",
            Event::Reject => "Отклонить",
            Event::AutoReject => "Автоматическое отклонение",
            Event::CaRefused => "Отказ удостоверяющего центра",
        }
    }

    /// Events that must carry a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Event::Reject | Event::IdentificationFailed | Event::AutoReject | Event::CaRefused
        )
    }
}

/// The event is not allowed in the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event {event} is not allowed in state {from}")]
pub struct TransitionError {
    pub from: State,
    pub event: Event,
}

/// The transition table of domain.md §2: one arm per allowed transition.
///
/// # Errors
/// Every (state, event) pair the table does not list.
pub fn apply(state: State, event: Event) -> Result<State, TransitionError> {
    use Event as E;
    use State::*;
    match (state, event) {
        (Submitted, E::Claim | E::Assign) => Ok(Accepted),
        (Accepted, E::DelegateIdentification) => Ok(Identification),
        (Identification, E::IdentificationPassed) => Ok(IdentificationPassed),
        (Identification, E::IdentificationFailed) => Ok(IdentificationFailed),
        (Accepted | IdentificationPassed, E::SendToProcessing) => Ok(InProcessing),
        (InProcessing, E::CertificateIssued) => Ok(AwaitingReceipt),
        (InProcessing, E::ProcessingDone) => Ok(Registered),
        (AwaitingReceipt, E::Receipt) => Ok(Registered),
        (InProcessing, E::CaRefused) => Ok(Rejected),
        // While in identification the partner can neither process nor reject (§6).
        (Submitted | Accepted | IdentificationPassed | IdentificationFailed, E::Reject) => {
            Ok(Rejected)
        }
        (s, E::AutoReject) if s.is_before_processing() => Ok(AutoRejected),
        (from, event) => Err(TransitionError { from, event }),
    }
}

/// Who fires an event: a person in a role, or the system (jobs, the processing pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firer {
    Role(Role),
    System,
}

/// Whether `who` may fire `event` at all (scope is checked separately).
pub fn may_fire(who: Firer, event: Event) -> bool {
    use Event as E;
    use Role as R;
    match who {
        Firer::System => matches!(
            event,
            // A paperless renewal goes to processing without the partner (§3).
            E::SendToProcessing
                | E::AutoReject
                | E::IdentificationFailed
                | E::CertificateIssued
                | E::ProcessingDone
                | E::CaRefused
        ),
        Firer::Role(role) => match event {
            E::Claim | E::DelegateIdentification | E::SendToProcessing => role == R::Partner,
            E::Assign => matches!(role, R::SalesCenter | R::Operator),
            // The operator's processing queue: issue or refuse by hand.
            E::CertificateIssued | E::ProcessingDone | E::CaRefused => role == R::Operator,
            E::IdentificationPassed | E::IdentificationFailed => role == R::IdentificationCenter,
            E::Receipt => role == R::Intake,
            E::Reject => matches!(role, R::Partner | R::SalesCenter | R::Operator),
            E::AutoReject => false,
        },
    }
}

/// The events a role can fire from a state: the buttons a page shows.
pub fn available(state: State, role: Role) -> Vec<Event> {
    Event::ALL
        .into_iter()
        .filter(|e| may_fire(Firer::Role(role), *e) && apply(state, *e).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;
    use proptest::prelude::*;

    /// The table of domain.md §2, written out independently of `apply`.
    const TABLE: &[(State, Event, State)] = &[
        (Submitted, Event::Claim, Accepted),
        (Submitted, Event::Assign, Accepted),
        (Accepted, Event::DelegateIdentification, Identification),
        (
            Identification,
            Event::IdentificationPassed,
            IdentificationPassed,
        ),
        (
            Identification,
            Event::IdentificationFailed,
            IdentificationFailed,
        ),
        (Accepted, Event::SendToProcessing, InProcessing),
        (IdentificationPassed, Event::SendToProcessing, InProcessing),
        (InProcessing, Event::CertificateIssued, AwaitingReceipt),
        (InProcessing, Event::ProcessingDone, Registered),
        (AwaitingReceipt, Event::Receipt, Registered),
        (InProcessing, Event::CaRefused, Rejected),
        (Submitted, Event::Reject, Rejected),
        (Accepted, Event::Reject, Rejected),
        (IdentificationPassed, Event::Reject, Rejected),
        (IdentificationFailed, Event::Reject, Rejected),
        (Submitted, Event::AutoReject, AutoRejected),
        (Accepted, Event::AutoReject, AutoRejected),
        (Identification, Event::AutoReject, AutoRejected),
        (IdentificationPassed, Event::AutoReject, AutoRejected),
        (IdentificationFailed, Event::AutoReject, AutoRejected),
    ];

    fn table(s: State, e: Event) -> Option<State> {
        TABLE
            .iter()
            .find(|(f, ev, _)| *f == s && *ev == e)
            .map(|(_, _, t)| *t)
    }

    #[test]
    fn every_state_event_pair_matches_the_table() {
        for s in State::ALL {
            for e in Event::ALL {
                match (apply(s, e), table(s, e)) {
                    (Ok(to), Some(expected)) => assert_eq!(to, expected, "{s} + {e}"),
                    (Err(err), None) => assert_eq!(err, TransitionError { from: s, event: e }),
                    (got, want) => panic!("{s} + {e}: got {got:?}, table says {want:?}"),
                }
            }
        }
    }

    /// Who may fire what, as the manual assigns it: О — operator, Ц — sales center,
    /// П — partner, И — identification center, 1 — the 1C intake, С — the system (jobs
    /// and the processing pipeline). Every event has a row, so a new event fails here
    /// until someone decides who fires it.
    #[test]
    fn who_may_fire_each_event_matches_the_table() {
        use Event as E;
        let table: [(Event, &str); Event::ALL.len()] = [
            (E::Claim, "П"),
            (E::Assign, "ОЦ"),
            (E::DelegateIdentification, "П"),
            (E::IdentificationPassed, "И"),
            (E::IdentificationFailed, "ИС"),
            (E::SendToProcessing, "ПС"),
            (E::CertificateIssued, "ОС"),
            (E::ProcessingDone, "ОС"),
            (E::Receipt, "1"),
            (E::Reject, "ОЦП"),
            (E::AutoReject, "С"),
            (E::CaRefused, "ОС"),
        ];
        let firers = [
            ('О', Firer::Role(Role::Operator)),
            ('Ц', Firer::Role(Role::SalesCenter)),
            ('П', Firer::Role(Role::Partner)),
            ('И', Firer::Role(Role::IdentificationCenter)),
            ('1', Firer::Role(Role::Intake)),
            ('С', Firer::System),
        ];
        for e in Event::ALL {
            let (_, who) = table
                .iter()
                .find(|(x, _)| *x == e)
                .unwrap_or_else(|| panic!("{e:?} has no row in the table"));
            for (mark, firer) in firers {
                assert_eq!(may_fire(firer, e), who.contains(mark), "{firer:?} × {e:?}");
            }
        }
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in [Registered, Rejected, AutoRejected] {
            assert!(Event::ALL.iter().all(|e| apply(s, *e).is_err()), "{s}");
        }
    }

    #[test]
    fn identification_locks_the_application_for_the_partner() {
        assert!(available(Identification, Role::Partner).is_empty());
        assert_eq!(
            available(Identification, Role::IdentificationCenter),
            vec![Event::IdentificationPassed, Event::IdentificationFailed]
        );
    }

    #[test]
    fn a_failed_identification_can_only_be_rejected() {
        assert_eq!(
            available(IdentificationFailed, Role::Partner),
            vec![Event::Reject]
        );
    }

    #[test]
    fn state_names_round_trip() {
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>().unwrap(), s);
        }
    }

    fn any_event() -> impl Strategy<Value = Event> {
        prop::sample::select(Event::ALL.to_vec())
    }

    proptest! {
        /// Random event sequences: only the table's transitions ever happen, refused
        /// events leave the state alone, and nothing leaves a final state.
        #[test]
        fn random_event_sequences_follow_the_table(events in prop::collection::vec(any_event(), 0..40)) {
            let mut s = Submitted;
            for e in events {
                match apply(s, e) {
                    Ok(next) => {
                        prop_assert_eq!(Some(next), table(s, e));
                        prop_assert!(!s.is_final());
                        s = next;
                    }
                    Err(err) => {
                        prop_assert_eq!(table(s, e), None);
                        prop_assert_eq!(err.from, s);
                    }
                }
            }
        }
    }
}
