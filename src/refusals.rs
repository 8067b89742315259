//! Domain refusals become `AppError`s here, in one place: each pure module's typed error
//! keeps its meaning (a transition the state does not allow is a 409 naming the state, a
//! rule is a 409 with the rule's own sentence, a role is a 403), and the Russian text
//! reaches the API's problem+json and the page's message unchanged.

use crate::applications::state::TransitionError;
use crate::error::AppError;
use crate::subscribers::certificates::RequestTransitionError;
use crate::tariffs::licence::{LicenceRefusal, LicenceTransitionError};

/// A transition the machine refused, as a 409 naming the event and the current state.
macro_rules! transition_refused {
    ($error:ty, $subject:literal) => {
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                AppError::Conflict {
                    current_state: e.from.as_str().to_owned(),
                    event: e.event.as_str().to_owned(),
                    message: format!(
                        concat!("Действие «{}» недоступно: ", $subject, " в состоянии «{}»."),
                        e.event.title_ru(),
                        e.from.title_ru()
                    ),
                }
            }
        }
    };
}

transition_refused!(TransitionError, "заявление");
transition_refused!(RequestTransitionError, "заявление на отзыв");
transition_refused!(LicenceTransitionError, "лицензия");
transition_refused!(
    crate::reconciliation::state::ReconciliationTransitionError,
    "сверка"
);

impl From<crate::reconciliation::state::Refusal> for AppError {
    fn from(r: crate::reconciliation::state::Refusal) -> Self {
        use crate::reconciliation::state::Refusal;
        match r {
            Refusal::Transition(t) => t.into(),
            Refusal::MonthNotEnded => {
                AppError::refused("month_not_ended", sentence(&r.to_string()))
            }
        }
    }
}

impl From<LicenceRefusal> for AppError {
    fn from(r: LicenceRefusal) -> Self {
        match r {
            // The one refusal that is about who asks, not about the licence.
            LicenceRefusal::Role => AppError::Forbidden,
            other => AppError::refused(other.code(), sentence(&other.to_string())),
        }
    }
}

impl From<crate::tariffs::licence::Denied> for AppError {
    fn from(d: crate::tariffs::licence::Denied) -> Self {
        match d {
            crate::tariffs::licence::Denied::Transition(t) => t.into(),
            crate::tariffs::licence::Denied::Refusal(r) => r.into(),
        }
    }
}

impl From<crate::tariffs::pricing::Refusal> for AppError {
    fn from(r: crate::tariffs::pricing::Refusal) -> Self {
        AppError::invalid(r.field, r.message)
    }
}

/// A rule's message as a sentence: capitalised, with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut s: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::state::{Event, State};
    use crate::error::AppError;

    #[test]
    fn a_transition_refusal_names_the_event_and_the_state() {
        let e: AppError = TransitionError {
            from: State::InProcessing,
            event: Event::SendToProcessing,
        }
        .into();
        let p = e.problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.current_state.as_deref(), Some("in_processing"));
        assert_eq!(
            p.detail,
            "Действие «В обработку» недоступно: заявление в состоянии «В обработке»."
        );
    }

    #[test]
    fn a_partner_revoking_an_approved_licence_reads_the_rule_not_its_role() {
        let p = AppError::from(LicenceRefusal::ApprovedInReconciliation).problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.refusal.as_deref(), Some("approved_in_reconciliation"));
        assert!(
            p.detail.starts_with("Лицензия уже одобрена в сверке"),
            "{}",
            p.detail
        );
        assert_eq!(AppError::from(LicenceRefusal::Role).problem().status, 403);
    }
}
