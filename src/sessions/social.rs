//! A session actor's contacts, groups, chats and presence: the one [`Social`] message every such
//! operation travels in, and the rule for when it may run.
//!
//! The operations are in [`super::contacts`], [`super::groups`] and [`super::chats`]: each is a
//! function that builds a [`Social`], so a handler sends one typed message, and the engine call,
//! the store write and the events it causes stay together in the session module, not in `http/`.
//! Each of those files also turns what the engine observes of its concept into stored state and
//! events.

use std::rc::Rc;

use actix::prelude::*;
use futures_util::future::LocalBoxFuture;

use super::actor::{SessionActor, SocialState};
use super::error::SessionError;
use super::status::SessionStatus;
use crate::engine::{Engine, SocialError};
use crate::events::{Outbox, SessionEvent};
use crate::media::MediaStore;
use crate::store::{self, Store};

/// What an operation runs with: the ready engine and where its changes go.
#[derive(Clone)]
pub struct SocialCtx {
    pub session_id: String,
    /// This account's chat id (`<digits>@c.us`).
    pub own: String,
    pub engine: Rc<dyn Engine>,
    pub store: Store,
    pub outbox: Outbox,
    pub state: Rc<SocialState>,
    /// Kept media files, which go with the messages a cleared chat loses.
    pub media: MediaStore,
}

type Op<T> = Box<dyn FnOnce(SocialCtx) -> LocalBoxFuture<'static, Result<T, SessionError>> + Send>;

/// One contacts, groups, chats or presence operation, answered with `T`.
pub struct Social<T>(Op<T>);

impl<T> Social<T> {
    pub fn new(
        op: impl FnOnce(SocialCtx) -> LocalBoxFuture<'static, Result<T, SessionError>> + Send + 'static,
    ) -> Self {
        Self(Box::new(op))
    }
}

impl<T: 'static> Message for Social<T> {
    type Result = Result<T, SessionError>;
}

impl<T: 'static> Handler<Social<T>> for SessionActor {
    type Result = ResponseFuture<Result<T, SessionError>>;
    /// Runs while the engine is logged in: OpenWA's 400 without an engine, 409 before `ready`.
    fn handle(&mut self, Social(op): Social<T>, ctx: &mut Context<Self>) -> Self::Result {
        match self.social_ctx(ctx) {
            Ok(sctx) => op(sctx),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
}

impl From<SocialError> for SessionError {
    fn from(e: SocialError) -> Self {
        match e {
            SocialError::NotFound(m) => Self::Missing(m),
            SocialError::Refused(m) => Self::Refused(m),
            SocialError::Conflict(m) => Self::Conflict(m),
            SocialError::Engine(e) => Self::Engine(e.0),
            SocialError::Unsupported(op) => Self::Unsupported(op),
        }
    }
}

impl SessionActor {
    /// The engine, when the session is ready (the rule of [`Social`]).
    pub(super) fn ready_engine(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> Result<Rc<dyn Engine>, SessionError> {
        Ok(self.social_ctx(ctx)?.engine)
    }

    fn social_ctx(&mut self, ctx: &mut Context<Self>) -> Result<SocialCtx, SessionError> {
        self.row()?;
        let engine = self.engine.clone().ok_or(SessionError::NotStarted)?;
        if self.status() != Some(SessionStatus::Ready) {
            return Err(SessionError::NotConnected);
        }
        self.touch(ctx);
        Ok(SocialCtx {
            session_id: self.id.clone(),
            own: self.own_chat_id(),
            engine,
            store: self.deps.store.clone(),
            outbox: self.deps.outbox.clone(),
            state: self.social.clone(),
            media: self.deps.media.clone(),
        })
    }

    /// Forgets what the previous engine run observed.
    pub(super) fn reset_social(&mut self) {
        self.social = Rc::new(SocialState::default());
    }

    /// Runs a store change with its events before the actor's next message, logging a failure.
    pub(super) fn spawn_change<F>(&mut self, ctx: &mut Context<Self>, what: &'static str, change: F)
    where
        F: FnOnce(&str, &mut store::DbConnection) -> Result<Vec<SessionEvent>, store::StoreError>
            + Send
            + 'static,
    {
        let (store, outbox, sid) = (
            self.deps.store.clone(),
            self.deps.outbox.clone(),
            self.id.clone(),
        );
        let id = sid.clone();
        let fut = async move {
            outbox
                .commit(&store, move |c| Ok(((), change(&sid, c)?)))
                .await
        };
        ctx.wait(fut.into_actor(self).map(move |res, _, _| {
            if let Err(e) = res {
                log::warn!("session {id}: cannot store a {what} update: {e}");
            }
        }));
    }
}

/// `{"success": true, "message": "..."}`: what OpenWA answers for a change with nothing to return.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Done {
    pub success: bool,
    #[schema(example = "Contact blocked")]
    pub message: &'static str,
}

impl Done {
    pub fn ok(message: &'static str) -> Self {
        Self {
            success: true,
            message,
        }
    }
}
