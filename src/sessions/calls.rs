//! Calls to a session's account: announced (`call.received`), declined at once when the session's
//! `autoRejectCalls` is on (`call.rejected`), or reported missed (`call.missed`).

use actix::prelude::*;

use futures_util::FutureExt;

use super::actor::SessionActor;
use super::config::SessionConfig;
use super::social::Social;
use crate::engine::features::{CallPhase, CallUpdate};
use crate::events::payload::{CallEnded, CallMissed, CallReceived, CallRejected};
use crate::events::SessionEvent;

impl SessionActor {
    pub(super) fn on_call(&mut self, ctx: &mut Context<Self>, call: CallUpdate) {
        let sid = self.id.clone();
        let ended = |outcome| CallEnded {
            session_id: &sid,
            call_id: &call.call_id,
            from: &call.from,
            outcome,
            timestamp: call.timestamp,
        };
        let event = match call.phase {
            CallPhase::Offer => SessionEvent::of(
                &sid,
                CallReceived {
                    call_id: &call.call_id,
                    from: &call.from,
                    is_video: call.is_video,
                    is_group: call.is_group,
                    timestamp: call.timestamp,
                },
            ),
            CallPhase::Missed => SessionEvent::of(&sid, CallMissed(ended("missed"))),
            // Answered or declined on the phone: nothing for this gateway to report.
            CallPhase::Elsewhere => return,
        };
        self.spawn_change(ctx, "call", move |_, _| Ok(vec![event]));
        let reject = self.row.as_ref().is_some_and(|r| {
            call.phase == CallPhase::Offer
                && SessionConfig::from_overrides(&r.config).auto_reject_calls
        });
        let Some(engine) = self.engine.clone().filter(|_| reject) else {
            return;
        };
        // After `call.received`, so a refusal that fails never hides the call.
        let decline = engine.reject_call(&call.call_id, &call.from);
        let fut = decline
            .into_actor(self)
            .map(move |res, act, ctx| match res {
                Ok(()) => {
                    let event = SessionEvent::of(
                        &act.id,
                        CallRejected(CallEnded {
                            session_id: &act.id,
                            call_id: &call.call_id,
                            from: &call.from,
                            outcome: "rejected",
                            timestamp: crate::time::now_secs(),
                        }),
                    );
                    act.spawn_change(ctx, "call", move |_, _| Ok(vec![event]));
                }
                Err(e) => log::warn!(
                    "session {}: cannot decline call {}: {e}",
                    act.id,
                    call.call_id
                ),
            });
        ctx.spawn(fut);
    }
}

/// Declines a ringing call; `call.rejected` follows.
pub fn reject(call_id: String, from: String) -> Social<()> {
    Social::new(move |cx| {
        async move {
            cx.engine.reject_call(&call_id, &from).await?;
            let event = SessionEvent::of(
                &cx.session_id,
                CallRejected(CallEnded {
                    session_id: &cx.session_id,
                    call_id: &call_id,
                    from: &from,
                    outcome: "rejected",
                    timestamp: crate::time::now_secs(),
                }),
            );
            cx.outbox
                .commit(&cx.store, move |_| Ok(((), vec![event])))
                .await?;
            Ok(())
        }
        .boxed_local()
    })
}
