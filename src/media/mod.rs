//! Media files: [`loader`] fetches and decodes the media of sends (within the media cap and behind
//! the SSRF guard); [`store`] owns the files kept of incoming messages, one folder per session.

pub mod loader;
pub mod store;

pub use loader::{MediaError, MediaLoader, MediaRequest, MediaSource};
pub use store::MediaStore;
