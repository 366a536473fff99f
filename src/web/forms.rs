//! Form validation results, shown next to the fields when a form is re-rendered with 422.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for a field, or "" (templates test it with `!= ""`).
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
}

/// A plausible email address: one @, a non-empty local part, a dotted domain, no spaces.
/// Deliverability is proved by the emails we send, not by a regular expression.
pub fn normalize_email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter your email address.");
    }
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err("Enter a valid email address.");
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(email)
        }
        _ => Err("Enter a valid email address."),
    }
}

/// A trimmed display name of 1 to `max` characters.
pub fn clean_name(input: &str, max: usize, what: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(format!("Enter {what}."));
    }
    if name.chars().count() > max {
        return Err(format!("Keep it to {max} characters or fewer."));
    }
    if name.chars().any(char::is_control) {
        return Err("Remove the control characters.".into());
    }
    Ok(name.to_string())
}

/// Checks a new password and its confirmation, recording problems under the two field names.
pub fn check_new_password(
    errors: &mut FieldErrors,
    fields: (&'static str, &'static str),
    password: &str,
    confirm: &str,
) {
    if let Some(problem) = crate::auth::passwords::validate_new(password) {
        errors.add(fields.0, problem);
    } else if password != confirm {
        errors.add(fields.1, "The two passwords do not match.");
    }
}

/// Accepts only a same-origin relative path for post-sign-in redirects.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && !n.contains("://")
        && !n.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        assert!(normalize_email("ann@").is_err());
        assert!(normalize_email("ann@example").is_err());
        assert!(normalize_email("a b@example.com").is_err());
    }

    #[test]
    fn next_only_allows_local_paths() {
        assert_eq!(safe_next(Some("/w/acme")), Some("/w/acme".into()));
        assert_eq!(safe_next(Some("//evil.com")), None);
        assert_eq!(safe_next(Some("https://evil.com")), None);
        assert_eq!(safe_next(Some("/\\evil.com")), None);
        assert_eq!(safe_next(Some("javascript:alert(1)")), None);
    }
}
