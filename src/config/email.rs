//! E-mail settings: templates, the provider, tokens and delivery.

use super::{bounded, MAX_LIMIT};
use crate::validation::email::Email;

/// How e-mail is written and delivered.
#[derive(Debug, Clone)]
pub(crate) struct EmailConfig {
    /// `PROJECT_NAME`, in subjects and bodies.
    pub(crate) project_name: String,
    /// `FRONTEND_HOST`: links are `<FRONTEND_HOST>/reset-password?token=...` and the like.
    pub(crate) frontend_host: String,
    pub(crate) provider: Provider,
    /// `EMAILS_FROM_EMAIL`, `EMAILS_FROM_NAME`.
    pub(crate) from_email: String,
    pub(crate) from_name: String,
    /// `EMAIL_RESET_TOKEN_EXPIRE_HOURS` (1).
    pub(crate) reset_token_hours: i64,
    /// `EMAIL_VERIFY_TOKEN_EXPIRE_HOURS` (48).
    pub(crate) verify_token_hours: i64,
    /// `PASSWORD_RECOVERY_LIMIT_PER_HOUR` (5), per (email, client address) and
    /// per client address; verification e-mails asked for again count the same way.
    pub(crate) recovery_limit_per_hour: u32,
    /// `PASSWORD_RECOVERY_EMAIL_LIMIT_PER_HOUR` (20): the looser cap per email
    /// across client addresses (a stranger cannot block a user's reset).
    pub(crate) recovery_email_limit_per_hour: u32,
    /// `EMAIL_CHANGE_LIMIT_PER_HOUR` (5): changes of address (each sends a
    /// verification e-mail) per user.
    pub(crate) email_change_limit_per_hour: u32,
    /// `REQUIRE_EMAIL_VERIFICATION` (false): unverified users cannot log in.
    pub(crate) require_verification: bool,
    /// `EMAIL_VERIFICATION_ON_SIGNUP` (true): false sends no verification
    /// e-mail when a user signs up (the origin sends none); one can be asked for.
    pub(crate) verify_on_signup: bool,
    /// `EMAIL_MAX_ATTEMPTS` (5): deliveries tried before the row records its error.
    pub(crate) max_attempts: i64,
    /// `EMAIL_RETRY_DELAY_SECONDS` (30): the first retry's delay, doubled each time.
    pub(crate) retry_delay_seconds: u32,
    /// `EMAIL_REQUEUE_AFTER_SECONDS` (300): a row pending this long is handed to
    /// the queue again by the scheduled run.
    pub(crate) requeue_after_seconds: i64,
}

/// Where e-mail goes (`EMAIL_PROVIDER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Provider {
    /// `log` (the default): one log line with the recipient, subject and link.
    Log,
    /// `http`: a JSON POST to `EMAIL_API_URL` with `EMAIL_API_KEY` as a bearer token.
    Http { url: String, key: String },
    /// `smtp`: `SMTP_HOST`, `SMTP_PORT`, `SMTP_TLS` (STARTTLS), `SMTP_SSL`,
    /// `SMTP_USER`, `SMTP_PASSWORD`, over a Workers TCP socket.
    Smtp(SmtpConfig),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmtpConfig {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) starttls: bool,
    pub(crate) ssl: bool,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
}

/// The origin's web app's dev server: the local default for links.
const DEFAULT_FRONTEND_HOST: &str = "http://localhost:5173";

/// What only local development may use: the `log` provider (it prints live
/// links), links to a loopback host, a plain-`http` e-mail API, and SMTP AUTH
/// without TLS (the password would cross the network in the clear).
fn refuse_outside_local(provider: &Provider, frontend_host: &str) -> Result<(), String> {
    match provider {
        Provider::Log => {
            return Err(
                "EMAIL_PROVIDER=log prints live links to the log: it is for local \
                        development only; set EMAIL_PROVIDER to http or smtp"
                    .into(),
            )
        }
        Provider::Http { url, .. } if !url.starts_with("https://") => {
            return Err("EMAIL_API_URL must be an https URL outside local development".into())
        }
        Provider::Smtp(s) if s.user.is_some() && !s.ssl && !s.starttls => {
            return Err(
                "SMTP_USER is set without SMTP_TLS or SMTP_SSL: AUTH needs TLS \
                        outside local development"
                    .into(),
            )
        }
        _ => {}
    }
    let lower = frontend_host.to_ascii_lowercase();
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let name = host
        .rsplit_once(':')
        .filter(|_| !host.ends_with(']'))
        .map_or(host, |(h, _)| h);
    let loopback = matches!(name, "localhost" | "[::1]" | "0.0.0.0")
        || name.starts_with("127.")
        || name.ends_with(".localhost");
    if loopback {
        return Err(format!(
            "FRONTEND_HOST is {frontend_host:?}: links in e-mail would point at the \
             reader's own machine; set the web app's public URL"
        ));
    }
    Ok(())
}

