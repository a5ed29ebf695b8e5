//! Label selectors: which nodes a role's `node_labels` reach.
//!
//! A selector maps label keys to allowed values, as in a role's `node_labels`:
//!
//! - `'*': '*'` matches every node, even one without labels.
//! - A value `*` matches any value of that key (the key must be present).
//! - A value (or key) written `^...$` is a regular expression that must match the
//!   whole label value (or key).
//! - Otherwise `*` inside a value is a glob: `prod-*` matches `prod-1` and `prod-`.
//! - A key `*` (with any value but `*`) means "some label, whatever its key"; a key
//!   may also be a `^...$` regex or a glob, and then any label whose key matches and
//!   whose value matches one of the values will do.
//! - Every key of the selector must match (AND); within a key, any of its values may
//!   match (OR).
//! - An empty selector matches nothing, so an empty `node_labels` grants no access and
//!   an empty deny denies nothing.
//!
//! Patterns are compiled once by [`LabelSelector::new`]; matching does no compiling.
//!
//! ```
//! use std::collections::BTreeMap;
//! use teleport_core::labels::LabelSelector;
//!
//! let selector = LabelSelector::new([("env", vec!["prod-*", "^staging-[0-9]+$"])])?;
//! let node = BTreeMap::from([("env".to_string(), "prod-eu".to_string())]);
//! assert!(selector.matches(&node));
//! # Ok::<(), teleport_core::labels::LabelError>(())
//! ```

use std::collections::BTreeMap;

use regex::Regex;

/// The wildcard that matches any key or value.
pub const WILDCARD: &str = "*";

/// Why a label selector could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// A `^...$` pattern is not a valid regular expression.
    #[error("invalid regular expression {pattern:?} in label selector: {reason}")]
    InvalidRegex {
        /// The pattern as written.
        pattern: String,
        /// What the regex compiler objected to.
        reason: String,
    },
}

/// How one key or value is matched.
#[derive(Debug, Clone)]
enum Pattern {
    /// `*`: anything.
    Any,
    /// Plain text: equality.
    Exact(String),
    /// A glob or a `^...$` regex, compiled to a full-match regex.
    Regex(Regex),
}

impl Pattern {
    fn compile(text: &str) -> Result<Pattern, LabelError> {
        if text == WILDCARD {
            return Ok(Pattern::Any);
        }
        let source = if text.len() >= 2 && text.starts_with('^') && text.ends_with('$') {
            // Wrapped again so `^a|b$` still has to match the whole value.
            format!("^(?:{text})$")
        } else if text.contains('*') {
            let parts: Vec<String> = text.split('*').map(regex::escape).collect();
            format!("^{}$", parts.join(".*"))
        } else {
            return Ok(Pattern::Exact(text.to_string()));
        };
        Regex::new(&source)
            .map(Pattern::Regex)
            .map_err(|err| LabelError::InvalidRegex {
                pattern: text.to_string(),
                reason: err.to_string(),
            })
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(exact) => exact == text,
            Pattern::Regex(regex) => regex.is_match(text),
        }
    }
}

/// One selector key and the values allowed for it.
#[derive(Debug, Clone)]
struct Term {
    key: Pattern,
    values: Vec<Pattern>,
}

impl Term {
    fn value_matches(&self, value: &str) -> bool {
        self.values.iter().any(|pattern| pattern.matches(value))
    }
}

/// A compiled label selector; see the [module docs](self) for the syntax.
#[derive(Debug, Clone)]
pub struct LabelSelector {
    /// `'*': '*'` was given: everything matches.
    match_all: bool,
    terms: Vec<Term>,
}

