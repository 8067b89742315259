//! The signature service (КриптоПро DSS) as a port: it keeps the keys, makes the QR codes
//! myDSS scans and the activation codes the SMS carries, changes passwords and deletes
//! accounts. The product carries it on `AppState`; a real service's client replaces the
//! built-in one without touching the service layer.

use rand::Rng;

/// An account the service made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The service's account id.
    pub account: String,
    /// What the first QR code holds.
    pub qr: String,
}

/// The signature service, as the product talks to it. Every call may fail with the
/// service's reason (Russian, shown to the person).
pub trait SignatureService: Send + Sync {
    /// Makes an account for the certificate's owner, bound later to `phone`.
    ///
    /// # Errors
    /// The service refused or could not be reached.
    fn create(&self, owner: &str, phone: &str) -> Result<Created, String>;

    /// A new QR code for the account (the `generation`-th).
    ///
    /// # Errors
    /// As [`SignatureService::create`].
    fn new_qr(&self, account: &str, generation: i32) -> Result<String, String>;

    /// A fresh 6-digit activation code for myDSS.
    ///
    /// # Errors
    /// As [`SignatureService::create`].
    fn activation_code(&self, account: &str) -> Result<String, String>;

    /// A new password; the service sends it with an auto-configuration file to 1C.
    ///
    /// # Errors
    /// As [`SignatureService::create`].
    fn new_password(&self, account: &str) -> Result<(), String>;

    /// Deletes the account and its keys.
    ///
    /// # Errors
    /// As [`SignatureService::create`].
    fn delete(&self, account: &str) -> Result<(), String>;
}

/// The built-in service: accounts and codes from a cryptographic generator; the QR code
/// holds a myDSS enrolment link with a one-time secret per generation.
pub struct LocalDss;

fn secret() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// What a QR code of the built-in service holds.
pub fn qr_payload(account: &str, generation: i32, secret: &str) -> String {
    format!(
        "mydss://enroll?server=dss.1c-report.local&account={account}&generation={generation}&secret={secret}"
    )
}

impl SignatureService for LocalDss {
    fn create(&self, _owner: &str, _phone: &str) -> Result<Created, String> {
        let account = uuid::Uuid::new_v4().to_string();
        let qr = qr_payload(&account, 1, &secret());
        Ok(Created { account, qr })
    }

    fn new_qr(&self, account: &str, generation: i32) -> Result<String, String> {
        Ok(qr_payload(account, generation, &secret()))
    }

    fn activation_code(&self, _account: &str) -> Result<String, String> {
        Ok(format!("{:06}", rand::rng().random_range(0..1_000_000)))
    }

    fn new_password(&self, _account: &str) -> Result<(), String> {
        Ok(())
    }

    fn delete(&self, _account: &str) -> Result<(), String> {
        Ok(())
    }
}

/// The QR code as an SVG image (`size` pixels at least), for the printable page.
pub fn qr_svg(payload: &str, size: u32) -> String {
    match qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(size, size)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}
