//! The cloud signature «Облачная подпись» (§17, manual l.2836–3039). A certificate issued
//! for an owner with `cloud_signature` lives on the signature service (DSS, provider
//! «Crypto-Pro GOST R 34.10-2012 HSM CSP»); the subscriber binds it to a phone by
//! scanning a QR code in myDSS and entering the 6-digit code from an SMS. The partner
//! works the account from the window «Управление облачной подписью».
//!
//! The account's machine is here ([`decide`]); [`service`] loads, asks and saves with a
//! version check; [`dss`] is the port to the signature service; [`routes`] the edges.

pub mod dss;
pub mod routes;
pub mod service;

use crate::error::AppError;

crate::code_enum! {
    /// Where the account stands.
    #[derive(utoipa::ToSchema)]
    pub enum AccountState {
        /// Made at registration: the QR code waits to be printed for the subscriber.
        QrIssued = "qr_issued",
        /// The QR code was handed over: the subscriber scans it and enters the SMS code.
        AwaitingActivation = "awaiting_activation",
        /// The signature is bound to the subscriber's phone.
        Active = "active",
        /// The account was deleted on the signature service.
        Deleted = "deleted",
    }
}

impl AccountState {
    pub fn title_ru(self) -> &'static str {
        match self {
            AccountState::QrIssued => "QR-код выдан",
            AccountState::AwaitingActivation => "Ожидает активации",
            AccountState::Active => "Активна",
            AccountState::Deleted => "Удалена",
        }
    }
}

crate::code_enum! {
    /// What happens to an account: the window's buttons and the signature service's news.
    #[derive(utoipa::ToSchema)]
    pub enum AccountEvent {
        /// «Распечатать QR-код» (after «Принтер готов»).
        PrintQr = "print_qr",
        /// «Отправить код активации myDSS».
        SendActivationCode = "send_activation_code",
        /// «Новый пароль»: the password and an auto-configuration file go to 1C.
        NewPassword = "new_password",
        /// «Новый QR-код».
        NewQr = "new_qr",
        /// «Удалить учетную запись».
        Delete = "delete",
        /// The service: the subscriber entered the activation code in myDSS.
        Activated = "activated",
        /// The service: the new QR code was scanned in myDSS.
        QrUpdated = "qr_updated",
        /// 1C received the auto-configuration file of the new password.
        PasswordFileReceived = "password_file_received",
    }
}

impl AccountEvent {
    pub fn title_ru(self) -> &'static str {
        match self {
            AccountEvent::PrintQr => "Распечатать QR-код",
            AccountEvent::SendActivationCode => "Отправить код активации myDSS",
            AccountEvent::NewPassword => "Новый пароль",
            AccountEvent::NewQr => "Новый QR-код",
            AccountEvent::Delete => "Удалить учетную запись",
            AccountEvent::Activated => "Активирована в myDSS",
            AccountEvent::QrUpdated => "Новый QR-код обновлен в myDSS",
            AccountEvent::PasswordFileReceived => "Файл автонастройки получен в 1С",
        }
    }

    /// The events the signature service (or 1C) reports; the rest are people's.
    pub fn from_service(self) -> bool {
        matches!(
            self,
            AccountEvent::Activated | AccountEvent::QrUpdated | AccountEvent::PasswordFileReceived
        )
    }
}

/// The account as the machine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub state: AccountState,
    /// A new QR code was made for an active account and is not yet scanned in myDSS.
    pub qr_pending: bool,
    /// A new password was sent and 1C has not yet received its auto-configuration file.
    pub password_pending: bool,
}

/// What an event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub account: Account,
    /// A new QR code replaces the current one.
    pub new_qr: bool,
}

/// Why an event is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The state does not allow the event.
    State(AccountState, AccountEvent),
    /// «Новый пароль» while the previous one's file is not received (l.2995–3000).
    PasswordFilePending,
    /// «Новый QR-код» while the previous new one is not updated in myDSS (l.3010–3012).
    QrNotUpdated,
    /// A service's news that does not apply (nothing pending).
    NothingPending(AccountEvent),
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::State(s, e) => AppError::conflict(
                s.as_str(),
                e.as_str(),
                match (s, e) {
                    (AccountState::Deleted, _) => format!(
                        "Учетная запись облачной подписи удалена: действие «{}» недоступно.",
                        e.title_ru()
                    ),
                    (AccountState::Active, AccountEvent::SendActivationCode) => {
                        "Облачная подпись уже активирована в myDSS: код активации не нужен. Для нового телефона сформируйте новый QR-код.".to_owned()
                    }
                    _ => format!(
                        "Действие «{}» недоступно: учетная запись в состоянии «{}».",
                        e.title_ru(),
                        s.title_ru()
                    ),
                },
            ),
            Refusal::PasswordFilePending => AppError::refused(
                "password_file_pending",
                "Пароль уже был изменен, а файл автонастройки еще не получен в 1С. Обработайте ранее направленный файл автонастройки и в случае необходимости повторно измените пароль.",
            ),
            Refusal::QrNotUpdated => AppError::refused(
                "qr_not_updated",
                "Новый QR-код уже формировался, но еще не обновлен в приложении myDSS. Попросите абонента отсканировать его в приложении, затем при необходимости сформируйте следующий.",
            ),
            Refusal::NothingPending(e) => AppError::refused(
                "nothing_pending",
                format!("«{}»: ожидающих изменений нет.", e.title_ru()),
            ),
        }
    }
}

