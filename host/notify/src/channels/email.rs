//! Email over SMTP with lettre: STARTTLS (587) or implicit TLS (465) on rustls with
//! aws-lc-rs, plain only to a loopback test server; credentials from the environment or
//! files. Each message is multipart text + HTML with a stable `Message-ID` (its
//! idempotency key), and `In-Reply-To`/`References` naming one thread per subject (a
//! finding, a remediation) or per group, so one finding's mails thread together.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};

use super::{Channel, Outgoing, SendError};
use crate::config::{ConfigError, SmtpConfig, SmtpTls, read_secret};

/// Sends mail through one SMTP server.
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    domain: String,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

fn config_err(key: &str, message: String) -> ConfigError {
    ConfigError {
        key: key.into(),
        message,
    }
}

/// The thread a message belongs to: its one subject, or its group.
pub fn thread_id(message: Outgoing<'_>, domain: &str) -> String {
    let n = message.notification;
    let mut subjects: Vec<&str> = n.events.iter().map(|e| e.subject.as_str()).collect();
    subjects.dedup();
    let root = match subjects.as_slice() {
        [one] => one.to_string(),
        _ => format!("{}|{}|{}", n.channel, n.route, n.group_key),
    };
    let digest = Sha256::digest(root.as_bytes());
    format!("<thread-{}@{domain}>", hex::encode(&digest[..12]))
}

impl EmailChannel {
    /// The channel sending from `from` to `to` (and `cc`) through `smtp`.
    pub fn new(
        key: &str,
        smtp: &SmtpConfig,
        from: &str,
        to: &[String],
        cc: &[String],
    ) -> Result<EmailChannel, ConfigError> {
        let parse = |a: &String| {
            a.parse::<Mailbox>()
                .map_err(|e| config_err(key, format!("{a:?}: {e}")))
        };
        let tls = || -> Result<TlsParameters, ConfigError> {
            let mut builder = TlsParameters::builder(smtp.host.clone());
            if let Some(ca) = &smtp.ca_file {
                let pem = std::fs::read(ca).map_err(|e| {
                    config_err(
                        &format!("{key}.smtp.ca_file"),
                        format!("{}: {e}", ca.display()),
                    )
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    config_err(
                        &format!("{key}.smtp.ca_file"),
                        format!("{}: {e}", ca.display()),
                    )
                })?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| config_err(&format!("{key}.smtp"), e.to_string()))
        };
        let mut builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    .tls(Tls::Required(tls()?))
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                .tls(Tls::Wrapper(tls()?)),
        }
        .port(smtp.port())
        .timeout(Some(Duration::from_secs(
            smtp.timeout_seconds.unwrap_or(30),
        )));
        let user = read_secret(
            &format!("{key}.smtp.username"),
            smtp.username_env.as_deref(),
            smtp.username_file.as_deref(),
        )?;
        let password = read_secret(
            &format!("{key}.smtp.password"),
            smtp.password_env.as_deref(),
            smtp.password_file.as_deref(),
        )?;
        match (user, password) {
            (Some(u), Some(p)) => builder = builder.credentials(Credentials::new(u, p)),
            (None, None) => {}
            _ => {
                return Err(config_err(
                    &format!("{key}.smtp"),
                    "give both a user name and a password, or neither".into(),
                ));
            }
        }
        let from = parse(&from.to_string())?;
        let domain = from.email.domain().to_string();
        Ok(EmailChannel {
            transport: builder.build(),
            to: to.iter().map(parse).collect::<Result<_, _>>()?,
            cc: cc.iter().map(parse).collect::<Result<_, _>>()?,
            from,
            domain,
        })
    }

    /// The mail for `message`.
    pub fn mail(&self, message: Outgoing<'_>) -> Result<Message, SendError> {
        let r = message.rendered;
        let thread = thread_id(message, &self.domain);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(r.title.clone())
            .message_id(Some(format!(
                "<{}@{}>",
                message.notification.idempotency_key, self.domain
            )))
            .in_reply_to(thread.clone())
            .references(thread);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        for cc in &self.cc {
            builder = builder.cc(cc.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(r.text(), r.html()))
            .map_err(|e| SendError::new(format!("email: {e}")))
    }
}

impl Channel for EmailChannel {
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError> {
        let mail = self.mail(message)?;
        self.transport
            .send(mail)
            .await
            .map(drop)
            .map_err(|e| SendError::new(format!("email: {e}")))
    }
}
