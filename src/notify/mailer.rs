//! The transport behind the outbox: SMTP (lettre), a directory of `.eml` files, or the log.

use std::path::PathBuf;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Writes each message as a file; for demos and manual checks.
    Files(PathBuf),
    /// Logs each message; the default when nothing is configured.
    Log,
}

#[derive(Clone)]
pub struct Mailer {
    pub from: Mailbox,
    pub transport: Transport,
}

/// SMTP settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `none` (plain, for a local relay), `starttls` or `tls`.
    pub security: String,
}

impl Mailer {
    /// `REGISTRAR_SMTP_HOST` (+ `_PORT`, `_USER`, `_PASSWORD`, `_SECURITY`) selects SMTP;
    /// otherwise `REGISTRAR_MAIL_DIR` selects files; otherwise messages are logged.
    ///
    /// # Errors
    /// An invalid sender address or SMTP settings.
    pub fn from_env() -> anyhow::Result<Mailer> {
        let from = std::env::var("REGISTRAR_MAIL_FROM")
            .unwrap_or_else(|_| "Регистратор 1С-Отчетности <noreply@registrar.example>".to_owned());
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(host) = env("REGISTRAR_SMTP_HOST") {
            let settings = SmtpSettings {
                host,
                port: env("REGISTRAR_SMTP_PORT")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(25),
                username: env("REGISTRAR_SMTP_USER"),
                password: env("REGISTRAR_SMTP_PASSWORD"),
                security: env("REGISTRAR_SMTP_SECURITY").unwrap_or_else(|| "none".to_owned()),
            };
            return Mailer::smtp(&from, &settings);
        }
        let transport = match env("REGISTRAR_MAIL_DIR") {
            Some(dir) => Transport::Files(PathBuf::from(dir)),
            None => Transport::Log,
        };
        Ok(Mailer {
            from: from.parse()?,
            transport,
        })
    }

    /// # Errors
    /// An invalid sender address or TLS setup.
    pub fn smtp(from: &str, s: &SmtpSettings) -> anyhow::Result<Mailer> {
        let mut b = match s.security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        }
        .port(s.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer {
            from: from.parse()?,
            transport: Transport::Smtp(b.build()),
        })
    }

    /// # Errors
    /// The address is invalid or the transport refused the message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        match &self.transport {
            Transport::Smtp(t) => {
                t.send(msg).await?;
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.f"),
                    uuid::Uuid::new_v4().simple()
                );
                tokio::fs::write(dir.join(name), msg.formatted()).await?;
            }
            Transport::Log => {
                tracing::info!(%to, %subject, "e-mail (log transport): {body}");
            }
        }
        Ok(())
    }
}
