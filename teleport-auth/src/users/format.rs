//! What `tctl users add`, `ls` and `reset` print.

use teleport_core::resource::User;

use super::SIGNUP_TOKEN_TTL;
use teleport_core::table::Table;

/// The width of the `User` column in the manual's `tctl users ls` output.
const USER_COLUMN_MIN: usize = 14;

/// `tctl users ls`: the manual's table, `User` and `Allowed Logins` (joined by `,`).
/// The `User` column is at least 14 characters wide, as in the manual:
///
/// ```text
/// User           Allowed Logins
/// ----           --------------
/// admin          admin,root
/// ```
pub fn format_users_table(users: &[User]) -> String {
    let mut table = Table::new(["User", "Allowed Logins"]);
    if users.is_empty() {
        // A padded phantom cell would print a row; build the empty table's lines alike.
        let header = table.render();
        return header
            .lines()
            .map(|line| {
                let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
                format!("{first:<USER_COLUMN_MIN$} {rest}\n")
            })
            .collect();
    }
    for user in users {
        table.add_row([
            format!("{:<USER_COLUMN_MIN$}", user.name()),
            user.spec.logins().join(","),
        ]);
    }
    table.render()
}

/// The invite URL of `token`: `https://<proxy public_addr>/web/invite/<token>`.
pub fn signup_url(proxy_public_addr: &str, token: &str) -> String {
    format!("https://{proxy_public_addr}/web/invite/{token}")
}

/// What `tctl users add` prints, the manual's words with the proxy's host in place of
/// `<proxy>`:
///
/// ```text
/// Signup token has been created. Share this URL with the user:
/// https://proxy.example.com:3080/web/invite/<token>
///
/// NOTE: make sure the proxy.example.com host is accessible.
/// ```
pub fn format_signup_message(url: &str) -> String {
    format!(
        "Signup token has been created. Share this URL with the user:\n{url}\n\n{}",
        note(url)
    )
}

/// What `tctl users reset` prints: Teleport's words, then the same note as
/// [`format_signup_message`].
///
/// ```text
/// User "joe" has been reset. Share this URL with the user to complete password reset, link is valid for 1h:
/// https://proxy.example.com:3080/web/invite/<token>
///
/// NOTE: make sure the proxy.example.com host is accessible.
/// ```
pub fn format_reset_message(user: &str, url: &str) -> String {
    format!(
        "User {user:?} has been reset. Share this URL with the user to complete password reset, link is valid for {}:\n{url}\n\n{}",
        ttl_text(),
        note(url)
    )
}

fn note(url: &str) -> String {
    format!("NOTE: make sure the {} host is accessible.\n", host_of(url))
}

/// The TTL as Teleport prints it here: `1h`.
fn ttl_text() -> String {
    let secs = SIGNUP_TOKEN_TTL.as_secs();
    if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        teleport_core::Duration::from(SIGNUP_TOKEN_TTL).to_string()
    }
}

/// The host of `url`, without scheme, port or path (`[::1]` keeps its brackets).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_scheme_port_and_path() {
        assert_eq!(
            host_of("https://proxy.example.com:3080/web/invite/x"),
            "proxy.example.com"
        );
        assert_eq!(host_of("https://[::1]:3080/web/invite/x"), "[::1]");
        assert_eq!(host_of("https://proxy/web"), "proxy");
    }

    #[test]
    fn empty_table_has_the_manual_header() {
        assert_eq!(
            format_users_table(&[]),
            "User           Allowed Logins\n----           --------------\n"
        );
    }
}
