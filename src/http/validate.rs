//! Strict request validation with class-validator's wording (API.md §1): every problem becomes one
//! message, every undeclared property is refused, and the handler only sees typed, checked values.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A JSON object (a body, or query parameters as strings) being taken apart field by field.
/// Fields not taken by the time [`Fields::finish`] runs are reported as undeclared.
pub struct Fields {
    obj: Map<String, Value>,
    /// Prefix for nested objects (`config.`).
    path: String,
    /// Query strings carry numbers and booleans as text.
    coerce: bool,
    errors: Vec<String>,
}

/// A NUL character anywhere in a request's strings (values or keys), named by its path as the
/// validator names fields (`messages.0.content.text`). PostgreSQL cannot store one in text, and no
/// field of the API has a use for it, so it is refused on every backend alike.
fn nul_problems(value: &Value, path: &str, out: &mut Vec<String>) {
    let named = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => out.push(nul_message(path)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_problems(item, &named(&i.to_string()), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if key.contains('\0') {
                    out.push(format!(
                        "property names in {} must not contain NUL (\\u0000) characters",
                        if path.is_empty() { "the body" } else { path }
                    ));
                }
                nul_problems(item, &named(&key.replace('\0', "")), out);
            }
        }
        _ => {}
    }
}

fn nul_message(name: &str) -> String {
    format!("{name} must not contain NUL (\\u0000) characters")
}

impl Fields {
    pub fn from_body(body: Value) -> Result<Self, ApiError> {
        let mut problems = Vec::new();
        nul_problems(&body, "", &mut problems);
        if !problems.is_empty() {
            return Err(ApiError::validation(problems));
        }
        match body {
            Value::Object(obj) => Ok(Self {
                obj,
                path: String::new(),
                coerce: false,
                errors: Vec::new(),
            }),
            _ => Err(ApiError::bad_request("Request body must be a JSON object")),
        }
    }

