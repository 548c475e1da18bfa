//! Settings, read once per request from the worker's vars and secrets.
//!
//! Pure: `lib.rs` hands over a lookup function, so these rules are unit-tested
//! natively. A missing or placeholder secret is a refusal to run: every request
//! answers 500 and the log says which setting is wrong.

/// The placeholder secrets ship in `.dev.vars.example`; they are fine on a laptop only.
pub(crate) const PLACEHOLDER_SECRET: &str = "changethis";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Environment {
    Local,
    Staging,
    Production,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// HS256 key for access tokens (`SECRET_KEY`, a secret).
    pub(crate) secret_key: String,
    /// Access token lifetime (`ACCESS_TOKEN_EXPIRE_MINUTES`, default 8 days).
    pub(crate) access_token_expire_minutes: i64,
    /// PBKDF2-HMAC-SHA256 rounds for new hashes (`PASSWORD_HASH_ITERATIONS`, default 600,000).
    pub(crate) password_iterations: u32,
    /// `FIRST_SUPERUSER` / `FIRST_SUPERUSER_PASSWORD`: created once if missing.
    pub(crate) first_superuser: Option<(String, String)>,
    /// Failed logins allowed per email within the window (`LOGIN_FAILURE_LIMIT`, 10; 0 = off).
    pub(crate) login_failure_limit: u32,
    /// The window of both login limits (`LOGIN_FAILURE_WINDOW_SECONDS`, 900).
    pub(crate) login_failure_window_seconds: i64,
    /// Failed logins allowed per client address within the window (`LOGIN_IP_FAILURE_LIMIT`, 100; 0 = off).
    pub(crate) login_ip_failure_limit: u32,
    /// Signups allowed per client address per hour (`SIGNUP_IP_LIMIT_PER_HOUR`, 30; 0 = off).
    pub(crate) signup_ip_limit_per_hour: u32,
    /// Origins allowed by CORS (`BACKEND_CORS_ORIGINS`, comma-separated; `*` for any).
    pub(crate) cors_origins: Vec<String>,
}

pub(crate) const DEFAULT_ACCESS_TOKEN_EXPIRE_MINUTES: i64 = 60 * 24 * 8;
pub(crate) const DEFAULT_PASSWORD_ITERATIONS: u32 = 600_000;
/// Bounds on the configured work factor; a stored hash outside them is refused too.
pub(crate) const MIN_PASSWORD_ITERATIONS: u32 = 1_000;
pub(crate) const MAX_PASSWORD_ITERATIONS: u32 = 5_000_000;

impl Config {
    /// Reads every setting through `get` (a var or secret by name).
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
        let access_token_expire_minutes = parse_num(
            &get,
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            DEFAULT_ACCESS_TOKEN_EXPIRE_MINUTES,
        )?;
        if access_token_expire_minutes <= 0 {
            return Err("ACCESS_TOKEN_EXPIRE_MINUTES must be positive".into());
        }
        let password_iterations = parse_num(
            &get,
            "PASSWORD_HASH_ITERATIONS",
            DEFAULT_PASSWORD_ITERATIONS,
        )?;
        if !(MIN_PASSWORD_ITERATIONS..=MAX_PASSWORD_ITERATIONS).contains(&password_iterations) {
            return Err(format!(
                "PASSWORD_HASH_ITERATIONS must be between {MIN_PASSWORD_ITERATIONS} and {MAX_PASSWORD_ITERATIONS}"
            ));
        }
        let first_superuser = match (get("FIRST_SUPERUSER"), get("FIRST_SUPERUSER_PASSWORD")) {
            (Some(email), Some(password)) if !email.is_empty() => {
                check_secret("FIRST_SUPERUSER_PASSWORD", &password, environment)?;
                Some((email, password))
            }
            (Some(email), None) if !email.is_empty() => {
                return Err("FIRST_SUPERUSER is set but FIRST_SUPERUSER_PASSWORD is not".into())
            }
            _ => None,
        };
        let login_failure_window_seconds = parse_num(&get, "LOGIN_FAILURE_WINDOW_SECONDS", 900)?;
        if login_failure_window_seconds <= 0 {
            return Err("LOGIN_FAILURE_WINDOW_SECONDS must be positive".into());
        }
        let cors_origins = get("BACKEND_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        Ok(Config {
            secret_key,
            access_token_expire_minutes,
            password_iterations,
            first_superuser,
            login_failure_limit: parse_num(&get, "LOGIN_FAILURE_LIMIT", 10)?,
            login_failure_window_seconds,
            login_ip_failure_limit: parse_num(&get, "LOGIN_IP_FAILURE_LIMIT", 100)?,
            signup_ip_limit_per_hour: parse_num(&get, "SIGNUP_IP_LIMIT_PER_HOUR", 30)?,
            cors_origins,
        })
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

fn parse_num<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, String> {
    match get(name) {
        None => Ok(default),
        Some(s) if s.trim().is_empty() => Ok(default),
        Some(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("{name} must be a whole number, not {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|k| map.get(k).cloned())
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
        let c = load(&[("SECRET_KEY", "k")]).unwrap();
        assert_eq!(c.access_token_expire_minutes, 11_520);
        assert_eq!(c.password_iterations, 600_000);
        assert!(c.first_superuser.is_none());
    }

    #[test]
    fn limits_and_cors_origins_have_defaults_and_can_be_set() {
        let c = load(&[("SECRET_KEY", "k")]).unwrap();
        assert_eq!(
            (
                c.login_failure_limit,
                c.login_failure_window_seconds,
                c.login_ip_failure_limit,
                c.signup_ip_limit_per_hour
            ),
            (10, 900, 100, 30)
        );
        assert!(c.cors_origins.is_empty());
        let c = load(&[
            ("SECRET_KEY", "k"),
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
        assert!(load(&[("SECRET_KEY", "k"), ("LOGIN_FAILURE_LIMIT", "-1")]).is_err());
    }

    #[test]
    fn a_work_factor_out_of_bounds_is_refused() {
        assert!(load(&[("SECRET_KEY", "k"), ("PASSWORD_HASH_ITERATIONS", "10")]).is_err());
        assert!(load(&[("SECRET_KEY", "k"), ("PASSWORD_HASH_ITERATIONS", "ten")]).is_err());
    }
}
