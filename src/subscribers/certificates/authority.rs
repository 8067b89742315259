//! The certification authority as a port: what it decides about applications handed to
//! it for processing, and what it answers about sent revocation requests. The product
//! carries it on `AppState`, so a real authority's client can replace the built-in one
//! without touching the jobs or the services.

use chrono::{DateTime, Utc};

use crate::entities::{application, certificate, revocation_request, subscriber};

/// The authority's answer about an application `in_processing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processing {
    /// Processed: the owner's certificate is issued (or, with none requested, the
    /// subscriber is registered).
    Issued,
    /// Not yet: ask again at the next run.
    Waiting,
    /// Refused, with the authority's reason.
    Refused(String),
}

/// The certification authority, as the product talks to it.
pub trait CertificateAuthority: Send + Sync {
    /// What it decides, at `now`, about an application sent to processing at `sent_at`.
    fn process(
        &self,
        app: &application::Model,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Processing;

    /// Of the sent revocation requests, the ids whose certificates it has revoked.
    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64>;

    /// The certificate's X.509 file (DER), as the authority hands it out.
    ///
    /// # Errors
    /// The authority could not give it (its reason, in Russian).
    fn certificate_file(
        &self,
        c: &certificate::Model,
        s: &subscriber::Model,
    ) -> Result<Vec<u8>, String>;
}

/// The built-in authority: issues at the first run after the application was sent, and
/// revokes every request sent with its signed scan.
pub struct LocalCa;

impl CertificateAuthority for LocalCa {
    fn process(
        &self,
        _app: &application::Model,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Processing {
        if now > sent_at {
            Processing::Issued
        } else {
            Processing::Waiting
        }
    }

    fn revoked(&self, requests: &[revocation_request::Model]) -> Vec<i64> {
        requests
            .iter()
            .filter(|r| r.scan_key.is_some())
            .map(|r| r.id)
            .collect()
    }

    fn certificate_file(
        &self,
        c: &certificate::Model,
        s: &subscriber::Model,
    ) -> Result<Vec<u8>, String> {
        local_x509(c, s).map_err(|e| format!("не удалось сформировать файл сертификата: {e}"))
    }
}

/// The built-in authority's root, made once per process (a real authority has one for
/// years; the files it signed stay as they were kept).
fn local_root() -> Result<&'static (rcgen::Certificate, rcgen::KeyPair), rcgen::Error> {
    static ROOT: std::sync::OnceLock<(rcgen::Certificate, rcgen::KeyPair)> =
        std::sync::OnceLock::new();
    if let Some(r) = ROOT.get() {
        return Ok(r);
    }
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "УЦ «Калуга Астрал» (встроенный)");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key)?;
    Ok(ROOT.get_or_init(|| (cert, key)))
}

/// An X.509 certificate for the owner as the qualified-certificate profile names it:
/// CN and SN/GN of the owner, the organisation, СНИЛС (1.2.643.100.3) and ИНН ЮЛ
/// (1.2.643.100.4) or ИНН (1.2.643.3.131.1.1), the certificate's serial and term.
fn local_x509(c: &certificate::Model, s: &subscriber::Model) -> Result<Vec<u8>, rcgen::Error> {
    use chrono::Datelike;
    use rcgen::DnType;
    let (root, root_key) = local_root()?;
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    let day = |d: chrono::NaiveDate| {
        rcgen::date_time_ymd(
            d.year(),
            u8::try_from(d.month()).unwrap_or(1),
            u8::try_from(d.day()).unwrap_or(1),
        )
    };
    params.not_before = day(c.valid_from);
    params.not_after = day(c.valid_to);
    params.serial_number = hex::decode(&c.serial)
        .ok()
        .map(|b| rcgen::SerialNumber::from_slice(&b));
    let dn = &mut params.distinguished_name;
    dn.push(DnType::CommonName, c.owner_name.clone());
    dn.push(DnType::OrganizationName, s.full_name.clone());
    dn.push(DnType::CountryName, "RU");
    if let Some(p) = &c.owner_position {
        dn.push(DnType::CustomDnType(vec![2, 5, 4, 12]), p.clone());
    }
    dn.push(
        DnType::CustomDnType(vec![1, 2, 643, 100, 3]),
        c.owner_snils
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>(),
    );
    let inn_oid = if s.inn.len() == 10 {
        vec![1, 2, 643, 100, 4]
    } else {
        vec![1, 2, 643, 3, 131, 1, 1]
    };
    dn.push(DnType::CustomDnType(inn_oid), s.inn.clone());
    let cert = params.signed_by(&key, root, root_key)?;
    Ok(cert.der().to_vec())
}
