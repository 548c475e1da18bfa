//! Settings, read once per request from the worker's vars and secrets. Every
//! one is bounded: a value out of range refuses to run, naming the setting.
//!
//! Pure: `lib.rs` hands over a lookup function, so these rules are unit-tested
//! natively. A missing or placeholder secret is a refusal to run: every request
//! answers 500 and the log says which setting is wrong.

/// The placeholder secrets ship in `.dev.vars.example`; they are fine on a laptop only.
pub(crate) const PLACEHOLDER_SECRET: &str = "changethis";

mod email;

pub(crate) use email::{EmailConfig, Provider, SmtpConfig};

use crate::keyring::{self, KeyRing};
use crate::validation::email::Email;
use crate::validation::{PASSWORD_MAX, PASSWORD_MIN};
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Environment {
    Local,
    Staging,
    Production,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `ENVIRONMENT=local`: local development, where the origin's test helper
    /// route (`POST /private/users/`) is mounted and placeholder secrets pass.
    pub(crate) local: bool,
    /// HS256 key for access tokens (`SECRET_KEY`, a secret; at least 32 bytes outside local).
    pub(crate) secret_key: String,
    /// Access token lifetime (`ACCESS_TOKEN_EXPIRE_MINUTES`, default 8 days, at most a year).
    pub(crate) access_token_expire_minutes: i64,
    /// A session's life from its last refresh (`REFRESH_TOKEN_EXPIRE_DAYS`, 30; 1 to 365).
    pub(crate) refresh_token_expire_days: i64,
    /// How long an invitation can be accepted (`INVITATION_EXPIRE_DAYS`, 7; 1 to 365).
    pub(crate) invitation_expire_days: i64,
    /// The largest upload (`MAX_UPLOAD_BYTES`, 5 MiB; 1 byte to 100 MiB).
    pub(crate) max_upload_bytes: u64,
    /// How long an upload URL works (`UPLOAD_URL_EXPIRE_MINUTES`, 15; 1 to 1440).
    pub(crate) upload_url_expire_minutes: i64,
    /// Unexpired upload URLs one user may hold (`MAX_PENDING_UPLOADS`, 20; 0 = no uploads).
    pub(crate) max_pending_uploads: i64,
    /// How long events are kept, in days (`EVENT_RETENTION_DAYS`, 90); the scheduled run deletes older ones.
    pub(crate) event_retention_days: i64,
    /// PBKDF2-HMAC-SHA256 rounds for new hashes (`PASSWORD_HASH_ITERATIONS`, default 600,000).
    pub(crate) password_iterations: u32,
    /// `FIRST_SUPERUSER` / `FIRST_SUPERUSER_PASSWORD`: created once if missing.
    pub(crate) first_superuser: Option<(String, String)>,
    /// Failed logins allowed per (email, client address) within the window
    /// (`LOGIN_FAILURE_LIMIT`, 10; 0 = off).
    pub(crate) login_failure_limit: u32,
    /// Failed logins allowed per email across all addresses within the window
    /// (`LOGIN_EMAIL_FAILURE_LIMIT`, 100; 0 = off).
    pub(crate) login_email_failure_limit: u32,
    /// The window of the login limits (`LOGIN_FAILURE_WINDOW_SECONDS`, 900).
    pub(crate) login_failure_window_seconds: i64,
    /// Failed logins allowed per client address within the window (`LOGIN_IP_FAILURE_LIMIT`, 100; 0 = off).
    pub(crate) login_ip_failure_limit: u32,
    /// Signups allowed per client address per hour (`SIGNUP_IP_LIMIT_PER_HOUR`, 30; 0 = off).
    pub(crate) signup_ip_limit_per_hour: u32,
    /// `INVITATION_LIMIT_PER_HOUR` (50): invitations a user sends (created or
    /// resent), across every organization, per hour; each is an e-mail.
    pub(crate) invitation_limit_per_hour: u32,
    /// `MAX_ORGANIZATIONS_PER_USER` (100; 1 to 100,000): organizations one user may own.
    pub(crate) max_organizations_per_user: i64,
    /// `CALLER_CACHE_SECONDS` (0 = off; at most 5): how long this isolate may
    /// serve the caller's user row and session from memory (`identity::cache`).
    pub(crate) caller_cache_seconds: u64,
    /// Origins allowed by CORS (`BACKEND_CORS_ORIGINS`, comma-separated; `*` for any).
    pub(crate) cors_origins: Vec<String>,
    /// Whether responses carry `Server-Timing` (`SERVER_TIMING`, `on` or `off`;
    /// default on with `ENVIRONMENT=local`, off elsewhere).
    pub(crate) server_timing: bool,
    /// Local development only (`SQL_TRACE=on`): every D1 statement and its
    /// bindings go to the log as `sql-trace {json}`, for the query-plan test.
    pub(crate) sql_trace: bool,
    /// E-mail: templates, delivery and tokens.
    pub(crate) email: EmailConfig,
    /// Access tokens other services verify (extensions K).
    pub(crate) tokens: TokenConfig,
    /// Webhook deliveries (extensions W).
    pub(crate) webhooks: WebhookConfig,
}

