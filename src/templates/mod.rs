//! Message templates: a session's named texts (header, body, footer) with `{{name}}` placeholders,
//! stored in `store::templates`, sent by `send-template` and usable in a bulk send.

pub mod placeholders;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::store::models::TemplateRow;
use crate::store::{self, Store, StoreError};
use crate::time;
use placeholders::{apply_variables, Unfilled};

/// How a send names its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateRef {
    Id(String),
    Name(String),
}

/// A template as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateView {
    pub id: String,
    pub session_id: String,
    pub name: String,
    /// The text, with `{{name}}` placeholders.
    pub body: String,
    pub header: Option<String>,
    pub footer: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<TemplateRow> for TemplateView {
    fn from(r: TemplateRow) -> Self {
        Self {
            id: r.id,
            session_id: r.session_id,
            name: r.name,
            body: r.body,
            header: r.header,
            footer: r.footer,
            created_at: time::iso(r.created_at),
            updated_at: time::iso(r.updated_at),
        }
    }
}

/// The whole text a template sends, placeholders unfilled: header, body and footer, a blank line
/// between each.
pub fn compose(t: &TemplateRow) -> String {
    [
        t.header.as_deref(),
        Some(t.body.as_str()),
        t.footer.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join("\n\n")
}

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A 400: what to change.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finds a session's template and fills in its placeholders from `vars`; the text must stay
/// within `max` characters. A placeholder without a value is refused rather than sent literally.
pub async fn render(
    store: &Store,
    session_id: &str,
    which: TemplateRef,
    vars: &Map<String, Value>,
    max: usize,
) -> Result<String, RenderError> {
    let sid = session_id.to_string();
    let row = store.run(move |c| find(c, &sid, &which)).await?;
    fill(&row, vars, "vars", max)
}

/// A session's template by id or name.
pub fn find(
    conn: &mut store::DbConnection,
    session_id: &str,
    which: &TemplateRef,
) -> Result<TemplateRow, StoreError> {
    match which {
        TemplateRef::Id(id) => store::templates::get_template(conn, session_id, id),
        TemplateRef::Name(name) => store::templates::template_named(conn, session_id, name),
    }
}

/// [`compose`] with its placeholders filled in; `field` names the variables in the error.
pub fn fill(
    t: &TemplateRow,
    vars: &Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<String, RenderError> {
    apply_variables(&compose(t), vars, max).map_err(|e| {
        RenderError::Invalid(match e {
            Unfilled::Missing(name) => format!(
                "{field} has no value for {{{{{name}}}}} used in template '{}'",
                t.name
            ),
            Unfilled::TooLong => format!(
                "template '{}' is longer than {max} characters once its variables are filled in",
                t.name
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(header: Option<&str>, body: &str, footer: Option<&str>) -> TemplateRow {
        TemplateRow {
            id: "t".into(),
            session_id: "s".into(),
            name: "greeting".into(),
            body: body.into(),
            header: header.map(str::to_string),
            footer: footer.map(str::to_string),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn header_body_and_footer_are_separated_by_a_blank_line() {
        let t = row(Some("*Acme*"), "Hi {{name}}", Some("Reply STOP"));
        let vars = json!({"name": "Ana"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let text = fill(&t, &vars, "vars", 4096).map_err(|e| e.to_string());
        assert_eq!(text.as_deref(), Ok("*Acme*\n\nHi Ana\n\nReply STOP"));
        assert_eq!(compose(&row(None, "only", Some(""))), "only");
    }

    #[test]
    fn a_missing_variable_names_itself_and_the_template() {
        let t = row(None, "Hi {{name}}, your code is {{code}}", None);
        let vars = json!({"name": "Ana"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let err = fill(&t, &vars, "vars", 4096)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("vars has no value for {{code}} used in template 'greeting'".into())
        );
    }
}
