//! `MediaStore`: the files kept of incoming messages, under `DATA_DIR/media/<session>/<row id>`.
//! It alone knows that layout: it keeps a file, reads it back (to serve or forward it), removes it
//! with its message, and removes a session's folder with the session.

use std::io::ErrorKind;
use std::path::PathBuf;

use crate::engine::is_media_type;
use crate::store::metadata::{MediaFacts, MessageMetadata};
use crate::store::{self, Store, StoreError};

use super::loader::MediaError;

/// A kept file, ready to serve.
pub struct StoredFile {
    pub data: Vec<u8>,
    /// Checked where it entered; a row stored before that check is served as opaque bytes.
    pub mimetype: String,
    /// The sender's file name, with quotes, backslashes and control characters replaced, so it
    /// can go into a header as it is.
    pub filename: Option<String>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    root: PathBuf,
    store: Store,
    max_bytes: u64,
}

impl MediaStore {
    /// `root` is `DATA_DIR/media`; files over `max_bytes` are not kept.
    pub fn new(root: PathBuf, store: Store, max_bytes: u64) -> Self {
        Self {
            root,
            store,
            max_bytes,
        }
    }

    /// The largest file kept (`MEDIA_DOWNLOAD_MAX_BYTES`).
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn folder(&self, session_id: &str) -> PathBuf {
        self.root.join(session_id)
    }

    /// Writes the file of message row `row_id`.
    pub async fn keep(&self, session_id: &str, row_id: &str, data: &[u8]) -> std::io::Result<()> {
        let folder = self.folder(session_id);
        tokio::fs::create_dir_all(&folder).await?;
        tokio::fs::write(folder.join(row_id), data).await
    }

    /// The file of message row `row_id`, if it is kept. Files are capped at `max_bytes`, so
    /// reading one whole is bounded.
    pub async fn read(&self, session_id: &str, row_id: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.folder(session_id).join(row_id)).await
    }

    /// Removes the file of a deleted message, if there is one.
    pub async fn remove(&self, session_id: &str, row_id: &str) {
        let path = self.folder(session_id).join(row_id);
        if let Err(e) = tokio::fs::remove_file(&path).await {
            if e.kind() != ErrorKind::NotFound {
                log::warn!("session {session_id}: media file not removed: {e}");
            }
        }
    }

    /// Removes every file of a deleted session.
    pub async fn remove_session(&self, session_id: &str) {
        if let Err(e) = tokio::fs::remove_dir_all(self.folder(session_id)).await {
            if e.kind() != ErrorKind::NotFound {
                log::warn!("session {session_id}: media folder not removed: {e}");
            }
        }
    }

    /// The kept file of an incoming message (by `waMessageId` or row id), or why there is none.
    pub async fn serve(
        &self,
        session_id: &str,
        message_id: &str,
    ) -> Result<StoredFile, MediaError> {
        let (sid, mid) = (session_id.to_string(), message_id.to_string());
        let row = self
            .store
            .run(move |c| {
                store::sessions::require(c, &sid)?;
                store::messages::find_message(c, &sid, &mid)?.ok_or_else(|| {
                    StoreError::NotFound(format!("Message with id '{mid}' not found"))
                })
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound(m) => MediaError::NotFound(m),
                e => MediaError::Io(format!("cannot read message {message_id}: {e}")),
            })?;
        let metadata = MessageMetadata::parse(row.metadata.as_deref());
        let media = match metadata.media {
            Some(media) if row.direction == "incoming" => media,
            _ => {
                return Err(MediaError::NotStored(format!(
                    "Message '{message_id}' has no stored media (only incoming media is kept)"
                )))
            }
        };
        if media.stored != Some(true) {
            let why = media
                .error
                .as_deref()
                .unwrap_or("it is still being downloaded");
            return Err(MediaError::NotStored(format!(
                "The media of message '{message_id}' is not stored: {why}"
            )));
        }
        let data = self.read(session_id, &row.id).await.map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                MediaError::NotStored(format!(
                    "The media of message '{message_id}' is not stored: the file is gone"
                ))
            } else {
                MediaError::Io(format!("cannot read the media of {}: {e}", row.id))
            }
        })?;
        Ok(StoredFile {
            data,
            mimetype: served_type(&media),
            filename: media.filename.as_deref().map(header_safe),
        })
    }
}

fn served_type(media: &MediaFacts) -> String {
    media
        .mimetype
        .as_deref()
        .filter(|m| is_media_type(m))
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// A file name that can stand between the quotes of `Content-Disposition`.
fn header_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_header_safe() {
        assert_eq!(header_safe("contract \"v2\".pdf"), "contract _v2_.pdf");
        assert_eq!(header_safe("a\\b\r\nc.txt"), "a_b__c.txt");
        assert_eq!(header_safe("naïve.txt"), "na_ve.txt");
    }
}