    pub fn from_query(pairs: Vec<(String, String)>) -> Self {
        let mut errors = Vec::new();
        let obj = pairs
            .into_iter()
            .filter_map(|(k, v)| {
                if k.contains('\0') || v.contains('\0') {
                    errors.push(nul_message(&k.replace('\0', "")));
                    return None;
                }
                Some((k, Value::String(v)))
            })
            .collect();
        Self {
            obj,
            path: String::new(),
            coerce: true,
            errors,
        }
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.path)
    }

    /// Adds a problem in the caller's own words.
    pub fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    /// Takes a field; `null` counts as absent, as for class-validator's `@IsOptional()`.
    fn take(&mut self, field: &str) -> Option<Value> {
        self.obj.remove(field).filter(|v| !v.is_null())
    }

    /// Whether the body has this field (even `null`).
    pub fn has(&self, field: &str) -> bool {
        self.obj.contains_key(field)
    }

    /// Whether the field is present and `null` (PATCH semantics: `null` resets a key).
    pub fn is_null(&self, field: &str) -> bool {
        self.obj.get(field).is_some_and(Value::is_null)
    }

    /// Takes a field that may be `null`: `Some(None)` for null, `Some(Some(v))` for a value.
    pub fn take_nullable(&mut self, field: &str) -> Option<Option<Value>> {
        self.obj.remove(field).map(|v| (!v.is_null()).then_some(v))
    }

    fn missing(&mut self, field: &str, kind: &str) {
        let name = self.name(field);
        self.errors.push(format!("{name} should not be empty"));
        self.errors.push(format!("{name} must be {kind}"));
    }

    /// A string of `min..=max` characters. `required` reports absence.
    pub fn string(
        &mut self,
        field: &str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Option<String> {
        let name = self.name(field);
        match self.take(field) {
            None if required => {
                self.missing(field, "a string");
                None
            }
            None => None,
            Some(Value::String(s)) => {
                let len = s.chars().count();
                if required && s.trim().is_empty() {
                    self.errors.push(format!("{name} should not be empty"));
                    return None;
                }
                if len < min {
                    self.errors.push(format!(
                        "{name} must be longer than or equal to {min} characters"
                    ));
                    return None;
                }
                if len > max {
                    self.errors.push(format!(
                        "{name} must be shorter than or equal to {max} characters"
                    ));
                    return None;
                }
                Some(s)
            }
            Some(_) => {
                self.errors.push(format!("{name} must be a string"));
                None
            }
        }
    }

    /// A whole number in `min..=max`.
    pub fn int(&mut self, field: &str, required: bool, min: i64, max: i64) -> Option<i64> {
        let name = self.name(field);
        let value = match self.take(field) {
            None => {
                if required {
                    self.missing(field, "an integer number");
                }
                return None;
            }
            Some(v) => v,
        };
        let n = match &value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) if self.coerce => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let Some(n) = n else {
            self.errors
                .push(format!("{name} must be an integer number"));
            return None;
        };
        if n < min {
            self.errors
                .push(format!("{name} must not be less than {min}"));
            return None;
        }
        if n > max {
            self.errors
                .push(format!("{name} must not be greater than {max}"));
            return None;
        }
        Some(n)
    }

    /// A finite number in `min..=max`.
    pub fn number(&mut self, field: &str, required: bool, min: f64, max: f64) -> Option<f64> {
        let name = self.name(field);
        let value = match self.take(field) {
            None => {
                if required {
                    self.missing(field, "a number conforming to the specified constraints");
                }
                return None;
            }
            Some(v) => v,
        };
        let n = match &value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if self.coerce => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let Some(n) = n.filter(|n| n.is_finite()) else {
            self.errors.push(format!(
                "{name} must be a number conforming to the specified constraints"
            ));
            return None;
        };
        if n < min {
            self.errors
                .push(format!("{name} must not be less than {min}"));
            return None;
        }
        if n > max {
            self.errors
                .push(format!("{name} must not be greater than {max}"));
            return None;
        }
        Some(n)
    }

    /// A boolean.
    pub fn boolean(&mut self, field: &str) -> Option<bool> {
        let name = self.name(field);
        match self.take(field)? {
            Value::Bool(b) => Some(b),
            Value::String(s) if self.coerce && (s == "true" || s == "false") => Some(s == "true"),
            _ => {
                self.errors.push(format!("{name} must be a boolean value"));
                None
            }
        }
    }

    /// One of `allowed`.
    pub fn one_of(&mut self, field: &str, allowed: &[&str]) -> Option<String> {
        let name = self.name(field);
        match self.take(field)? {
            Value::String(s) if allowed.contains(&s.as_str()) => Some(s),
            _ => {
                self.errors.push(format!(
                    "{name} must be one of the following values: {}",
                    allowed.join(", ")
                ));
                None
            }
        }
    }

    /// An array of strings, each checked by `each` (which returns the problem, if any).
    pub fn string_array(
        &mut self,
        field: &str,
        max_items: usize,
        each: impl Fn(&str) -> Option<String>,
    ) -> Option<Vec<String>> {
        let name = self.name(field);
        let Value::Array(items) = self.take(field)? else {
            self.errors.push(format!("{name} must be an array"));
            return None;
        };
        if items.len() > max_items {
            self.errors.push(format!(
                "{name} must contain no more than {max_items} elements"
            ));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::String(s) => match each(&s) {
                    Some(problem) => {
                        self.errors.push(format!("each value in {name} {problem}"));
                        return None;
                    }
                    None => out.push(s),
                },
                _ => {
                    self.errors
                        .push(format!("each value in {name} must be a string"));
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A nested object, validated by `f` with its own undeclared-property check.
    pub fn object<T>(&mut self, field: &str, f: impl FnOnce(&mut Fields) -> T) -> Option<T> {
        let name = self.name(field);
        match self.take(field)? {
            Value::Object(obj) => {
                let mut nested = Fields {
                    obj,
                    path: format!("{name}."),
                    coerce: self.coerce,
                    errors: Vec::new(),
                };
                let out = f(&mut nested);
                nested.reject_rest();
                self.errors.append(&mut nested.errors);
                Some(out)
            }
            _ => {
                self.errors.push(format!("{name} must be an object"));
                None
            }
        }
    }

    /// An array of `min..=max` objects, each validated by `f` (given its index) with its own
    /// undeclared-property check; problems are named `field.<index>.<name>`.
    pub fn objects<T>(
        &mut self,
        field: &str,
        min: usize,
        max: usize,
        mut f: impl FnMut(&mut Fields, usize) -> Option<T>,
    ) -> Option<Vec<T>> {
        let name = self.name(field);
        let items = match self.take(field) {
            None => {
                self.errors.push(format!("{name} should not be empty"));
                return None;
            }
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.errors.push(format!("{name} must be an array"));
                return None;
            }
        };
        if items.len() < min {
            self.errors
                .push(format!("{name} must contain at least {min} elements"));
            return None;
        }
        if items.len() > max {
            self.errors
                .push(format!("{name} must contain no more than {max} elements"));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut complete = true;
        for (i, item) in items.into_iter().enumerate() {
            let Value::Object(obj) = item else {
                self.errors.push(format!("{name}.{i} must be an object"));
                complete = false;
                continue;
            };
            let mut nested = Fields {
                obj,
                path: format!("{name}.{i}."),
                coerce: self.coerce,
                errors: Vec::new(),
            };
            let parsed = f(&mut nested, i);
            nested.reject_rest();
            self.errors.append(&mut nested.errors);
            match parsed {
                Some(v) => out.push(v),
                None => complete = false,
            }
        }
        complete.then_some(out)
    }

    /// The full name of `field` here (`messages.0.chatId` inside nested objects), for messages
    /// written with [`Fields::error`].
    pub fn named(&self, field: &str) -> String {
        self.name(field)
    }

    /// The names of the fields not taken yet.
    pub fn keys(&self) -> Vec<String> {
        self.obj.keys().cloned().collect()
    }

    /// Takes a field as it is, whatever its type (`null` counts as absent).
    pub fn take_raw(&mut self, field: &str) -> Option<Value> {
        self.take(field)
    }

    /// Whether problems were recorded so far.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    fn reject_rest(&mut self) {
        let rest: Vec<String> = std::mem::take(&mut self.obj)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for key in rest {
            let name = self.name(&key);
            self.errors
                .push(format!("property {name} should not exist"));
        }
    }

    /// Ends validation: any field left over is undeclared; any problem makes a 400.
    pub fn finish(mut self) -> Result<(), ApiError> {
        self.reject_rest();
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// A body type that validates itself from [`Fields`]. Return `None` only after recording errors.
pub trait FromFields: Sized {
    fn from_fields(f: &mut Fields) -> Option<Self>;
}

/// Runs `T`'s validation over a whole object.
pub fn validate<T: FromFields>(mut fields: Fields) -> Result<T, ApiError> {
    let parsed = T::from_fields(&mut fields);
    fields.finish()?;
    parsed.ok_or_else(|| ApiError::validation(vec!["request is invalid".into()]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Demo {
        name: String,
        limit: Option<i64>,
    }
    impl FromFields for Demo {
        fn from_fields(f: &mut Fields) -> Option<Self> {
            let name = f.string("name", true, 3, 50);
            let limit = f.int("limit", false, 1, 5);
            Some(Self { name: name?, limit })
        }
    }

    fn messages(e: ApiError) -> Vec<String> {
        serde_json::from_value(e.body()["message"].clone()).unwrap()
    }

    #[test]
    fn class_validator_wording() {
        let e = validate::<Demo>(
            Fields::from_body(json!({"name": "ab", "limit": 9, "colour": "red"})).unwrap(),
        )
        .err()
        .unwrap();
        let m = messages(e);
        assert!(
            m.contains(&"name must be longer than or equal to 3 characters".to_string()),
            "{m:?}"
        );
        assert!(
            m.contains(&"limit must not be greater than 5".to_string()),
            "{m:?}"
        );
        assert!(
            m.contains(&"property colour should not exist".to_string()),
            "{m:?}"
        );
        let e = validate::<Demo>(Fields::from_body(json!({"name": 5})).unwrap())
            .err()
            .unwrap();
        assert_eq!(messages(e), vec!["name must be a string"]);
        let ok = validate::<Demo>(Fields::from_query(vec![
            ("name".into(), "abc".into()),
            ("limit".into(), "2".into()),
        ]))
        .unwrap();
        assert_eq!((ok.name.as_str(), ok.limit), ("abc", Some(2)));
    }
}
