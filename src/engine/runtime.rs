//! The runtime every WhatsApp engine runs on: one multi-thread tokio runtime for the whole process,
//! apart from actix's current-thread workers. Protocol work (Signal crypto, protobuf, device-key
//! storage) then never runs on a thread that serves HTTP, and a slow or stuck engine delays only its
//! own replies. It is built on first use, so a daemon with only sandbox sessions starts no thread.

use std::sync::Mutex;

use tokio::runtime::{Builder, Handle, Runtime};

use super::contract::EngineError;

pub struct EngineRuntime {
    threads: usize,
    runtime: Mutex<Option<Runtime>>,
}

impl EngineRuntime {
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            runtime: Mutex::new(None),
        }
    }

    /// A handle to spawn engine work on, building the runtime the first time.
    pub fn handle(&self) -> Result<Handle, EngineError> {
        let mut slot = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rt) = slot.as_ref() {
            return Ok(rt.handle().clone());
        }
        let rt = Builder::new_multi_thread()
            .worker_threads(self.threads)
            .thread_name("wa-engine")
            .enable_all()
            .build()
            .map_err(|e| EngineError(format!("cannot start the WhatsApp engine runtime: {e}")))?;
        let handle = rt.handle().clone();
        *slot = Some(rt);
        Ok(handle)
    }
}

impl Drop for EngineRuntime {
    /// Never blocks: the last owner may be dropped on an async thread, where a blocking runtime
    /// shutdown would panic. Engines have been closed by then (server shutdown).
    fn drop(&mut self) {
        let slot = self.runtime.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(rt) = slot.take() {
            rt.shutdown_background();
        }
    }
}