/// How webhook deliveries are sent and retried.
#[derive(Debug, Clone)]
pub(crate) struct WebhookConfig {
    /// `WEBHOOK_RETRY_SCHEDULE`: the delay before each retry, in seconds
    /// (comma-separated; 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h by default).
    /// A delivery that failed every retry is marked failed.
    pub(crate) retry_schedule: Vec<u32>,
    /// `WEBHOOK_TIMEOUT_SECONDS` (10; 1 to 30): a receiver that has not answered
    /// by then failed this attempt.
    pub(crate) timeout_seconds: u32,
}

/// Section W's schedule.
const DEFAULT_WEBHOOK_RETRY_SCHEDULE: &str = "5,300,1800,7200,18000,36000,36000";
/// Most retries, and the longest delay: a queue message is delayed 12 hours at most.
const MAX_WEBHOOK_RETRIES: usize = 20;
const MAX_WEBHOOK_RETRY_DELAY: u32 = 43_200;

impl WebhookConfig {
    fn load(get: &impl Fn(&str) -> Option<String>) -> Result<WebhookConfig, String> {
        let raw = get("WEBHOOK_RETRY_SCHEDULE").filter(|s| !s.trim().is_empty());
        let raw = raw.as_deref().unwrap_or(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
        let delays: Option<Vec<u32>> = raw
            .split(',')
            .map(|d| d.trim().parse::<u32>().ok())
            .map(|d| d.filter(|d| (1..=MAX_WEBHOOK_RETRY_DELAY).contains(d)))
            .collect();
        let retry_schedule = delays
            .filter(|d| d.len() <= MAX_WEBHOOK_RETRIES)
            .ok_or_else(|| {
                format!(
                    "WEBHOOK_RETRY_SCHEDULE must be at most {MAX_WEBHOOK_RETRIES} comma-separated \
                 delays of 1 to {MAX_WEBHOOK_RETRY_DELAY} seconds, not {raw:?}"
                )
            })?;
        Ok(WebhookConfig {
            retry_schedule,
            timeout_seconds: bounded(get, "WEBHOOK_TIMEOUT_SECONDS", 10, 1, 30)?,
        })
    }
}

/// How access tokens are signed and checked.
#[derive(Debug, Clone)]
pub(crate) struct TokenConfig {
    /// `SIGNING_KEYS` (a secret): the Ed25519 ring, parsed once per isolate;
    /// empty when unset, and then tokens are HS256 under `SECRET_KEY`.
    pub(crate) ring: Rc<KeyRing>,
    /// `ACCEPT_HS256` (default true): with a ring, whether HS256 tokens still pass.
    pub(crate) accept_hs256: bool,
    /// `TOKEN_ISSUER` (default `users-orgs-api`): the `iss` of EdDSA tokens.
    pub(crate) issuer: String,
    /// `ORG_TOKEN_EXPIRE_MINUTES` (10; 1 to 1440): the longest life of an
    /// organization token.
    pub(crate) org_token_expire_minutes: i64,
}

/// Longest `TOKEN_ISSUER`.
const MAX_ISSUER_LEN: usize = 256;

impl TokenConfig {
    fn load(get: &impl Fn(&str) -> Option<String>) -> Result<TokenConfig, String> {
        let issuer = get("TOKEN_ISSUER")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_TOKEN_ISSUER.to_string());
        if issuer.len() > MAX_ISSUER_LEN || issuer.chars().any(char::is_control) {
            return Err(format!(
                "TOKEN_ISSUER must be 1 to {MAX_ISSUER_LEN} printable characters"
            ));
        }
        Ok(TokenConfig {
            ring: keyring::ring(get("SIGNING_KEYS").as_deref())?,
            accept_hs256: email::flag(get, "ACCEPT_HS256", true)?,
            issuer,
            org_token_expire_minutes: bounded(get, "ORG_TOKEN_EXPIRE_MINUTES", 10, 1, 1440)?,
        })
    }
}

