//! The approval chain of a reconciliation (domain.md §5, manual §12.9), pure: the partner
//! approves once the month has ended, its sales center approves or returns it with a
//! comment; `approved` is final.

use crate::role::Role;

crate::code_enum! {
    /// Where a reconciliation stands.
    pub enum ReconciliationState {
        Open = "open",
        ApprovedByPartner = "approved_by_partner",
        Approved = "approved",
        Returned = "returned",
    }
}

impl ReconciliationState {
    pub fn title_ru(self) -> &'static str {
        match self {
            ReconciliationState::Open => "Открыта",
            ReconciliationState::ApprovedByPartner => "Одобрено партнером",
            ReconciliationState::Approved => "Одобрено Центром Продаж",
            ReconciliationState::Returned => "Возвращена партнеру",
        }
    }

    /// Lines may be edited: only while the partner works on it.
    pub fn editable(self) -> bool {
        matches!(
            self,
            ReconciliationState::Open | ReconciliationState::Returned
        )
    }
}

crate::code_enum! {
    pub enum ReconciliationEvent {
        /// Одобрить (the partner).
        ApproveByPartner = "approve_by_partner",
        /// Одобрить (the sales center).
        Approve = "approve",
        /// Вернуть партнеру с комментарием.
        Return = "return",
    }
}

impl ReconciliationEvent {
    pub fn title_ru(self) -> &'static str {
        match self {
            ReconciliationEvent::ApproveByPartner => "Одобрить (партнер)",
            ReconciliationEvent::Approve => "Одобрить (центр продаж)",
            ReconciliationEvent::Return => "Вернуть партнеру",
        }
    }

    /// Who may fire it (scope is checked by the service).
    pub fn fired_by(self) -> Role {
        match self {
            ReconciliationEvent::ApproveByPartner => Role::Partner,
            ReconciliationEvent::Approve | ReconciliationEvent::Return => Role::SalesCenter,
        }
    }
}

/// The event is not allowed in the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event {event} is not allowed in state {from}")]
pub struct ReconciliationTransitionError {
    pub from: ReconciliationState,
    pub event: ReconciliationEvent,
}

/// Why the chain refuses a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Transition(#[from] ReconciliationTransitionError),
    /// The month is still running: the document is a live preview until it ends.
    #[error("сверку можно одобрить после окончания месяца")]
    MonthNotEnded,
}

/// The transition table.
///
/// # Errors
/// A pair the table does not list, or the partner's approval before the month ended.
pub fn apply(
    state: ReconciliationState,
    event: ReconciliationEvent,
    month_ended: bool,
) -> Result<ReconciliationState, Refusal> {
    use ReconciliationEvent as E;
    use ReconciliationState::*;
    let to = match (state, event) {
        (Open | Returned, E::ApproveByPartner) => ApprovedByPartner,
        (ApprovedByPartner, E::Approve) => Approved,
        (ApprovedByPartner, E::Return) => Returned,
        (from, event) => return Err(ReconciliationTransitionError { from, event }.into()),
    };
    if event == E::ApproveByPartner && !month_ended {
        return Err(Refusal::MonthNotEnded);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::ReconciliationEvent as E;
    use super::ReconciliationState::*;
    use super::*;

    #[test]
    fn the_chain_runs_partner_then_sales_center() {
        assert_eq!(
            apply(Open, E::ApproveByPartner, true),
            Ok(ApprovedByPartner)
        );
        assert_eq!(apply(ApprovedByPartner, E::Approve, true), Ok(Approved));
        assert_eq!(apply(ApprovedByPartner, E::Return, true), Ok(Returned));
        assert_eq!(
            apply(Returned, E::ApproveByPartner, true),
            Ok(ApprovedByPartner)
        );
    }

    #[test]
    fn approval_waits_for_the_month_end() {
        assert_eq!(
            apply(Open, E::ApproveByPartner, false),
            Err(Refusal::MonthNotEnded)
        );
    }

    #[test]
    fn approved_is_final_and_nothing_skips_the_partner() {
        for e in ReconciliationEvent::ALL {
            assert!(apply(Approved, e, true).is_err(), "{e}");
        }
        assert!(apply(Open, E::Approve, true).is_err());
        assert!(apply(Open, E::Return, true).is_err());
        assert!(apply(Returned, E::Approve, true).is_err());
    }
}
