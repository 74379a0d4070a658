//! A session actor's engine lifecycle: launching an engine, the start watchdog, the link's
//! progress (QR, authenticating, connected, logged out) and reconnecting with backoff after a drop.
//! The reconnect schedule is a pure [`ReconnectPolicy`].

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix::prelude::*;
use rand::Rng;

use super::actor::SessionActor;
use super::config::SessionConfig;
use super::error::SessionError;
use super::status::SessionStatus;
use crate::engine::{EngineSetup, LinkedAccount};
use crate::events::payload::{Authenticated, Disconnected, QrIssued};
use crate::events::SessionEvent;
use crate::store::models::{SessionChanges, SessionRow};
use crate::time;

/// Longest wait between two reconnect attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(3600);
/// Random delay added to each reconnect, so sessions that dropped together do not retry together.
const JITTER_MS: u64 = 1000;

/// When to try again after the link dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    pub max_attempts: u64,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

/// What the policy says about the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    After(Duration),
    GiveUp,
}

impl ReconnectPolicy {
    pub fn from_config(config: SessionConfig) -> Self {
        Self {
            max_attempts: config.max_reconnect_attempts,
            base_delay: Duration::from_millis(config.reconnect_base_delay_ms),
            max_delay: MAX_RECONNECT_DELAY,
        }
    }

    /// After `attempts` tries since the link dropped: the base delay doubled per try, plus
    /// `jitter`, at most `max_delay`; or give up once `max_attempts` tries were made.
    pub fn next(&self, attempts: u64, jitter: Duration) -> Reconnect {
        if attempts >= self.max_attempts {
            return Reconnect::GiveUp;
        }
        let base = self
            .base_delay
            .saturating_mul(1u32 << attempts.min(20) as u32);
        Reconnect::After(base.saturating_add(jitter).min(self.max_delay))
    }
}

impl SessionActor {
    /// Closes the engine (credentials kept) and forgets any scheduled reconnect.
    pub(super) fn halt_engine(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.reconnect.take() {
            ctx.cancel_future(handle);
        }
        self.disarm_watchdog(ctx);
        if let Some(engine) = self.engine.take() {
            engine.disconnect();
        }
        self.deps.directory.set_engine_loaded(&self.id, false);
        self.run += 1;
        self.qr = None;
    }

    /// Creates and connects the engine; returns the changes to store (`initializing`, or `failed`
    /// with the reason when the engine cannot run here).
    fn launch(&mut self, ctx: &mut Context<Self>) -> Result<SessionChanges, SessionError> {
        if self.deps.draining.load(Ordering::SeqCst) {
            return Err(SessionError::ShuttingDown);
        }
        // A new run: events of any earlier engine are ignored from now on.
        self.run += 1;
        self.attempt = 0;
        let setup = self.engine_setup(ctx)?;
        match self.deps.engines.create(self.kind(), setup) {
            Ok(engine) => {
                engine.connect();
                self.engine = Some(engine);
                self.deps.directory.set_engine_loaded(&self.id, true);
                self.arm_watchdog(ctx);
                Ok(SessionChanges {
                    status: Some(SessionStatus::Initializing.as_str().into()),
                    should_run: Some(true),
                    last_error: Some(None),
                    ..Default::default()
                })
            }
            Err(e) => {
                log::warn!("session {}: engine cannot start: {e}", self.id);
                Ok(Self::failed_changes(e.0))
            }
        }
    }

    /// What the engine of the current run starts from: the session's row (its linked account and
    /// proxy) and this actor's address.
    fn engine_setup(&self, ctx: &mut Context<Self>) -> Result<EngineSetup, SessionError> {
        let row = self.row()?;
        Ok(EngineSetup {
            session_id: self.id.clone(),
            linked: row.phone.clone().map(|phone| LinkedAccount {
                phone,
                push_name: row.push_name.clone(),
            }),
            events: ctx.address().recipient(),
            received: ctx.address().recipient(),
            run: self.run,
            proxy_url: row.proxy_url.clone(),
            proxy_type: row.proxy_type.clone(),
        })
    }

