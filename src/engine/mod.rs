//! The seam between OpenWA and WhatsApp. A session actor drives an [`Engine`] and receives its
//! progress as [`EngineEvent`]s; it never learns which engine it talks to, except through
//! [`Engine::sandbox`] for the sandbox control routes.
//!
//! [`contract`] is that seam (the trait, its events and shared types; re-exported here),
//! [`outgoing`] what a send carries, [`factory`] builds the engine a session runs: [`whatsapp`]
//! (the real one, on the shared tokio [`runtime`]) or [`sandbox`] (a simulated phone). The engines
//! import the contract, never this file, so no file here imports one that imports it back.

pub mod contract;
pub mod error;
pub mod factory;
pub mod features;
pub mod outgoing;
pub mod runtime;
pub mod sandbox;
pub mod social;
pub mod whatsapp;

pub use contract::{
    Engine, EngineError, EngineEvent, EngineKind, EngineSetup, FromEngine, Incoming, IncomingMedia,
    LinkedAccount, MediaHandle, Received, SandboxCommand, SandboxControl, Sent, SocialResult,
};
pub use factory::EngineFactory;
pub use outgoing::{
    is_media_type, Content, MediaKind, MessageRef, Outgoing, OutgoingMedia, MEDIA_TYPE_RULE,
};
pub use social::SocialError;
