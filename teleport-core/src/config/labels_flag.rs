//! `teleport start --labels env=prod,kernel=[1h:"uname -r"]`: static labels and
//! command labels given on the command line, as the manual writes them.
//!
//! Labels are separated by commas outside brackets; `name=value` is a static label and
//! `name=[PERIOD:"command args"]` a command label run every `PERIOD` (at least one
//! minute), its command split on whitespace into the program and its arguments.

use std::collections::BTreeMap;

use super::defaults::MIN_LABEL_COMMAND_PERIOD;
use super::services::CommandLabel;
use super::values::valid_label_name;
use crate::Duration;

/// The labels of a `--labels` flag: the static ones and the command ones.
pub type FlagLabels = (BTreeMap<String, String>, Vec<CommandLabel>);

/// Parses the value of `--labels`; the error names the label that is wrong and why.
pub fn parse_labels_flag(text: &str) -> Result<FlagLabels, String> {
    let mut statics = BTreeMap::new();
    let mut commands: Vec<CommandLabel> = Vec::new();
    for item in split_outside_brackets(text) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("label {item:?} is not name=value"))?;
        let name = name.trim();
        if !valid_label_name(name) {
            return Err(format!("label name {name:?} is not valid"));
        }
        if statics.contains_key(name) || commands.iter().any(|c| c.name == name) {
            return Err(format!("label {name:?} is given twice"));
        }
        let value = value.trim();
        match value.strip_prefix('[') {
            Some(rest) => {
                let inner = rest
                    .strip_suffix(']')
                    .ok_or_else(|| format!("label {name:?}: missing ']' in {value:?}"))?;
                commands.push(command_label(name, inner)?);
            }
            None => {
                statics.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok((statics, commands))
}

fn command_label(name: &str, inner: &str) -> Result<CommandLabel, String> {
    let (period, command) = inner.split_once(':').ok_or_else(|| {
        format!("label {name:?}: expected [PERIOD:\"command\"], such as [1h:\"uname -r\"]")
    })?;
    let period = Duration::parse(period.trim())
        .map_err(|err| format!("label {name:?}: period {period:?}: {err}"))?;
    if period < MIN_LABEL_COMMAND_PERIOD {
        return Err(format!(
            "label {name:?}: period {period} is shorter than the minimum {MIN_LABEL_COMMAND_PERIOD}"
        ));
    }
    let command = command.trim();
    let command = command
        .strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or(command);
    let argv: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    if argv.is_empty() {
        return Err(format!("label {name:?}: the command is empty"));
    }
    Ok(CommandLabel {
        name: name.to_string(),
        command: argv,
        period,
    })
}

/// Splits on commas that are not inside `[...]`.
fn split_outside_brackets(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manuals_example_gives_a_static_and_a_command_label() {
        let (statics, commands) =
            parse_labels_flag(r#"env=prod,kernel=[1h:"uname -r"],role=db"#).unwrap();
        assert_eq!(statics.get("env").map(String::as_str), Some("prod"));
        assert_eq!(statics.get("role").map(String::as_str), Some("db"));
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].name, "kernel");
        assert_eq!(commands[0].command, ["uname", "-r"]);
        assert_eq!(commands[0].period, Duration::from_hours(1));
    }

    #[test]
    fn mistakes_name_the_label() {
        for (text, needle) in [
            ("env", "not name=value"),
            ("env=a,env=b", "given twice"),
            (r#"k=[30s:"uname"]"#, "shorter than the minimum"),
            (r#"k=[1h "uname"]"#, "expected [PERIOD"),
            (r#"k=[1h:""]"#, "the command is empty"),
            (r#"k=[1h:"uname""#, "missing ']'"),
            ("bad name=x", "not valid"),
        ] {
            let err = parse_labels_flag(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
