//! Sessions: the [`SessionManager`] supervisor, one `SessionActor` per session, their typed
//! messages and the status machine. Handlers reach a session only through [`SessionsHandle`].
//!
//! The actor is one type split by concept: [`actor`] (its state and command handlers),
//! [`lifecycle`] (engine launch, watchdog, reconnects), [`inbox`] (incoming messages, acks,
//! media downloads) and [`row`] (how its row is stored and its events published). A send runs
//! outside the actor, in [`sending`], with what the actor hands it while ready; [`resend`] settles
//! sends a crash interrupted. Contacts, groups, chats and presence ([`contacts`], [`groups`],
//! [`chats`]) travel in one [`social::Social`] message and keep their state through [`social`].

pub mod account;
pub mod actor;
pub mod calls;
pub mod chats;
pub mod config;
pub mod contacts;
pub mod directory;
pub mod error;
pub mod groups;
pub mod handle;
pub mod inbox;
pub mod lifecycle;
pub mod manager;
pub mod messages;
pub mod reactions;
pub mod resend;
pub mod row;
pub mod sending;
pub mod social;
pub mod status;
pub mod view;

pub use config::SessionConfig;
pub use error::SessionError;
pub use handle::SessionsHandle;
pub use manager::SessionManager;
pub use status::SessionStatus;
