//! Outgoing mail. Production sends over SMTP; development and tests write each message
//! as an `.eml` file into a directory (both through lettre).

use std::path::PathBuf;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not deliver the message: {0}")]
    Transport(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

fn build(from: &Mailbox, mail: Mail) -> Result<Message, MailError> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .header(ContentType::TEXT_PLAIN)
        // lettre picks the transfer encoding (quoted-printable for long link lines).
        .body(mail.text)
        .map_err(|e| MailError::Build(e.to_string()))
}

/// A [`Mailer`] over any lettre transport.
pub struct LettreMailer<T> {
    from: Mailbox,
    transport: T,
}

/// Writes each message as `<uuid>.eml` into a directory (development and tests).
pub type FileMailer = LettreMailer<AsyncFileTransport<Tokio1Executor>>;

/// Sends over SMTP.
pub type SmtpMailer = LettreMailer<AsyncSmtpTransport<Tokio1Executor>>;

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            from,
            transport: AsyncFileTransport::new(&dir),
        })
    }
}

impl SmtpMailer {
    /// `smtp://`, `smtps://` or `smtp://...?tls=required` URLs, credentials included.
    pub fn from_url(url: &str, from: Mailbox) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Transport(e.to_string()))?
            .build();
        Ok(Self { from, transport })
    }
}

#[async_trait]
impl<T> Mailer for LettreMailer<T>
where
    T: AsyncTransport + Send + Sync,
    T::Error: std::fmt::Display,
{
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let message = build(&self.from, mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Transport(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_mailer_writes_an_eml_with_the_link_intact() {
        let dir = tempfile::tempdir().unwrap();
        let mailer =
            FileMailer::new(dir.path(), "lifeos <no-reply@localhost>".parse().unwrap()).unwrap();
        let link = "http://127.0.0.1:8080/verify-email?token=abc_DEF-123abc_DEF-123abc_DEF-123abc_DEF-123abc_DEF-123";
        mailer
            .send(Mail {
                to: "ada@example.com".into(),
                subject: "Verify".into(),
                text: format!("Open {link}\n"),
            })
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        let decoded = raw.replace("=\r\n", "").replace("=3D", "=");
        assert!(decoded.contains(link), "{raw}");
        assert!(raw.contains("To: ada@example.com"));
    }
}