pub(super) fn flag(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> Result<bool, String> {
    match get(name)
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(format!("{name} must be true or false, not {other:?}")),
    }
}

impl EmailConfig {
    /// Outside local development (`local` false) the settings that would put
    /// live links in logs, send them to a developer's machine or send secrets
    /// in the clear are refused, naming the setting.
    /// Long: one entry per e-mail setting, in one place, as `Config::load`.
    pub(crate) fn load(
        get: &impl Fn(&str) -> Option<String>,
        local: bool,
    ) -> Result<EmailConfig, String> {
        let text = |name: &str, default: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let provider = match text("EMAIL_PROVIDER", "log").as_str() {
            "log" => Provider::Log,
            "http" => Provider::Http {
                url: get("EMAIL_API_URL")
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .ok_or("EMAIL_PROVIDER=http needs EMAIL_API_URL (an http or https URL)")?,
                key: get("EMAIL_API_KEY").unwrap_or_default(),
            },
            "smtp" => Provider::Smtp(SmtpConfig {
                host: get("SMTP_HOST")
                    .filter(|h| !h.trim().is_empty())
                    .ok_or("EMAIL_PROVIDER=smtp needs SMTP_HOST")?,
                port: bounded(get, "SMTP_PORT", 587, 1, u16::MAX)?,
                starttls: flag(get, "SMTP_TLS", true)?,
                ssl: flag(get, "SMTP_SSL", false)?,
                user: get("SMTP_USER").filter(|u| !u.is_empty()),
                password: get("SMTP_PASSWORD").filter(|p| !p.is_empty()),
            }),
            other => {
                return Err(format!(
                    "EMAIL_PROVIDER must be log, http or smtp, not {other:?}"
                ))
            }
        };
        if !local {
            refuse_outside_local(&provider, &text("FRONTEND_HOST", DEFAULT_FRONTEND_HOST))?;
        }
        let from_email = text("EMAILS_FROM_EMAIL", "noreply@example.com");
        Email::parse(&from_email)
            .map_err(|r| format!("EMAILS_FROM_EMAIL is not a valid email: {r}"))?;
        Ok(EmailConfig {
            project_name: text("PROJECT_NAME", "Users & Organizations API"),
            frontend_host: text("FRONTEND_HOST", DEFAULT_FRONTEND_HOST)
                .trim_end_matches('/')
                .to_string(),
            provider,
            from_name: text(
                "EMAILS_FROM_NAME",
                &text("PROJECT_NAME", "Users & Organizations API"),
            ),
            from_email,
            reset_token_hours: bounded(get, "EMAIL_RESET_TOKEN_EXPIRE_HOURS", 1, 1, 24 * 7)?,
            verify_token_hours: bounded(get, "EMAIL_VERIFY_TOKEN_EXPIRE_HOURS", 48, 1, 24 * 30)?,
            recovery_limit_per_hour: bounded(
                get,
                "PASSWORD_RECOVERY_LIMIT_PER_HOUR",
                5,
                0,
                MAX_LIMIT,
            )?,
            recovery_email_limit_per_hour: bounded(
                get,
                "PASSWORD_RECOVERY_EMAIL_LIMIT_PER_HOUR",
                20,
                0,
                MAX_LIMIT,
            )?,
            email_change_limit_per_hour: bounded(
                get,
                "EMAIL_CHANGE_LIMIT_PER_HOUR",
                5,
                0,
                MAX_LIMIT,
            )?,
            require_verification: flag(get, "REQUIRE_EMAIL_VERIFICATION", false)?,
            verify_on_signup: flag(get, "EMAIL_VERIFICATION_ON_SIGNUP", true)?,
            max_attempts: bounded(get, "EMAIL_MAX_ATTEMPTS", 5, 1, 100)?,
            retry_delay_seconds: bounded(get, "EMAIL_RETRY_DELAY_SECONDS", 30, 0, 3600)?,
            requeue_after_seconds: bounded(get, "EMAIL_REQUEUE_AFTER_SECONDS", 300, 1, 86_400)?,
        })
    }
}
