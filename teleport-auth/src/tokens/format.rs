//! The `tctl tokens ls` table.

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::TokenInfo;
use teleport_core::table::Table;

/// The `tctl tokens ls` table of the manual:
///
/// ```text
/// Token                            Type       Expiry Time
/// -----                            ----       -----------
/// secret-token-value               Proxy,Node never
/// e94d68a8a1e5821dbd79d03a960644f0 Node       25 Sep 18 00:21 UTC
/// ```
///
/// Roles are joined by `,` as Teleport names them; static tokens expire `never`.
/// Tokens whose expiry is at or before `now` are left out. Rows keep the order of
/// `tokens` ([`TokenService::list`](super::TokenService::list) puts static ones first).
pub fn format_tokens_table(tokens: &[TokenInfo], now: OffsetDateTime) -> String {
    let mut table = Table::new(["Token", "Type", "Expiry Time"]);
    for token in tokens {
        if token.expires.is_some_and(|at| at <= now) {
            continue;
        }
        let roles: Vec<&str> = token.roles.iter().map(|role| role.as_str()).collect();
        let expiry = match token.expires {
            Some(at) => format_expiry(at),
            None => "never".to_string(),
        };
        table.add_row([token.token.clone(), roles.join(","), expiry]);
    }
    table.render()
}

/// An expiry time as `tctl` prints it, in UTC (Go's RFC 822 layout):
/// `25 Sep 18 00:21 UTC`.
pub fn format_expiry(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let layout =
        format_description!("[day] [month repr:short] [year repr:last_two] [hour]:[minute] UTC");
    // Every field of the layout exists in every `OffsetDateTime`, so formatting cannot
    // fail; fall back to RFC 3339-ish text rather than panic all the same.
    at.format(&layout).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use teleport_core::resource::SystemRole;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn expiry_is_printed_like_the_manual() {
        assert_eq!(
            format_expiry(datetime!(2018-09-25 00:21:59 UTC)),
            "25 Sep 18 00:21 UTC"
        );
        assert_eq!(
            format_expiry(datetime!(2016-05-17 05:51 +02:00)),
            "17 May 16 03:51 UTC"
        );
        assert_eq!(
            format_expiry(datetime!(2021-01-02 03:04 UTC)),
            "02 Jan 21 03:04 UTC"
        );
    }

    #[test]
    fn the_table_looks_like_the_manual() {
        let now = datetime!(2018-09-25 00:00 UTC);
        let tokens = [
            TokenInfo {
                token: "secret-token-value".into(),
                roles: vec![SystemRole::Proxy, SystemRole::Node],
                expires: None,
                is_static: true,
            },
            TokenInfo {
                token: "e94d68a8a1e5821dbd79d03a960644f0".into(),
                roles: vec![SystemRole::Node],
                expires: Some(datetime!(2018-09-25 00:21 UTC)),
                is_static: false,
            },
            TokenInfo {
                token: "gone".into(),
                roles: vec![SystemRole::Node],
                expires: Some(now),
                is_static: false,
            },
        ];
        assert_eq!(
            format_tokens_table(&tokens, now),
            "\
Token                            Type       Expiry Time
-----                            ----       -----------
secret-token-value               Proxy,Node never
e94d68a8a1e5821dbd79d03a960644f0 Node       25 Sep 18 00:21 UTC
"
        );
    }

    #[test]
    fn an_empty_list_prints_the_headers() {
        assert_eq!(
            format_tokens_table(&[], datetime!(2018-09-25 00:00 UTC)),
            "Token Type Expiry Time\n----- ---- -----------\n"
        );
    }
}
