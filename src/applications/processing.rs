//! Sending to processing (§2.1, §7): the ITS portal check and the connection options.
//!
//! This is the seam for the processing pipeline: "В обработку" is decided here by
//! [`guard`] over the request and the [`ProcessFacts`] the service loads, and the request
//! is stored on the application; what processing does with it (tariffs, the subscriber)
//! is the pipeline's business.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::documents::{self, DocumentKind};
use crate::entities::{its_subscription, special_offer_permit};
use crate::error::FieldError;
pub use crate::tariffs::connection::{
    ConnectionOption, ProcessFlags, ProcessRequest, SecondaryAction,
};

/// The four outcomes of the ITS check (§2.1.1–§2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItsOutcome {
    /// A current PROF subscription: the free connection is possible.
    Active,
    /// A PROF subscription that starts in the future: paid or deferred only.
    Deferred,
    /// The subscription is activated for another subscriber: free it first (Отключить ИТС).
    UsedByOther,
    /// No subscription: paid or deferred.
    None,
}

impl ItsOutcome {
    pub fn parse(s: &str) -> Option<ItsOutcome> {
        match s {
            "active" => Some(ItsOutcome::Active),
            "deferred" => Some(ItsOutcome::Deferred),
            "used_by_other" => Some(ItsOutcome::UsedByOther),
            "none" => Some(ItsOutcome::None),
            _ => None,
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            ItsOutcome::Active => "Подписка ИТС ПРОФ зарегистрирована на портале ИТС",
            ItsOutcome::Deferred => "Подписка ИТС ПРОФ зарегистрирована, но начинается в будущем",
            ItsOutcome::UsedByOther => {
                "Подписка ИТС ПРОФ активирована для другого абонента: сначала отключите ИТС у него"
            }
            ItsOutcome::None => "Подписка ИТС ПРОФ на портале ИТС не зарегистрирована",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    pub registration_number: String,
    pub tariff_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub activated_for_other: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItsCheck {
    pub outcome: ItsOutcome,
    pub subscriptions: Vec<SubscriptionView>,
    pub options: Vec<ConnectionOption>,
}

/// The outcome for the subscriptions found by the application's ITS login.
pub fn check(
    subs: &[its_subscription::Model],
    inn: &str,
    kpp: Option<&str>,
    today: NaiveDate,
) -> ItsCheck {
    let prof: Vec<&its_subscription::Model> = subs
        .iter()
        .filter(|s| s.level == "PROF" && s.ends_on >= today)
        .collect();
    let for_other = |s: &its_subscription::Model| {
        s.activated_for_inn
            .as_deref()
            .is_some_and(|i| i != inn || s.activated_for_kpp.as_deref() != kpp)
    };
    let current: Vec<&&its_subscription::Model> =
        prof.iter().filter(|s| s.starts_on <= today).collect();
    let outcome = if current.iter().any(|s| !for_other(s)) {
        ItsOutcome::Active
    } else if !current.is_empty() {
        ItsOutcome::UsedByOther
    } else if prof.iter().any(|s| s.starts_on > today) {
        ItsOutcome::Deferred
    } else {
        ItsOutcome::None
    };
    let options = match outcome {
        ItsOutcome::Active => ConnectionOption::ALL.to_vec(),
        _ => vec![
            ConnectionOption::Basic1y,
            ConnectionOption::Basic2y,
            ConnectionOption::DeferredIts,
        ],
    };
    ItsCheck {
        outcome,
        subscriptions: prof
            .iter()
            .map(|s| SubscriptionView {
                registration_number: s.registration_number.clone(),
                tariff_name: s.tariff_name.clone(),
                starts_on: s.starts_on,
                ends_on: s.ends_on,
                activated_for_other: for_other(s),
            })
            .collect(),
        options,
    }
}

/// Whether the request fits the check; the message names what is wrong.
///
/// # Errors
/// `(field, message)` of the first problem.
pub fn validate(
    req: &ProcessRequest,
    check: &ItsCheck,
    today: NaiveDate,
) -> Result<(), (&'static str, String)> {
    if let Some(option) = req.option
        && !check.options.contains(&option)
    {
        return Err((
            "option",
            format!(
                "вариант «{}» недоступен: {}",
                option.title_ru(),
                check.outcome.title_ru()
            ),
        ));
    }
    if req.option == Some(ConnectionOption::ItsFree) {
        let usable: Vec<&SubscriptionView> = check
            .subscriptions
            .iter()
            .filter(|s| !s.activated_for_other && s.starts_on <= today)
            .collect();
        match &req.its_subscription {
            Some(reg) if usable.iter().any(|s| &s.registration_number == reg) => {}
            Some(_) => {
                return Err((
                    "its_subscription",
                    "эта подписка ИТС недоступна для льготного подключения".to_owned(),
                ));
            }
            None if usable.len() == 1 => {}
            None => {
                return Err((
                    "its_subscription",
                    "выберите одну из подписок ИТС".to_owned(),
                ));
            }
        }
    }
    // The head of the group is named by its requisites: checked like any ИНН/КПП, not
    // only by the form's pattern (an ИНН «12345» was accepted).
    if let Some(inn) = req.flags.group_head_inn.as_deref() {
        crate::requisites::inn(inn.trim()).map_err(|m| ("flags.group_head_inn", m))?;
    }
    if let Some(kpp) = req
        .flags
        .group_head_kpp
        .as_deref()
        .filter(|k| !k.trim().is_empty())
    {
        crate::requisites::kpp(kpp.trim()).map_err(|m| ("flags.group_head_kpp", m))?;
    }
    if req.flags.right_choice && req.flags.group_head_inn.is_some() {
        return Err((
            "flags.right_choice",
            "тариф «Верное решение» недоступен для группы компаний".to_owned(),
        ));
    }
    Ok(())
}

/// Everything «В обработку» depends on besides the request, loaded by the service.
#[derive(Debug, Clone)]
pub struct ProcessFacts {
    /// The requisite checks run at intake passed.
    pub checks_passed: bool,
    pub certificate_requested: bool,
    pub attached: Vec<DocumentKind>,
    /// The ITS portal check as of today.
    pub its: ItsCheck,
    /// The client's ИНН, which a special-offer permit must name.
    pub inn: String,
    /// The permit registered under the requested special-offer number by the sales
    /// center of the application's partner; `None` when there is none (or none asked).
    pub permit: Option<special_offer_permit::Model>,
    /// §4: a paid licence of this organisation was revoked, so it reconnects only on a
    /// paid basis.
    pub paid_basis_only: bool,
    /// The connection priced by the calculator's rules (`pricing::quote`), or the rule
    /// that refuses it, named by the request's field.
    pub priced: Result<(), (&'static str, String)>,
    /// The group head named at «В обработку» is a registered subscriber of the same
    /// partner (`None` when no head was named).
    pub group_head_registered: Option<bool>,
    /// The application's request type: `create` or `change`.
    pub request_type: String,
    /// A paperless renewal (Безбумажное продление): no paper documents are demanded.
    pub paperless: bool,
    /// The organisation as already connected to the service (`None`: a primary
    /// application).
    pub connected: Option<Connected>,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

/// An organisation already connected to the service, as a secondary application meets
/// it (manual §3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connected {
    /// The GUID of the account the application is about (named, or the only one).
    pub guid: Option<String>,
    /// The application's product GUID names one of its product accounts.
    pub product_known: bool,
    /// How many active product accounts it has.
    pub products: usize,
    /// The current (or last) licence period of the product the application is about.
    pub licence: Option<(NaiveDate, NaiveDate)>,
    /// A certificate was made and registered for it.
    pub certificate: bool,
}

/// The rules of a secondary application (manual §3) and of the connection option the
/// action takes; every broken one named by its field.
pub fn secondary_guard(req: &ProcessRequest, f: &ProcessFacts) -> Vec<FieldError> {
    use SecondaryAction as A;
    let mut errors = Vec::new();
    let choices = || {
        SecondaryAction::for_request_type(&f.request_type)
            .iter()
            .map(|a| format!("«{}»", a.title_ru()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (&f.connected, req.action) {
        (None, Some(_)) => errors.push(FieldError::new(
            "action",
            "организация ещё не подключена к сервису «1С-Отчетность»: заявление первичное, действие не выбирается",
        )),
        (Some(_), None) => errors.push(FieldError::new(
            "action",
            format!(
                "организация уже подключена к сервису «1С-Отчетность»: выберите действие — {}",
                choices()
            ),
        )),
        (Some(c), Some(a)) => {
            if !SecondaryAction::for_request_type(&f.request_type).contains(&a) {
                errors.push(FieldError::new(
                    "action",
                    format!(
                        "для заявления с типом «{}» доступны: {}",
                        if f.request_type == "change" { "Изменение" } else { "Создание" },
                        choices()
                    ),
                ));
            } else if a == A::NewAccount && c.product_known {
                errors.push(FieldError::new(
                    "action",
                    "GUID продукта уже принадлежит учетной записи организации: для неё выберите продление или изменение",
                ));
            } else if matches!(a, A::Renewal | A::Change) && !c.product_known && c.products > 1 {
                errors.push(FieldError::new(
                    "product_guid",
                    "у организации несколько учетных записей: заявление должно указывать GUID продукта",
                ));
            } else if a == A::Renewal && c.licence.is_none() {
                errors.push(FieldError::new(
                    "action",
                    "у учетной записи нет лицензии, которую можно продлить",
                ));
            } else if matches!(
                a,
                A::AdditionalConfiguration | A::AdditionalConfigurationWithCertificate
            ) && !c.certificate
            {
                errors.push(FieldError::new(
                    "action",
                    "дополнительная конфигурация подключается, когда сертификат по первой конфигурации изготовлен и зарегистрирован",
                ));
            }
        }
        (None, None) => {}
    }
    match (req.connects_licence(), req.option) {
        (true, None) => errors.push(FieldError::new("option", "выберите вариант подключения")),
        (false, Some(_)) => errors.push(FieldError::new(
            "option",
            format!(
                "для действия «{}» лицензия не подключается: вариант подключения не выбирается",
                req.action.map_or("", SecondaryAction::title_ru)
            ),
        )),
        (false, None) if req.flags != ProcessFlags::default() || req.its_subscription.is_some() => {
            errors.push(FieldError::new(
                "flags",
                format!(
                    "для действия «{}» лицензия не подключается: тарифные признаки не указываются",
                    req.action.map_or("", SecondaryAction::title_ru)
                ),
            ));
        }
        _ => {}
    }
    errors
}

/// The guards of «В обработку» (§2.1–§2.4, §4), every failing one named by its field.
///
/// # Errors
/// Each broken guard as a [`FieldError`].
pub fn guard(req: &ProcessRequest, f: &ProcessFacts) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if !f.checks_passed {
        errors.push(FieldError::new(
            "checks",
            "обязательные проверки реквизитов не пройдены",
        ));
    }
    let missing = if f.paperless {
        Vec::new()
    } else {
        documents::missing_required(&f.attached, req)
    };
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|k| k.title_ru()).collect();
        errors.push(FieldError::new(
            "documents",
            format!("не прикреплены: {}", names.join(", ")),
        ));
    }
    let secondary = secondary_guard(req, f);
    let licence = secondary.is_empty() && req.connects_licence();
    errors.extend(secondary);
    if !licence {
        // Nothing is priced or connected: the ITS and tariff rules have nothing to judge.
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        };
    }
    if let Err((field, message)) = validate(req, &f.its, f.today) {
        errors.push(FieldError::new(field, message));
    }
    // §2.4: a special offer needs a permit number the sales center registered for this
    // client at least a day ago.
    if req
        .flags
        .special_offer_code
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty())
        && let Err(m) = crate::tariffs::permits::check(f.permit.as_ref(), &f.inn, f.now)
    {
        errors.push(FieldError::new("flags.special_offer_code", m));
    }
    let free = req.by_its() || req.flags.bonus;
    if free && f.paid_basis_only {
        errors.push(FieldError::new(
            "option",
            "платная лицензия абонента была отозвана: повторное подключение только на платной основе",
        ));
    }
    if f.group_head_registered == Some(false) {
        errors.push(FieldError::new(
            "flags.group_head_inn",
            "головная организация должна быть зарегистрированным абонентом партнера: участник присоединяется после её регистрации",
        ));
    }
    // The tariff's own rules (Бонус, Верное решение, special offers, Основной для ИП) are
    // the calculator's: one pricing path.
    if let Err((field, message)) = &f.priced
        && !errors.iter().any(|e| e.field == *field)
    {
        errors.push(FieldError::new(*field, message.clone()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The request's field a pricing refusal is about.
pub fn field_of(quote_field: &str) -> &'static str {
    match quote_field {
        "special_offer_number" | "special_offer_registered_on" | "region_code" | "date" => {
            "flags.special_offer_code"
        }
        "bonus_held" | "previous_bonus_ended" | "current_subscribers" => "flags.bonus",
        "previously_connected" | "fns_directions" | "in_group" => "flags.right_choice",
        "legal_form" => "flags.basic_sole_trader",
        _ => "option",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_heads_inn_is_checked() {
        let check = ItsCheck {
            outcome: ItsOutcome::None,
            subscriptions: vec![],
            options: vec![ConnectionOption::Basic1y],
        };
        let mut req: ProcessRequest =
            serde_json::from_value(serde_json::json!({"option": "basic_1y"})).unwrap();
        req.flags.group_head_inn = Some("12345".into());
        let today = "2025-03-03".parse().unwrap();
        assert_eq!(
            validate(&req, &check, today).unwrap_err().0,
            "flags.group_head_inn"
        );
        req.flags.group_head_inn = Some("4027291410".into());
        assert_eq!(validate(&req, &check, today), Ok(()));
    }

    fn sub(
        n: &str,
        start: &str,
        end: &str,
        level: &str,
        activated_for: Option<&str>,
    ) -> its_subscription::Model {
        its_subscription::Model {
            id: 0,
            registration_number: n.into(),
            owner_inn: "4027291410".into(),
            owner_kpp: Some("402701001".into()),
            tariff_name: "1С:ИТС ПРОФ".into(),
            starts_on: start.parse().unwrap(),
            ends_on: end.parse().unwrap(),
            level: level.into(),
            portal_login: "x".into(),
            email: None,
            activated_for_inn: activated_for.map(Into::into),
            activated_for_kpp: activated_for.map(|_| "402701001".into()),
        }
    }

    fn today() -> NaiveDate {
        "2025-03-03".parse().unwrap()
    }

    #[test]
    fn option_names_match_the_contract() {
        for o in ConnectionOption::ALL {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn the_four_outcomes() {
        let inn = "4027291410";
        let kpp = Some("402701001");
        let o = |subs: &[its_subscription::Model]| check(subs, inn, kpp, today()).outcome;
        assert_eq!(
            o(&[sub("A", "2024-01-01", "2027-12-31", "PROF", None)]),
            ItsOutcome::Active
        );
        assert_eq!(
            o(&[sub("A", "2025-06-01", "2026-05-31", "PROF", None)]),
            ItsOutcome::Deferred
        );
        assert_eq!(
            o(&[sub(
                "A",
                "2024-01-01",
                "2027-12-31",
                "PROF",
                Some("5036065113")
            )]),
            ItsOutcome::UsedByOther
        );
        assert_eq!(
            o(&[sub("A", "2024-01-01", "2027-12-31", "PROF", Some(inn))]),
            ItsOutcome::Active,
            "activated for itself"
        );
        assert_eq!(o(&[]), ItsOutcome::None);
        assert_eq!(
            o(&[sub("A", "2024-01-01", "2027-12-31", "TECHNO", None)]),
            ItsOutcome::None
        );
        assert_eq!(
            o(&[sub("A", "2023-01-01", "2024-12-31", "PROF", None)]),
            ItsOutcome::None,
            "expired"
        );
    }

    #[test]
    fn the_free_option_needs_a_usable_subscription() {
        let subs = [
            sub("A", "2024-01-01", "2027-12-31", "PROF", None),
            sub("B", "2024-01-01", "2027-12-31", "PROF", None),
        ];
        let c = check(&subs, "4027291410", Some("402701001"), today());
        let req = |s: Option<&str>| ProcessRequest {
            option: Some(ConnectionOption::ItsFree),
            action: None,
            its_subscription: s.map(Into::into),
            flags: ProcessFlags::default(),
        };
        assert_eq!(
            validate(&req(None), &c, today()).unwrap_err().0,
            "its_subscription",
            "two to choose from"
        );
        assert!(validate(&req(Some("B")), &c, today()).is_ok());
        assert!(validate(&req(Some("Z")), &c, today()).is_err());

        let none = check(&[], "4027291410", Some("402701001"), today());
        assert_eq!(
            validate(&req(None), &none, today()).unwrap_err().0,
            "option"
        );
        let paid = ProcessRequest {
            option: Some(ConnectionOption::Basic1y),
            action: None,
            its_subscription: None,
            flags: ProcessFlags::default(),
        };
        assert!(validate(&paid, &none, today()).is_ok());
    }

    fn facts(its: ItsCheck) -> ProcessFacts {
        ProcessFacts {
            checks_passed: true,
            certificate_requested: false,
            attached: DocumentKind::ALL.to_vec(),
            its,
            inn: "4027291410".into(),
            permit: None,
            paid_basis_only: false,
            priced: Ok(()),
            group_head_registered: None,
            request_type: "create".into(),
            paperless: false,
            connected: None,
            now: "2025-03-03T07:00:00Z".parse().unwrap(),
            today: today(),
        }
    }

    fn fields(r: Result<(), Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn the_guard_names_every_broken_rule_at_once() {
        let none = check(&[], "4027291410", Some("402701001"), today());
        let paid = ProcessRequest {
            option: Some(ConnectionOption::Basic1y),
            action: None,
            its_subscription: None,
            flags: ProcessFlags::default(),
        };
        assert_eq!(guard(&paid, &facts(none.clone())), Ok(()));

        let mut f = facts(none.clone());
        f.checks_passed = false;
        f.attached.clear();
        let mut offer = paid.clone();
        offer.flags.special_offer_code = Some("СП-1".into());
        assert_eq!(
            fields(guard(&offer, &f)),
            ["checks", "documents", "flags.special_offer_code"]
        );
    }

    fn connected() -> Connected {
        Connected {
            guid: None,
            product_known: true,
            products: 1,
            licence: Some((today(), "2026-03-03".parse().unwrap())),
            certificate: true,
        }
    }

    fn request(json: serde_json::Value) -> ProcessRequest {
        serde_json::from_value(json).unwrap()
    }

    /// Manual §3: a connected organisation's application names its action, one of those
    /// of its request type; a new account or a renewal takes an option, the others take
    /// none; a primary application takes no action.
    #[test]
    fn a_secondary_application_names_an_action_of_its_request_type() {
        use serde_json::json;
        let none = check(&[], "4027291410", Some("402701001"), today());
        let mut f = facts(none);
        let paid = request(json!({"option": "basic_1y"}));
        assert_eq!(guard(&paid, &f), Ok(()), "primary");
        let renewal = request(json!({"action": "renewal", "option": "basic_1y"}));
        assert_eq!(fields(guard(&renewal, &f)), ["action"], "not connected");

        f.connected = Some(connected());
        assert_eq!(fields(guard(&paid, &f)), ["action"], "connected: choose");
        f.request_type = "change".into();
        assert_eq!(guard(&renewal, &f), Ok(()));
        let change = request(json!({"action": "change"}));
        assert_eq!(guard(&change, &f), Ok(()));
        let new_account = request(json!({"action": "new_account", "option": "basic_1y"}));
        assert_eq!(fields(guard(&new_account, &f)), ["action"], "change type");
        assert_eq!(
            fields(guard(
                &request(json!({"action": "change", "option": "basic_1y"})),
                &f
            )),
            ["option"]
        );
        assert_eq!(
            fields(guard(
                &request(json!({"action": "change", "flags": {"bonus": true}})),
                &f
            )),
            ["flags"]
        );
        assert_eq!(
            fields(guard(&request(json!({"action": "renewal"})), &f)),
            ["option"]
        );

        f.request_type = "create".into();
        assert_eq!(
            fields(guard(&new_account, &f)),
            ["action"],
            "the GUID names an existing account"
        );
        f.connected.as_mut().unwrap().product_known = false;
        assert_eq!(guard(&new_account, &f), Ok(()));
        let additional = request(json!({"action": "additional_configuration"}));
        assert_eq!(guard(&additional, &f), Ok(()));
        f.connected.as_mut().unwrap().certificate = false;
        assert_eq!(
            fields(guard(&additional, &f)),
            ["action"],
            "no certificate yet"
        );

        f.request_type = "change".into();
        let c = f.connected.as_mut().unwrap();
        c.certificate = true;
        c.products = 2;
        assert_eq!(
            fields(guard(&change, &f)),
            ["product_guid"],
            "which account"
        );
        let c = f.connected.as_mut().unwrap();
        c.products = 1;
        c.licence = None;
        assert_eq!(fields(guard(&renewal, &f)), ["action"], "nothing to renew");
    }

    #[test]
    fn a_revoked_paid_subscriber_reconnects_only_on_a_paid_basis() {
        let subs = [sub("A", "2024-01-01", "2027-12-31", "PROF", None)];
        let active = check(&subs, "4027291410", Some("402701001"), today());
        let mut f = facts(active);
        f.paid_basis_only = true;
        let free = ProcessRequest {
            option: Some(ConnectionOption::ItsFree),
            action: None,
            its_subscription: None,
            flags: ProcessFlags::default(),
        };
        assert_eq!(fields(guard(&free, &f)), ["option"]);
        let mut bonus = free.clone();
        bonus.option = Some(ConnectionOption::Basic1y);
        bonus.flags.bonus = true;
        assert_eq!(fields(guard(&bonus, &f)), ["option"]);
        bonus.flags.bonus = false;
        assert_eq!(guard(&bonus, &f), Ok(()));
    }
}
