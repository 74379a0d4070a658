//! `SessionDirectory`: the latest row of every session that has an actor, as its actor last wrote
//! it. Only session actors write here (in step with their database writes); handlers read it so a
//! `GET /sessions/:id` costs no database round trip. Sessions without an actor are not here and
//! are read from the store. It also knows which sessions have an engine in memory (OpenWA's
//! `engineLoaded`), which no row records.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::store::models::SessionRow;

#[derive(Clone, Default)]
pub struct SessionDirectory(
    Arc<RwLock<HashMap<String, SessionRow>>>,
    Arc<RwLock<HashSet<String>>>,
);

impl SessionDirectory {
    pub fn get(&self, id: &str) -> Option<SessionRow> {
        self.0.read().ok()?.get(id).cloned()
    }

    /// Whether session `id` has an engine in memory (running, linking, or waiting to reconnect).
    pub fn engine_loaded(&self, id: &str) -> bool {
        self.1.read().is_ok_and(|set| set.contains(id))
    }

    pub(super) fn set_engine_loaded(&self, id: &str, loaded: bool) {
        if let Ok(mut set) = self.1.write() {
            if loaded {
                set.insert(id.to_string());
            } else {
                set.remove(id);
            }
        }
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
        self.set_engine_loaded(id, false);
    }
}
