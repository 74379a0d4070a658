//! `SessionDirectory`: the latest row of every session that has an actor, as its actor last wrote
//! it. Only session actors write here (in step with their database writes); handlers read it so a
//! `GET /sessions/:id` costs no database round trip. Sessions without an actor are not here and
//! are read from the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::store::models::SessionRow;

#[derive(Clone, Default)]
pub struct SessionDirectory(Arc<RwLock<HashMap<String, SessionRow>>>);

impl SessionDirectory {
    pub fn get(&self, id: &str) -> Option<SessionRow> {
        self.0.read().ok()?.get(id).cloned()
    }

    pub(super) fn put(&self, row: &SessionRow) {
        if let Ok(mut map) = self.0.write() {
            map.insert(row.id.clone(), row.clone());
        }
    }

    pub(super) fn remove(&self, id: &str) {
        if let Ok(mut map) = self.0.write() {
            map.remove(id);
        }
    }
}
