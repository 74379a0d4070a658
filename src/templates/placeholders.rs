//! `{{name}}` placeholders in a text (a template, a bulk message's text and caption), filled in from variables.

use serde_json::{Map, Value};

/// Why a text's variables could not be filled in.
#[derive(Debug, PartialEq)]
pub enum Unfilled {
    /// A placeholder without a variable.
    Missing(String),
    /// The result would be longer than the field allows (in characters).
    TooLong,
}

/// Replaces `{{key}}` in `text` from `vars`, giving up as soon as the result passes `max`
/// characters (a short request must not be able to build a huge text).
pub fn apply_variables(
    text: &str,
    vars: &Map<String, Value>,
    max: usize,
) -> Result<String, Unfilled> {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut chars = 0usize;
    let mut push = |out: &mut String, piece: &str| {
        chars += piece.chars().count();
        if chars > max {
            return Err(Unfilled::TooLong);
        }
        out.push_str(piece);
        Ok(())
    };
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let key = rest[start + 2..start + 2 + len].trim();
        let value = match vars.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Unfilled::Missing(key.to_string())),
        };
        push(&mut out, &rest[..start])?;
        push(&mut out, &value)?;
        rest = &rest[start + 2 + len + 2..];
    }
    push(&mut out, rest)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fills_strings_and_numbers_and_trims_the_name() {
        let v = vars(json!({ "name": "Ana", "n": 3 }));
        assert_eq!(
            apply_variables("Hi {{ name }}, {{n}} left", &v, 100),
            Ok("Hi Ana, 3 left".into())
        );
        assert_eq!(
            apply_variables("no placeholders", &v, 100),
            Ok("no placeholders".into())
        );
        assert_eq!(
            apply_variables("open {{name", &v, 100),
            Ok("open {{name".into())
        );
    }

    #[test]
    fn a_missing_variable_or_an_overlong_result_is_refused() {
        let v = vars(json!({ "x": "xxxx" }));
        assert_eq!(
            apply_variables("{{y}}", &v, 100),
            Err(Unfilled::Missing("y".into()))
        );
        assert_eq!(apply_variables("{{x}}{{x}}", &v, 7), Err(Unfilled::TooLong));
        assert_eq!(apply_variables("{{x}}{{x}}", &v, 8), Ok("xxxxxxxx".into()));
    }
}
