//! Trait substitution in role values: `{{internal.logins}}`, `{{external.groups}}`,
//! `{{external["some name"]}}` and `{{email.local(external.email)}}`.
//!
//! - A value without `{{` or `}}` is a literal and passes through unchanged.
//! - A value with one `{{expression}}` expands to one value per trait value, keeping the
//!   text around the braces: `admin-{{external.team}}` with `team: [a, b]` gives
//!   `admin-a`, `admin-b`.
//! - Both `internal.<name>` and `external.<name>` read the user's trait `<name>`
//!   (local users keep `logins` there; SSO users get their claims there). Any trait
//!   name is accepted in both namespaces.
//! - A trait the user does not have (or has with no values) expands to nothing: the
//!   value is dropped, never kept as text.
//! - `email.local(...)` keeps the part before `@`; trait values that are not of the form
//!   `local@domain` are dropped.
//! - Unbalanced braces, two expressions in one value, an unknown namespace or function
//!   are errors ([`TemplateError`]).

use std::collections::BTreeMap;

use super::error::TemplateError;

/// A user's traits: name to values (`logins`, SSO claims, ...).
pub type Traits = BTreeMap<String, Vec<String>>;

/// The namespace of user-defined and local traits.
pub const INTERNAL: &str = "internal";
/// The namespace of traits from SSO connectors.
pub const EXTERNAL: &str = "external";

/// A parsed `{{...}}` template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template<'a> {
    prefix: &'a str,
    suffix: &'a str,
    trait_name: String,
    email_local: bool,
}

/// Whether `value` contains a `{{...}}` template (or stray braces).
pub fn is_template(value: &str) -> bool {
    value.contains("{{") || value.contains("}}")
}

/// Checks that `value` is a literal or a well-formed template, without expanding it.
pub fn validate(value: &str) -> Result<(), TemplateError> {
    parse(value).map(|_| ())
}

/// Expands `value` against `traits`: a literal gives itself, a template one value per
/// trait value (none when the trait is missing). The result has no duplicates and no
/// empty strings.
pub fn expand(value: &str, traits: &Traits) -> Result<Vec<String>, TemplateError> {
    let Some(template) = parse(value)? else {
        return Ok(vec![value.to_string()]);
    };
    let mut out: Vec<String> = Vec::new();
    for raw in traits.get(&template.trait_name).into_iter().flatten() {
        let middle = if template.email_local {
            match email_local(raw) {
                Some(local) => local,
                None => continue,
            }
        } else {
            raw.as_str()
        };
        if middle.is_empty() {
            continue;
        }
        let expanded = format!("{}{middle}{}", template.prefix, template.suffix);
        if !out.contains(&expanded) {
            out.push(expanded);
        }
    }
    Ok(out)
}

/// `local` of `local@domain`, when both parts are non-empty and there is one `@`.
fn email_local(address: &str) -> Option<&str> {
    let (local, domain) = address.split_once('@')?;
    (!local.is_empty() && !domain.is_empty() && !domain.contains('@')).then_some(local)
}

/// `None` for a literal, the template otherwise.
fn parse(value: &str) -> Result<Option<Template<'_>>, TemplateError> {
    let (open, close) = match (value.find("{{"), value.find("}}")) {
        (None, None) => return Ok(None),
        (Some(open), Some(close)) if close > open => (open, close),
        _ => return Err(TemplateError::Unbalanced),
    };
    let inner = &value[open + 2..close];
    if inner.contains('{') || inner.contains('}') {
        return Err(TemplateError::Unbalanced);
    }
    let suffix = &value[close + 2..];
    if suffix.contains("{{") {
        return Err(TemplateError::Multiple);
    }
    if suffix.contains("}}") {
        return Err(TemplateError::Unbalanced);
    }
    let expression = inner.trim();
    let (trait_name, email_local) = parse_expression(expression)?;
    Ok(Some(Template {
        prefix: &value[..open],
        suffix,
        trait_name,
        email_local,
    }))
}

/// `(trait name, whether email.local applies)`.
fn parse_expression(expression: &str) -> Result<(String, bool), TemplateError> {
    if let Some(open) = expression.find('(') {
        let function = expression[..open].trim();
        let Some(argument) = expression[open + 1..].strip_suffix(')') else {
            return Err(malformed(expression));
        };
        if function != "email.local" {
            return Err(TemplateError::UnknownFunction {
                function: function.to_string(),
            });
        }
        return Ok((parse_variable(argument.trim())?, true));
    }
    Ok((parse_variable(expression)?, false))
}

/// The trait name of `namespace.name` or `namespace["name"]`.
fn parse_variable(variable: &str) -> Result<String, TemplateError> {
    let split = variable
        .find(['.', '['])
        .ok_or_else(|| malformed(variable))?;
    let namespace = &variable[..split];
    let rest = &variable[split..];
    let plain = |text: &str| {
        !text.is_empty()
            && !text
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '.' | '[' | ']' | '"' | '(' | ')'))
    };
    // `ns.name` takes a plain name; `ns["any name"]` anything but a quote.
    let name = match rest.strip_prefix('.') {
        Some(name) if plain(name) => name,
        Some(_) => return Err(malformed(variable)),
        None => rest
            .strip_prefix("[\"")
            .and_then(|rest| rest.strip_suffix("\"]"))
            .filter(|name| !name.is_empty() && !name.contains('"'))
            .ok_or_else(|| malformed(variable))?,
    };
    if !plain(namespace) {
        return Err(malformed(variable));
    }
    if namespace != INTERNAL && namespace != EXTERNAL {
        return Err(TemplateError::UnknownNamespace {
            namespace: namespace.to_string(),
        });
    }
    Ok(name.to_string())
}

fn malformed(expression: &str) -> TemplateError {
    TemplateError::Malformed {
        expression: expression.to_string(),
    }
}

/// Whether a login produced by a template is a plausible Unix user name (as Teleport
/// filters trait-derived logins): 1 to 32 characters of `A-Z a-z 0-9 . _ -`, not
/// starting with `-`, optionally ending with `$`.
pub fn is_valid_unix_login(login: &str) -> bool {
    let body = login.strip_suffix('$').unwrap_or(login);
    !body.is_empty()
        && login.len() <= 32
        && !body.starts_with('-')
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}