/// The `iss` of EdDSA tokens when `TOKEN_ISSUER` is unset.
pub(crate) const DEFAULT_TOKEN_ISSUER: &str = "users-orgs-api";

pub(crate) const DEFAULT_ACCESS_TOKEN_EXPIRE_MINUTES: i64 = 60 * 24 * 8;
pub(crate) const MAX_ACCESS_TOKEN_EXPIRE_MINUTES: i64 = 60 * 24 * 365;
pub(crate) const DEFAULT_PASSWORD_ITERATIONS: u32 = 600_000;
/// Bounds on the configured work factor; a stored hash outside them is refused too.
pub(crate) const MIN_PASSWORD_ITERATIONS: u32 = 1_000;
pub(crate) const MAX_PASSWORD_ITERATIONS: u32 = 5_000_000;
/// Shortest `SECRET_KEY` accepted outside local development (HS256's key size).
pub(crate) const MIN_SECRET_KEY_BYTES: usize = 32;
/// Largest value of a count limit.
pub(super) const MAX_LIMIT: u32 = 1_000_000;
/// Longest login window: 30 days.
const MAX_WINDOW_SECONDS: i64 = 30 * 24 * 3600;

impl Config {
    /// Reads every setting through `get` (a var or secret by name); each is bounded.
    /// Long: one entry per setting, in one place, so the table of settings
    /// reads top to bottom (docs/configuration.md follows it).
    pub(crate) fn load(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let environment = match get("ENVIRONMENT").as_deref().map(str::trim) {
            None | Some("") | Some("production") => Environment::Production,
            Some("staging") => Environment::Staging,
            Some("local") => Environment::Local,
            Some(other) => {
                return Err(format!(
                    "ENVIRONMENT must be local, staging or production, not {other:?}"
                ))
            }
        };
        let secret_key = get("SECRET_KEY").filter(|s| !s.is_empty()).ok_or(
            "SECRET_KEY is not set: `wrangler secret put SECRET_KEY` in production, .dev.vars locally",
        )?;
        check_secret("SECRET_KEY", &secret_key, environment)?;
        if environment != Environment::Local && secret_key.len() < MIN_SECRET_KEY_BYTES {
            return Err(format!(
                "SECRET_KEY is {} bytes: at least {MIN_SECRET_KEY_BYTES} are required (e.g. `openssl rand -hex 32`)",
                secret_key.len()
            ));
        }
        let first_superuser = match (get("FIRST_SUPERUSER"), get("FIRST_SUPERUSER_PASSWORD")) {
            (Some(email), Some(password)) if !email.is_empty() => {
                check_secret("FIRST_SUPERUSER_PASSWORD", &password, environment)?;
                Email::parse(&email)
                    .map_err(|r| format!("FIRST_SUPERUSER is not a valid email: {r}"))?;
                let n = password.chars().count();
                if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
                    return Err(format!(
                        "FIRST_SUPERUSER_PASSWORD must be {PASSWORD_MIN} to {PASSWORD_MAX} characters, not {n}"
                    ));
                }
                Some((email, password))
            }
            (Some(email), None) if !email.is_empty() => {
                return Err("FIRST_SUPERUSER is set but FIRST_SUPERUSER_PASSWORD is not".into())
            }
            _ => None,
        };
        // Off by default outside local development: its counts would tell an
        // anonymous caller more than the answer does.
        let server_timing = match get("SERVER_TIMING").as_deref().map(str::trim) {
            None | Some("") => environment == Environment::Local,
            Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(format!("SERVER_TIMING must be on or off, not {other:?}")),
        };
        let sql_trace = match get("SQL_TRACE").as_deref().map(str::trim) {
            None | Some("") | Some("off") => false,
            Some("on") if environment == Environment::Local => true,
            Some("on") => return Err("SQL_TRACE=on is for local development only".into()),
            Some(other) => return Err(format!("SQL_TRACE must be on or off, not {other:?}")),
        };
        let cors_origins = get("BACKEND_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        let local = environment == Environment::Local;
        let email = EmailConfig::load(&get, local)?;
        let tokens = TokenConfig::load(&get)?;
        let webhooks = WebhookConfig::load(&get)?;
        let mut n = Numbers {
            get: &get,
            refused: None,
        };
        let config = Config {
            local,
            secret_key,
            access_token_expire_minutes: n.read(
                "ACCESS_TOKEN_EXPIRE_MINUTES",
                DEFAULT_ACCESS_TOKEN_EXPIRE_MINUTES,
                1,
                MAX_ACCESS_TOKEN_EXPIRE_MINUTES,
            ),
            refresh_token_expire_days: n.read("REFRESH_TOKEN_EXPIRE_DAYS", 30, 1, 365),
            invitation_expire_days: n.read("INVITATION_EXPIRE_DAYS", 7, 1, 365),
            max_upload_bytes: n.read("MAX_UPLOAD_BYTES", 5 << 20, 1, 100 << 20),
            upload_url_expire_minutes: n.read("UPLOAD_URL_EXPIRE_MINUTES", 15, 1, 1440),
            max_pending_uploads: n.read("MAX_PENDING_UPLOADS", 20, 0, 1000),
            event_retention_days: n.read("EVENT_RETENTION_DAYS", 90, 1, 3650),
            password_iterations: n.read(
                "PASSWORD_HASH_ITERATIONS",
                DEFAULT_PASSWORD_ITERATIONS,
                MIN_PASSWORD_ITERATIONS,
                MAX_PASSWORD_ITERATIONS,
            ),
            first_superuser,
            login_failure_limit: n.read("LOGIN_FAILURE_LIMIT", 10, 0, MAX_LIMIT),
            login_email_failure_limit: n.read("LOGIN_EMAIL_FAILURE_LIMIT", 100, 0, MAX_LIMIT),
            login_failure_window_seconds: n.read(
                "LOGIN_FAILURE_WINDOW_SECONDS",
                900,
                1,
                MAX_WINDOW_SECONDS,
            ),
            login_ip_failure_limit: n.read("LOGIN_IP_FAILURE_LIMIT", 100, 0, MAX_LIMIT),
            signup_ip_limit_per_hour: n.read("SIGNUP_IP_LIMIT_PER_HOUR", 30, 0, MAX_LIMIT),
            invitation_limit_per_hour: n.read("INVITATION_LIMIT_PER_HOUR", 50, 0, MAX_LIMIT),
            max_organizations_per_user: n.read("MAX_ORGANIZATIONS_PER_USER", 100, 1, 100_000),
            caller_cache_seconds: n.read("CALLER_CACHE_SECONDS", 0, 0, 5),
            cors_origins,
            server_timing,
            sql_trace,
            email,
            tokens,
            webhooks,
        };
        match n.refused {
            Some(refused) => Err(refused),
            None => Ok(config),
        }
    }
}

