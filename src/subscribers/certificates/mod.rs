//! Certificates and their revocation (§8.3): the certificate issued at registration, the
//! revocation request (draft → sent → revoked) with a prefilled Word application, the
//! signed scan, and the certification authority that revokes. The request's machine is
//! here; [`service`] loads, asks it and saves; [`docx`] writes the application;
//! [`authority`] is the port to the certification authority; [`routes`] are the edges.

pub mod authority;
pub mod docx;
pub mod routes;
pub mod service;

pub use routes::{api_routes, web_routes};
pub use service::{issue, of_subscriber};

crate::code_enum! {
    /// Reasons of §8.3.
    #[derive(utoipa::ToSchema)]
    pub enum Reason {
        KeyCompromised = "key_compromised",
        OwnerDismissed = "owner_dismissed",
        DataChanged = "data_changed",
    }
}

impl Reason {
    pub fn title_ru(self) -> &'static str {
        match self {
            Reason::KeyCompromised => "Компрометация ключа электронной подписи",
            Reason::OwnerDismissed => "Увольнение владельца сертификата",
            Reason::DataChanged => "Изменение данных, указанных в сертификате",
        }
    }
}

crate::code_enum! {
    /// The revocation request's lifecycle.
    pub enum RequestState {
        Draft = "draft",
        Sent = "sent",
        Revoked = "revoked",
    }
}

impl RequestState {
    pub fn title_ru(self) -> &'static str {
        match self {
            RequestState::Draft => "Черновик",
            RequestState::Sent => "Отправлено в УЦ",
            RequestState::Revoked => "Сертификат отозван",
        }
    }
}

crate::code_enum! {
    /// What happens to a revocation request.
    pub enum RequestEvent {
        /// The signed scan is attached (or replaced): only to a draft.
        AttachScan = "attach_scan",
        /// Sent to the certification authority.
        Send = "send",
        /// The certification authority reports the certificate revoked.
        CaRevoked = "ca_revoked",
    }
}

impl RequestEvent {
    pub fn title_ru(self) -> &'static str {
        match self {
            RequestEvent::AttachScan => "Прикрепить скан",
            RequestEvent::Send => "Отправить в УЦ",
            RequestEvent::CaRevoked => "Отзыв удостоверяющим центром",
        }
    }
}

/// A request event its state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTransitionError {
    pub from: RequestState,
    pub event: RequestEvent,
}

/// draft → (scan) → sent → revoked; nothing else.
///
/// # Errors
/// The state the event does not fit.
pub fn apply(s: RequestState, e: RequestEvent) -> Result<RequestState, RequestTransitionError> {
    use RequestEvent as E;
    use RequestState as S;
    match (s, e) {
        (S::Draft, E::AttachScan) => Ok(S::Draft),
        (S::Draft, E::Send) => Ok(S::Sent),
        (S::Sent, E::CaRevoked) => Ok(S::Revoked),
        (from, event) => Err(RequestTransitionError { from, event }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_draft_sent_revoked_only() {
        use RequestEvent as E;
        use RequestState as S;
        let table = |s, e| match (s, e) {
            (S::Draft, E::AttachScan) => Some(S::Draft),
            (S::Draft, E::Send) => Some(S::Sent),
            (S::Sent, E::CaRevoked) => Some(S::Revoked),
            _ => None,
        };
        for s in S::ALL {
            for e in E::ALL {
                assert_eq!(apply(s, e).ok(), table(s, e), "{s:?} × {e:?}");
            }
        }
    }
}