    /// Launches the engine and replies the row once the new status is stored.
    pub(super) fn launch_and_reply(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> AtomicResponse<Self, Result<SessionRow, SessionError>> {
        match self.launch(ctx) {
            Ok(changes) => {
                let write = self.save(changes);
                self.reply_row(write)
            }
            Err(e) => Self::fail_now(e),
        }
    }

    /// A start must reach a QR code or a connection within the engine's connect timeout; otherwise
    /// the session fails and every retry stops (no background loop for a session going nowhere).
    fn arm_watchdog(&mut self, ctx: &mut Context<Self>) {
        self.disarm_watchdog(ctx);
        let timeout = self.deps.engines.connect_timeout();
        let run = self.run;
        self.watchdog = Some(ctx.run_later(timeout, move |act, ctx| {
            act.watchdog = None;
            if act.run != run || act.status() != Some(SessionStatus::Initializing) {
                return;
            }
            let cause = act
                .row
                .as_ref()
                .and_then(|r| r.last_error.clone())
                .unwrap_or_else(|| "no answer".into());
            let reason = format!(
                "WhatsApp could not be reached within {} s ({cause}). Check the network or the session's proxy, then start the session again.",
                timeout.as_secs()
            );
            log::warn!("session {}: {reason}", act.id);
            act.fail(ctx, reason);
        }));
    }

    fn disarm_watchdog(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.watchdog.take() {
            ctx.cancel_future(handle);
        }
    }

    fn can_become(&self, to: SessionStatus) -> bool {
        self.status().is_some_and(|from| from.can_become(to))
    }

    pub(super) fn on_qr(&mut self, ctx: &mut Context<Self>, text: String) {
        if !self.can_become(SessionStatus::QrReady) {
            return;
        }
        self.disarm_watchdog(ctx);
        let qr = SessionEvent::of(
            &self.id,
            QrIssued {
                session_id: &self.id,
                qr: &text,
            },
        );
        self.qr = Some(text);
        let changes = SessionChanges {
            status: Some(SessionStatus::QrReady.as_str().into()),
            last_error: Some(None),
            ..Default::default()
        };
        self.persist_then(ctx, changes, vec![qr]);
    }

    pub(super) fn on_authenticating(&mut self, ctx: &mut Context<Self>) {
        if !self.can_become(SessionStatus::Authenticating) {
            return;
        }
        self.disarm_watchdog(ctx);
        self.qr = None;
        let changes = SessionChanges {
            status: Some(SessionStatus::Authenticating.as_str().into()),
            ..Default::default()
        };
        self.persist(ctx, changes);
    }

    pub(super) fn on_connected(&mut self, ctx: &mut Context<Self>, account: LinkedAccount) {
        if !self.can_become(SessionStatus::Ready) {
            return;
        }
        self.disarm_watchdog(ctx);
        self.qr = None;
        self.attempt = 0;
        self.reset_social();
        let now = time::now_micros();
        let authenticated = SessionEvent::of(
            &self.id,
            Authenticated {
                session_id: &self.id,
                phone: &account.phone,
                push_name: account.push_name.as_deref(),
            },
        );
        let changes = SessionChanges {
            status: Some(SessionStatus::Ready.as_str().into()),
            phone: Some(Some(account.phone)),
            push_name: Some(account.push_name),
            connected_at: Some(Some(now)),
            last_active: Some(Some(now)),
            last_error: Some(None),
            should_run: Some(true),
            ..Default::default()
        };
        self.persist_then(ctx, changes, vec![authenticated]);
    }

    /// The phone removed this device: its credentials are gone, and so is the account.
    pub(super) fn on_logged_out(&mut self, ctx: &mut Context<Self>, reason: String) {
        self.halt_engine(ctx);
        let disconnected = self.disconnected_event(&reason);
        let mut changes = Self::unlinked_changes();
        changes.last_error = Some(Some(reason));
        self.persist_then(ctx, changes, vec![disconnected]);
    }

    /// The engine could not connect yet and keeps trying: the reason becomes `lastError`.
    pub(super) fn on_connect_problem(&mut self, ctx: &mut Context<Self>, reason: String) {
        let Ok(row) = self.row() else { return };
        if row.last_error.as_deref() == Some(reason.as_str()) {
            return;
        }
        if row.last_error.is_none() {
            log::warn!("session {}: {reason}; retrying", self.id);
        } else {
            log::debug!("session {}: {reason}; retrying", self.id);
        }
        self.persist(
            ctx,
            SessionChanges {
                last_error: Some(Some(reason)),
                ..Default::default()
            },
        );
    }

    fn disconnected_event(&self, reason: &str) -> SessionEvent {
        SessionEvent::of(
            &self.id,
            Disconnected {
                session_id: &self.id,
                reason,
            },
        )
    }

    pub(super) fn stopped_changes() -> SessionChanges {
        SessionChanges {
            status: Some(SessionStatus::Disconnected.as_str().into()),
            should_run: Some(false),
            ..Default::default()
        }
    }

    /// Stopped, and the linked account forgotten.
    pub(super) fn unlinked_changes() -> SessionChanges {
        SessionChanges {
            phone: Some(None),
            push_name: Some(None),
            ..Self::stopped_changes()
        }
    }

    fn failed_changes(reason: String) -> SessionChanges {
        SessionChanges {
            status: Some(SessionStatus::Failed.as_str().into()),
            should_run: Some(false),
            last_error: Some(Some(reason)),
            ..Default::default()
        }
    }

    /// Ends the engine for good: `failed`, with `reason` as `lastError`, and no retry.
    pub(super) fn fail(&mut self, ctx: &mut Context<Self>, reason: String) {
        self.halt_engine(ctx);
        self.persist(ctx, Self::failed_changes(reason));
    }

    /// The link dropped: wait, then try again, at most `maxReconnectAttempts` times.
    pub(super) fn schedule_reconnect(&mut self, ctx: &mut Context<Self>, reason: String) {
        let Ok(row) = self.row() else { return };
        let policy = ReconnectPolicy::from_config(SessionConfig::from_overrides(&row.config));
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=JITTER_MS));
        let delay = match policy.next(self.attempt, jitter) {
            Reconnect::After(delay) => delay,
            Reconnect::GiveUp => {
                let attempts = self.attempt;
                log::warn!(
                    "session {}: giving up after {attempts} reconnect attempts",
                    self.id
                );
                let reason =
                    format!("Reconnection failed after {attempts} attempts — restart the session.");
                self.fail(ctx, reason);
                return;
            }
        };
        log::info!(
            "session {}: link lost ({reason}); reconnecting in {} ms",
            self.id,
            delay.as_millis()
        );
        let disconnected = self.disconnected_event(&reason);
        let changes = SessionChanges {
            status: Some(SessionStatus::Disconnected.as_str().into()),
            last_error: Some(Some(reason)),
            ..Default::default()
        };
        self.persist_then(ctx, changes, vec![disconnected]);
        self.reconnect = Some(ctx.run_later(delay, |act, ctx| {
            act.reconnect = None;
            let Some(engine) = act.engine.clone() else {
                return;
            };
            act.attempt += 1;
            act.persist(
                ctx,
                SessionChanges {
                    status: Some(SessionStatus::Initializing.as_str().into()),
                    ..Default::default()
                },
            );
            engine.connect();
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: u64, base_ms: u64) -> ReconnectPolicy {
        ReconnectPolicy {
            max_attempts,
            base_delay: Duration::from_millis(base_ms),
            max_delay: MAX_RECONNECT_DELAY,
        }
    }

    #[test]
    fn the_delay_doubles_per_attempt_plus_the_jitter() {
        let p = policy(5, 5000);
        let none = Duration::ZERO;
        assert_eq!(p.next(0, none), Reconnect::After(Duration::from_secs(5)));
        assert_eq!(p.next(1, none), Reconnect::After(Duration::from_secs(10)));
        assert_eq!(p.next(3, none), Reconnect::After(Duration::from_secs(40)));
        assert_eq!(
            p.next(2, Duration::from_millis(250)),
            Reconnect::After(Duration::from_millis(20_250))
        );
    }

    #[test]
    fn it_gives_up_after_the_last_attempt() {
        let p = policy(3, 1000);
        assert!(matches!(p.next(2, Duration::ZERO), Reconnect::After(_)));
        assert_eq!(p.next(3, Duration::ZERO), Reconnect::GiveUp);
        assert_eq!(policy(0, 1000).next(0, Duration::ZERO), Reconnect::GiveUp);
    }

    #[test]
    fn the_delay_never_passes_the_cap() {
        let p = policy(u64::MAX, 300_000);
        assert_eq!(
            p.next(10, Duration::ZERO),
            Reconnect::After(MAX_RECONNECT_DELAY)
        );
        assert_eq!(
            p.next(60, Duration::from_secs(1)),
            Reconnect::After(MAX_RECONNECT_DELAY)
        );
    }
}
