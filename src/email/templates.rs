//! The e-mails, as HTML and plain text, with the project name and links built
//! from `FRONTEND_HOST` (as the origin builds them). Everything that comes from
//! a user or a setting is escaped in the HTML.

use crate::config::EmailConfig;

/// One e-mail, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) kind: &'static str,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) html: String,
    pub(crate) text: String,
}

/// Text made safe for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(
    cfg: &EmailConfig,
    heading: &str,
    paragraphs: &[String],
    link: &str,
    action: &str,
    footer: &str,
) -> String {
    let project = escape(&cfg.project_name);
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p style=\"margin:0 0 16px\">{p}</p>"))
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{project}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#18181b\">\
         <div style=\"max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px\">\
         <h1 style=\"font-size:20px;margin:0 0 24px\">{project}</h1>\
         <h2 style=\"font-size:16px;margin:0 0 16px\">{heading}</h2>{body}\
         <p style=\"margin:24px 0\"><a href=\"{href}\" style=\"background:#009688;color:#fff;padding:12px 20px;\
         border-radius:6px;text-decoration:none;display:inline-block\">{action}</a></p>\
         <p style=\"margin:0 0 16px;font-size:13px;color:#52525b\">Or paste this link into your browser: \
         <a href=\"{href}\">{href}</a></p>\
         <p style=\"margin:0;font-size:13px;color:#71717a\">{footer}</p></div></body></html>",
        heading = escape(heading),
        href = escape(link),
        action = escape(action),
        footer = escape(footer),
    )
}

/// Password recovery (origin: `generate_reset_password_email`).
pub(crate) fn password_recovery(cfg: &EmailConfig, email: &str, token: &str) -> Message {
    let link = format!(
        "{}/reset-password?token={}",
        cfg.frontend_host,
        crate::http::percent_encode(token)
    );
    let hours = cfg.reset_token_hours;
    let valid = format!(
        "The link is valid for {hours} hour{}.",
        if hours == 1 { "" } else { "s" }
    );
    Message {
        kind: "password_recovery",
        to: email.to_string(),
        subject: format!("{} - Password recovery for user {email}", cfg.project_name),
        html: page(
            cfg,
            "Password recovery",
            &[format!("We received a request to recover the password for the account {}.", escape(email))],
            &link,
            "Reset password",
            &format!("{valid} If you did not ask for it, you can ignore this e-mail."),
        ),
        text: format!(
            "{project} - Password recovery\n\nWe received a request to recover the password for the account {email}.\n\
             Reset it here: {link}\n\n{valid} If you did not ask for it, you can ignore this e-mail.\n",
            project = cfg.project_name
        ),
    }
}

/// Address verification, after signup or a change of address.
pub(crate) fn verification(cfg: &EmailConfig, email: &str, token: &str) -> Message {
    let link = format!(
        "{}/verify-email?token={}",
        cfg.frontend_host,
        crate::http::percent_encode(token)
    );
    Message {
        kind: "email_verification",
        to: email.to_string(),
        subject: format!("{} - Verify your email address", cfg.project_name),
        html: page(
            cfg,
            "Verify your email address",
            &[format!("Please confirm that {} is your address.", escape(email))],
            &link,
            "Verify email",
            &format!("The link is valid for {} hours.", cfg.verify_token_hours),
        ),
        text: format!(
            "{project} - Verify your email address\n\nPlease confirm that {email} is your address:\n{link}\n\n\
             The link is valid for {hours} hours.\n",
            project = cfg.project_name,
            hours = cfg.verify_token_hours
        ),
    }
}

/// An invitation to an organization.
pub(crate) fn invitation(
    cfg: &EmailConfig,
    email: &str,
    organization: &str,
    inviter: &str,
    token: &str,
) -> Message {
    let link = format!(
        "{}/accept-invitation?token={}",
        cfg.frontend_host,
        crate::http::percent_encode(token)
    );
    Message {
        kind: "invitation",
        to: email.to_string(),
        subject: format!("{} - You are invited to join {organization}", cfg.project_name),
        html: page(
            cfg,
            &format!("Join {organization}"),
            &[format!("{} invited you to join {}.", escape(inviter), escape(organization))],
            &link,
            "Accept invitation",
            "If you do not want to join, you can ignore this e-mail.",
        ),
        text: format!(
            "{project} - You are invited to join {organization}\n\n{inviter} invited you to join {organization}.\n\
             Accept here: {link}\n",
            project = cfg.project_name
        ),
    }
}

/// The first link in a text body (what the `log` provider prints).
pub(crate) fn first_link(text: &str) -> Option<&str> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let rest = &text[start..];
    Some(&rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn cfg() -> EmailConfig {
        let vars = [
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("PROJECT_NAME", "Acme <Users>"),
            ("FRONTEND_HOST", "https://app.example.com/"),
            ("ENVIRONMENT", "local"),
        ];
        Config::load(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
        .email
    }

    #[test]
    fn a_recovery_link_carries_the_token_and_everything_is_escaped() {
        let m = password_recovery(&cfg(), "o'brien+x@example.com", "a+b/c=");
        assert_eq!(
            m.subject,
            "Acme <Users> - Password recovery for user o'brien+x@example.com"
        );
        assert_eq!(
            first_link(&m.text),
            Some("https://app.example.com/reset-password?token=a%2Bb%2Fc%3D")
        );
        assert!(m.html.contains("Acme &lt;Users&gt;"));
        assert!(m.html.contains("o&#39;brien+x@example.com"));
        assert!(!m.html.contains("<Users>"));
        assert!(m
            .html
            .contains(r#"href="https://app.example.com/reset-password?token=a%2Bb%2Fc%3D""#));
    }

    #[test]
    fn verification_and_invitation_links_point_at_the_frontend() {
        let v = verification(&cfg(), "a@example.com", "tok");
        assert_eq!(
            first_link(&v.text),
            Some("https://app.example.com/verify-email?token=tok")
        );
        let i = invitation(&cfg(), "a@example.com", "<Org>", "Ann", "tok");
        assert!(i.html.contains("&lt;Org&gt;"));
        assert_eq!(
            first_link(&i.text),
            Some("https://app.example.com/accept-invitation?token=tok")
        );
    }
}