/// Reads whole-number settings, keeping the first refusal for the end: one
/// exit from `Config::load` for all of them, where a return at each would
/// compile the drop of everything read before it once per setting.
struct Numbers<'g, G> {
    get: &'g G,
    refused: Option<String>,
}

impl<G: Fn(&str) -> Option<String>> Numbers<'_, G> {
    fn read<T>(&mut self, name: &str, default: T, min: T, max: T) -> T
    where
        T: TryInto<i64> + TryFrom<i64> + Copy,
    {
        match bounded(self.get, name, default, min, max) {
            Ok(value) => value,
            Err(refused) => {
                self.refused.get_or_insert(refused);
                default
            }
        }
    }
}

fn check_secret(name: &str, value: &str, env: Environment) -> Result<(), String> {
    if value == PLACEHOLDER_SECRET && env != Environment::Local {
        return Err(format!(
            "{name} is the placeholder {PLACEHOLDER_SECRET:?}: set a real one (`wrangler secret put {name}`)"
        ));
    }
    Ok(())
}

/// A whole number setting within `min..=max` (its default when absent or empty).
pub(super) fn bounded<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    min: T,
    max: T,
) -> Result<T, String>
where
    T: TryInto<i64> + TryFrom<i64>,
{
    let wide = |v: T| v.try_into().unwrap_or(i64::MAX);
    let value = bounded_i64(get(name), name, wide(default), wide(min), wide(max))?;
    T::try_from(value).map_err(|_| format!("{name} is out of range: {value}"))
}

