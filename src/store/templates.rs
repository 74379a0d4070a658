//! Queries on `templates`: a session's message templates, unique by name within the session.

use diesel::prelude::*;

use super::models::{TemplateChanges, TemplateRow};
use super::schema::templates;
use super::{sessions, DbConnection, StoreError};

fn duplicate(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "Template with name '{name}' already exists in this session"
    ))
}

fn missing(id: &str) -> StoreError {
    StoreError::NotFound(format!("Template with id '{id}' not found"))
}

/// Stores a new template of an existing session; a name the session uses already is a conflict.
pub fn insert_template(conn: &mut DbConnection, row: &TemplateRow) -> Result<(), StoreError> {
    sessions::require(conn, &row.session_id)?;
    match diesel::insert_into(templates::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = StoreError::from(e);
            Err(if e.is_unique_violation() {
                duplicate(&row.name)
            } else {
                e
            })
        }
    }
}

/// A session's templates, newest first.
pub fn list_templates(
    conn: &mut DbConnection,
    session_id: &str,
) -> Result<Vec<TemplateRow>, StoreError> {
    sessions::require(conn, session_id)?;
    Ok(templates::table
        .filter(templates::session_id.eq(session_id))
        .order((templates::created_at.desc(), templates::id.desc()))
        .select(TemplateRow::as_select())
        .load(conn)?)
}

/// One of a session's templates, by id.
pub fn get_template(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<TemplateRow, StoreError> {
    sessions::require(conn, session_id)?;
    templates::table
        .filter(templates::id.eq(id))
        .filter(templates::session_id.eq(session_id))
        .select(TemplateRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| missing(id))
}

/// One of a session's templates, by name.
pub fn template_named(
    conn: &mut DbConnection,
    session_id: &str,
    name: &str,
) -> Result<TemplateRow, StoreError> {
    sessions::require(conn, session_id)?;
    templates::table
        .filter(templates::name.eq(name))
        .filter(templates::session_id.eq(session_id))
        .select(TemplateRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("Template with name '{name}' not found")))
}

/// Applies `changes` and answers the template as it is then.
pub fn update_template(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    changes: &TemplateChanges,
) -> Result<TemplateRow, StoreError> {
    get_template(conn, session_id, id)?;
    let target = templates::table
        .filter(templates::id.eq(id))
        .filter(templates::session_id.eq(session_id));
    if let Err(e) = diesel::update(target).set(changes).execute(conn) {
        let e = StoreError::from(e);
        return Err(match (&changes.name, e.is_unique_violation()) {
            (Some(name), true) => duplicate(name),
            _ => e,
        });
    }
    get_template(conn, session_id, id)
}

pub fn delete_template(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<(), StoreError> {
    sessions::require(conn, session_id)?;
    let deleted = diesel::delete(
        templates::table
            .filter(templates::id.eq(id))
            .filter(templates::session_id.eq(session_id)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(missing(id));
    }
    Ok(())
}