impl LabelSelector {
    /// Compiles a selector from key -> allowed values, such as a role's `node_labels`
    /// (a `BTreeMap<String, Strings>`), a `BTreeMap<String, Vec<String>>` or pairs.
    pub fn new<I, K, V, S>(selector: I) -> Result<Self, LabelError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut match_all = false;
        let mut terms = Vec::new();
        for (key, values) in selector {
            let key = key.as_ref();
            let values: Vec<S> = values.into_iter().collect();
            let texts: Vec<&str> = values.iter().map(|value| value.as_ref()).collect();
            if key == WILDCARD && texts == [WILDCARD] {
                match_all = true;
            }
            terms.push(Term {
                key: Pattern::compile(key)?,
                values: texts
                    .iter()
                    .map(|text| Pattern::compile(text))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(LabelSelector { match_all, terms })
    }

    /// A selector that matches every node (`'*': '*'`).
    pub fn everything() -> Self {
        LabelSelector {
            match_all: true,
            terms: vec![Term {
                key: Pattern::Any,
                values: vec![Pattern::Any],
            }],
        }
    }

    /// Whether the selector is empty and so matches nothing.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a node with these labels is selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_pairs(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Whether a node with these `(key, value)` labels is selected; for label maps of
    /// other types (a `HashMap`, static labels chained with command labels).
    pub fn matches_pairs<'a, I>(&self, labels: I) -> bool
    where
        I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
    {
        if self.match_all {
            return true;
        }
        if self.terms.is_empty() {
            return false;
        }
        self.terms.iter().all(|term| match &term.key {
            Pattern::Exact(key) => labels
                .clone()
                .into_iter()
                .any(|(k, v)| k == key && term.value_matches(v)),
            pattern => labels
                .clone()
                .into_iter()
                .any(|(k, v)| pattern.matches(k) && term.value_matches(v)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn selector(pairs: &[(&str, &[&str])]) -> LabelSelector {
        LabelSelector::new(pairs.iter().map(|(k, v)| (*k, v.iter().copied()))).unwrap()
    }

    #[test]
    fn table() {
        let prod = labels(&[("env", "prod"), ("region", "eu-west-1")]);
        let prod_web = labels(&[("env", "prod-web"), ("team", "web")]);
        let none = labels(&[]);
        #[allow(clippy::type_complexity)]
        let cases: &[(&str, &[(&str, &[&str])], &BTreeMap<String, String>, bool)] = &[
            ("wildcard all", &[("*", &["*"])], &prod, true),
            ("wildcard all, no labels", &[("*", &["*"])], &none, true),
            ("empty selector", &[], &prod, false),
            ("empty selector, no labels", &[], &none, false),
            ("exact", &[("env", &["prod"])], &prod, true),
            ("exact miss", &[("env", &["staging"])], &prod, false),
            (
                "exact is not a prefix",
                &[("env", &["prod"])],
                &prod_web,
                false,
            ),
            ("any value", &[("env", &["*"])], &prod_web, true),
            ("any value needs the key", &[("team", &["*"])], &prod, false),
            ("no labels", &[("env", &["*"])], &none, false),
            ("glob", &[("env", &["prod-*"])], &prod_web, true),
            ("glob miss", &[("env", &["prod-*"])], &prod, false),
            ("glob middle", &[("region", &["eu-*-1"])], &prod, true),
            (
                "glob is literal otherwise",
                &[("region", &["eu.west*"])],
                &prod,
                false,
            ),
            (
                "regex",
                &[("region", &["^eu-(west|east)-[0-9]$"])],
                &prod,
                true,
            ),
            ("regex full match", &[("region", &["^eu$"])], &prod, false),
            (
                "regex alternation is anchored",
                &[("env", &["^prod|x$"])],
                &prod_web,
                false,
            ),
            ("regex key", &[("^reg.*$", &["eu-*"])], &prod, true),
            ("regex key miss", &[("^zone$", &["*"])], &prod, false),
            ("wildcard key", &[("*", &["web"])], &prod_web, true),
            ("wildcard key miss", &[("*", &["db"])], &prod_web, false),
            (
                "or within a key",
                &[("env", &["staging", "prod"])],
                &prod,
                true,
            ),
            (
                "and across keys",
                &[("env", &["prod"]), ("region", &["eu-*"])],
                &prod,
                true,
            ),
            (
                "and needs every key",
                &[("env", &["prod"]), ("team", &["*"])],
                &prod,
                false,
            ),
            ("empty value list", &[("env", &[])], &prod, false),
        ];
        for (name, pairs, target, expected) in cases {
            assert_eq!(selector(pairs).matches(target), *expected, "{name}");
        }
    }

    #[test]
    fn invalid_regex_names_the_pattern() {
        let err = LabelSelector::new([("env", ["^(prod$"])]).unwrap_err();
        let LabelError::InvalidRegex { pattern, .. } = &err;
        assert_eq!(pattern, "^(prod$");
        assert!(err.to_string().contains("\"^(prod$\""), "{err}");
        assert!(LabelSelector::new([("^[$", ["*"])]).is_err());
    }

    #[test]
    fn accepts_role_node_labels() {
        use crate::resource::Strings;
        let node_labels = BTreeMap::from([
            ("env".to_string(), Strings::from(["prod", "staging"])),
            ("*".to_string(), Strings::from("*")),
        ]);
        let selector = LabelSelector::new(&node_labels).unwrap();
        assert!(selector.matches(&labels(&[])));
        assert!(LabelSelector::everything().matches(&labels(&[])));
        assert!(!LabelSelector::new(BTreeMap::<String, Vec<String>>::new())
            .unwrap()
            .matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn pairs_from_other_maps() {
        let selector = selector(&[("env", &["prod"])]);
        let map = std::collections::HashMap::from([("env", "prod")]);
        assert!(selector.matches_pairs(map.iter().map(|(k, v)| (*k, *v))));
    }

    #[test]
    fn selectors_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LabelSelector>();
        assert_send_sync::<LabelError>();
    }
}