/// [`bounded`]'s work, compiled once for every type of setting.
#[inline(never)]
fn bounded_i64(
    raw: Option<String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, String> {
    let value = match raw.as_deref().map(str::trim) {
        None | Some("") => default,
        Some(s) => s
            .parse()
            .map_err(|_| format!("{name} must be a whole number, not {s:?}"))?,
    };
    if value < min || value > max {
        return Err(format!(
            "{name} must be between {min} and {max}, not {value}"
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    /// What production needs besides the secret key: a real e-mail provider
    /// and a public frontend. `pairs` override them.
    const PRODUCTION_EMAIL: [(&str, &str); 3] = [
        ("EMAIL_PROVIDER", "http"),
        ("EMAIL_API_URL", "https://mail.example.com/send"),
        ("FRONTEND_HOST", "https://app.example.com"),
    ];

    fn load(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = PRODUCTION_EMAIL
            .iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|k| map.get(k).cloned())
    }

    #[test]
    fn outside_local_development_mail_settings_that_leak_are_refused() {
        let refused = |pairs: &[(&str, &str)]| {
            let mut all = vec![("SECRET_KEY", KEY)];
            all.extend_from_slice(pairs);
            let local = [all.clone(), vec![("ENVIRONMENT", "local")]].concat();
            assert!(load(&local).is_ok(), "{pairs:?} locally");
            load(&all).unwrap_err()
        };
        assert!(refused(&[("EMAIL_PROVIDER", "log")]).starts_with("EMAIL_PROVIDER=log"));
        for host in [
            "http://localhost:5173",
            "https://LOCALHOST",
            "http://127.0.0.1:8080/app",
            "http://[::1]:3000",
            "https://app.localhost",
        ] {
            assert!(
                refused(&[("FRONTEND_HOST", host)]).starts_with("FRONTEND_HOST is"),
                "{host}"
            );
        }
        assert!(refused(&[("EMAIL_API_URL", "http://mail.example.com")])
            .starts_with("EMAIL_API_URL must be an https URL"));
        let smtp = [
            ("EMAIL_PROVIDER", "smtp"),
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_USER", "u"),
            ("SMTP_PASSWORD", "p"),
            ("SMTP_TLS", "false"),
        ];
        assert!(refused(&smtp).starts_with("SMTP_USER is set without SMTP_TLS"));
        let with_tls = [&smtp[..4], &[("SMTP_TLS", "true")]].concat();
        assert!(load(&[&[("SECRET_KEY", KEY)], &with_tls[..]].concat()).is_ok());
        assert!(load(&[
            ("SECRET_KEY", KEY),
            ("FRONTEND_HOST", "https://app.example.com")
        ])
        .is_ok());
    }

    #[test]
    fn the_webhook_retry_schedule_has_section_ws_default_and_bounds() {
        let c = load(&[("SECRET_KEY", KEY)]).unwrap();
        let w = c.webhooks;
        assert_eq!(
            w.retry_schedule,
            [5, 300, 1800, 7200, 18_000, 36_000, 36_000]
        );
        assert_eq!(w.timeout_seconds, 10);
        let set = load(&[("SECRET_KEY", KEY), ("WEBHOOK_RETRY_SCHEDULE", " 1, 2 ")]);
        assert_eq!(set.unwrap().webhooks.retry_schedule, [1, 2]);
        for bad in ["0", "a,1", "43201", "1,,2"] {
            let err = load(&[("SECRET_KEY", KEY), ("WEBHOOK_RETRY_SCHEDULE", bad)]).unwrap_err();
            assert!(
                err.starts_with("WEBHOOK_RETRY_SCHEDULE must be"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_missing_secret_key_refuses_to_run() {
        assert!(load(&[]).unwrap_err().contains("SECRET_KEY is not set"));
    }

    #[test]
    fn the_placeholder_key_is_accepted_only_in_local_development() {
        assert!(load(&[("SECRET_KEY", "changethis")])
            .unwrap_err()
            .contains("placeholder"));
        assert!(load(&[("SECRET_KEY", "changethis"), ("ENVIRONMENT", "staging")]).is_err());
        assert!(load(&[("SECRET_KEY", "changethis"), ("ENVIRONMENT", "local")]).is_ok());
    }

    #[test]
    fn defaults_apply_when_settings_are_absent() {
        let c = load(&[("SECRET_KEY", KEY)]).unwrap();
        assert_eq!(c.access_token_expire_minutes, 11_520);
        assert_eq!(c.password_iterations, 600_000);
        assert!(c.first_superuser.is_none());
    }

    #[test]
    fn limits_and_cors_origins_have_defaults_and_can_be_set() {
        let c = load(&[("SECRET_KEY", KEY)]).unwrap();
        assert_eq!(
            (
                c.login_failure_limit,
                c.login_email_failure_limit,
                c.login_failure_window_seconds,
                c.login_ip_failure_limit,
                c.signup_ip_limit_per_hour
            ),
            (10, 100, 900, 100, 30)
        );
        assert!(c.cors_origins.is_empty());
        let c = load(&[
            ("SECRET_KEY", KEY),
            ("LOGIN_FAILURE_LIMIT", "0"),
            (
                "BACKEND_CORS_ORIGINS",
                " https://a.example.com/ ,http://localhost:5173,",
            ),
        ])
        .unwrap();
        assert_eq!(c.login_failure_limit, 0);
        assert_eq!(
            c.cors_origins,
            ["https://a.example.com", "http://localhost:5173"]
        );
        assert!(load(&[("SECRET_KEY", KEY), ("LOGIN_FAILURE_LIMIT", "-1")]).is_err());
    }

    #[test]
    fn a_work_factor_out_of_bounds_is_refused() {
        assert!(load(&[("SECRET_KEY", KEY), ("PASSWORD_HASH_ITERATIONS", "10")]).is_err());
        assert!(load(&[("SECRET_KEY", KEY), ("PASSWORD_HASH_ITERATIONS", "ten")]).is_err());
    }

    #[test]
    fn a_short_secret_key_is_refused_outside_local_development() {
        let e = load(&[("SECRET_KEY", "short-key")]).unwrap_err();
        assert!(e.contains("SECRET_KEY is 9 bytes"), "{e}");
        assert!(load(&[("SECRET_KEY", "short-key"), ("ENVIRONMENT", "local")]).is_ok());
    }

    #[test]
    fn every_number_is_bounded() {
        for (name, value) in [
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "99999999999999"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("LOGIN_FAILURE_WINDOW_SECONDS", "0"),
            ("LOGIN_FAILURE_WINDOW_SECONDS", "99999999999"),
            ("LOGIN_EMAIL_FAILURE_LIMIT", "1000001"),
            ("SIGNUP_IP_LIMIT_PER_HOUR", "-1"),
        ] {
            let e = load(&[("SECRET_KEY", KEY), (name, value)]).unwrap_err();
            assert!(e.starts_with(name), "{e}");
        }
    }

    #[test]
    fn the_first_superuser_must_be_a_valid_email_and_password() {
        let su = |email, password| {
            load(&[
                ("SECRET_KEY", KEY),
                ("FIRST_SUPERUSER", email),
                ("FIRST_SUPERUSER_PASSWORD", password),
            ])
        };
        assert!(su("admin@example.com", "long-enough").is_ok());
        assert!(su("not-an-email", "long-enough")
            .unwrap_err()
            .contains("FIRST_SUPERUSER is not a valid email"));
        assert!(su("admin@example.com", "short")
            .unwrap_err()
            .contains("8 to 40 characters"));
    }

    #[test]
    fn server_timing_is_on_locally_off_elsewhere_and_can_be_set() {
        assert!(!load(&[("SECRET_KEY", KEY)]).unwrap().server_timing);
        let local = load(&[("SECRET_KEY", KEY), ("ENVIRONMENT", "local")]).unwrap();
        assert!(local.server_timing);
        assert!(
            load(&[("SECRET_KEY", KEY), ("SERVER_TIMING", "on")])
                .unwrap()
                .server_timing
        );
        assert!(
            !load(&[("SECRET_KEY", KEY), ("SERVER_TIMING", "off")])
                .unwrap()
                .server_timing
        );
        assert!(load(&[("SECRET_KEY", KEY), ("SERVER_TIMING", "no")]).is_err());
    }
}