/// The machine: the account after `event`, or why not.
///
/// # Errors
/// The [`Refusal`].
pub fn decide(a: Account, event: AccountEvent) -> Result<Outcome, Refusal> {
    use AccountEvent as E;
    use AccountState as S;
    let refuse = Err(Refusal::State(a.state, event));
    let same = |account: Account| {
        Ok(Outcome {
            account,
            new_qr: false,
        })
    };
    if a.state == S::Deleted {
        return refuse;
    }
    match (a.state, event) {
        // Printing hands the QR code over; an active account prints only a new one.
        (S::QrIssued | S::AwaitingActivation, E::PrintQr) => same(Account {
            state: S::AwaitingActivation,
            ..a
        }),
        (S::Active, E::PrintQr) if a.qr_pending => same(a),
        (S::QrIssued | S::AwaitingActivation, E::SendActivationCode) => same(Account {
            state: S::AwaitingActivation,
            ..a
        }),
        (_, E::NewPassword) if a.password_pending => Err(Refusal::PasswordFilePending),
        (_, E::NewPassword) => same(Account {
            password_pending: true,
            ..a
        }),
        (S::Active, E::NewQr) if a.qr_pending => Err(Refusal::QrNotUpdated),
        // A new code for an active account waits to be scanned; before activation it
        // simply replaces the one not yet handed over.
        (S::Active, E::NewQr) => Ok(Outcome {
            account: Account {
                qr_pending: true,
                ..a
            },
            new_qr: true,
        }),
        (S::QrIssued | S::AwaitingActivation, E::NewQr) => Ok(Outcome {
            account: Account {
                state: S::QrIssued,
                ..a
            },
            new_qr: true,
        }),
        (_, E::Delete) => same(Account {
            state: S::Deleted,
            qr_pending: false,
            password_pending: false,
        }),
        (S::QrIssued | S::AwaitingActivation, E::Activated) => same(Account {
            state: S::Active,
            ..a
        }),
        (S::Active, E::QrUpdated) if a.qr_pending => same(Account {
            qr_pending: false,
            ..a
        }),
        (_, E::PasswordFileReceived) if a.password_pending => same(Account {
            password_pending: false,
            ..a
        }),
        (_, E::QrUpdated | E::PasswordFileReceived) => Err(Refusal::NothingPending(event)),
        _ => refuse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountEvent as E;
    use AccountState as S;

    fn at(state: AccountState) -> Account {
        Account {
            state,
            qr_pending: false,
            password_pending: false,
        }
    }

    #[test]
    fn the_account_goes_from_the_printed_qr_to_activation() {
        let printed = decide(at(S::QrIssued), E::PrintQr).unwrap().account;
        assert_eq!(printed.state, S::AwaitingActivation);
        let sent = decide(printed, E::SendActivationCode).unwrap().account;
        assert_eq!(sent.state, S::AwaitingActivation);
        let active = decide(sent, E::Activated).unwrap().account;
        assert_eq!(active.state, S::Active);
        assert_eq!(
            decide(active, E::SendActivationCode),
            Err(Refusal::State(S::Active, E::SendActivationCode))
        );
        assert_eq!(
            decide(active, E::PrintQr),
            Err(Refusal::State(S::Active, E::PrintQr))
        );
    }

    #[test]
    fn a_second_new_qr_or_password_waits_for_the_first() {
        let active = at(S::Active);
        let o = decide(active, E::NewQr).unwrap();
        assert!(o.new_qr && o.account.qr_pending);
        assert_eq!(decide(o.account, E::NewQr), Err(Refusal::QrNotUpdated));
        assert!(decide(o.account, E::PrintQr).is_ok());
        let updated = decide(o.account, E::QrUpdated).unwrap().account;
        assert!(!updated.qr_pending);
        assert_eq!(
            decide(updated, E::QrUpdated),
            Err(Refusal::NothingPending(E::QrUpdated))
        );

        let p = decide(active, E::NewPassword).unwrap().account;
        assert!(p.password_pending);
        assert_eq!(decide(p, E::NewPassword), Err(Refusal::PasswordFilePending));
        let received = decide(p, E::PasswordFileReceived).unwrap().account;
        assert!(decide(received, E::NewPassword).is_ok());
    }

    #[test]
    fn before_activation_a_new_qr_replaces_the_old_and_a_deleted_account_does_nothing() {
        let waiting = at(S::AwaitingActivation);
        let o = decide(waiting, E::NewQr).unwrap();
        assert!(o.new_qr && !o.account.qr_pending);
        assert_eq!(o.account.state, S::QrIssued);
        let deleted = decide(waiting, E::Delete).unwrap().account;
        for e in AccountEvent::ALL {
            assert_eq!(decide(deleted, e), Err(Refusal::State(S::Deleted, e)));
        }
    }
}
