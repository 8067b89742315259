//! What the product will do by itself next, and when (issue 9: «future dates in sight»):
//! shown on registry rows and cards, and returned by the API as `next_action: {kind, at}`.

use chrono::{DateTime, Utc};
use serde::Serialize;

crate::code_enum! {
    /// The automatic actions a person should see coming.
    #[derive(utoipa::ToSchema)]
    pub enum NextKind {
        /// The 30-day rule rejects an application not sent to processing.
        AutoReject = "auto_reject",
        /// Identification fails when the owner has not come within 10 working days.
        IdentificationFails = "identification_fails",
        /// A deferred-ITS subscriber is blocked a month after connection.
        DeferredItsBlock = "deferred_its_block",
    }
}

impl NextKind {
    pub fn title_ru(self) -> &'static str {
        match self {
            NextKind::AutoReject => "Автоматическое отклонение",
            NextKind::IdentificationFails => "Идентификация не пройдена (неявка)",
            NextKind::DeferredItsBlock => "Блокировка: подписка ИТС ПРОФ не зарегистрирована",
        }
    }
}

/// An automatic action and the moment it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NextAction {
    pub kind: NextKind,
    pub at: DateTime<Utc>,
}

/// The earlier of two coming actions.
pub fn earliest(a: Option<NextAction>, b: Option<NextAction>) -> Option<NextAction> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.at < x.at { y } else { x }),
        (x, y) => x.or(y),
    }
}
