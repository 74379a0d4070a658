//! What people do to a session's messages beyond replying: reactions (kept with the message,
//! `message.reaction`) and votes in polls (kept per voter, `message.poll_vote`), and the views
//! of both that the API serves.

use std::collections::BTreeMap;

use actix::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::actor::SessionActor;
use crate::engine::features::{PollVoteUpdate, ReactionUpdate};
use crate::events::payload::{PollVoted, Reacted};
use crate::events::SessionEvent;
use crate::store::metadata::MessageMetadata;
use crate::store::models::MessageRow;
use crate::store::{self, StoreError};
use crate::wa;

impl SessionActor {
    pub(super) fn on_reaction(&mut self, ctx: &mut Context<Self>, update: ReactionUpdate) {
        self.spawn_change(ctx, "reaction", move |sid, c| {
            record_reaction(c, sid, &update)
        });
    }

    pub(super) fn on_poll_vote(&mut self, ctx: &mut Context<Self>, vote: PollVoteUpdate) {
        self.spawn_change(ctx, "poll vote", move |sid, c| record_vote(c, sid, &vote));
    }
}

/// Keeps a reaction with the message it is on (when that message is stored) and announces it.
pub fn record_reaction(
    c: &mut store::DbConnection,
    sid: &str,
    u: &ReactionUpdate,
) -> Result<Vec<SessionEvent>, StoreError> {
    let row = store::messages::find_by_wa_id(c, sid, &u.chat_id, &u.target_wa_id)?;
    let message_id = row
        .as_ref()
        .and_then(|r| r.wa_message_id.clone())
        .unwrap_or_else(|| wa::serialize_message_id(false, &u.chat_id, &u.target_wa_id));
    if let Some(row) = row {
        let mut m = MessageMetadata::parse(row.metadata.as_deref());
        if u.emoji.is_empty() {
            m.reactions.remove(&u.sender);
            m.reaction_times.remove(&u.sender);
        } else {
            m.reactions.insert(u.sender.clone(), u.emoji.clone());
            m.reaction_times.insert(u.sender.clone(), u.timestamp);
        }
        store::messages::update_metadata(c, &row.id, &m)?;
    }
    Ok(vec![SessionEvent::of(
        sid,
        Reacted {
            message_id: &message_id,
            chat_id: &u.chat_id,
            sender_id: &u.sender,
            reaction: &u.emoji,
            timestamp: u.timestamp,
        },
    )])
}

/// Keeps a vote, only with the options the stored poll has, and announces it. A vote on a poll
/// that is not stored here is announced as it came.
/// How WhatsApp names a poll option inside a vote: the SHA-256 of its text.
fn option_hash(option: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(option.as_bytes()))
}

pub fn record_vote(
    c: &mut store::DbConnection,
    sid: &str,
    v: &PollVoteUpdate,
) -> Result<Vec<SessionEvent>, StoreError> {
    let row = store::messages::find_by_wa_id(c, sid, &v.chat_id, &v.poll_wa_id)?;
    let (poll_id, options) = match &row {
        Some(row) => {
            let poll = MessageMetadata::parse(row.metadata.as_deref()).poll;
            let known: Vec<String> = match &poll {
                Some(p) => p
                    .options
                    .iter()
                    .filter(|o| v.options.contains(o) || v.option_hashes.contains(&option_hash(o)))
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            let id = row.wa_message_id.clone().unwrap_or_default();
            store::polls::record_vote(c, sid, &v.chat_id, &id, &v.voter, &known, v.timestamp)?;
            (id, known)
        }
        None => (
            wa::serialize_message_id(false, &v.chat_id, &v.poll_wa_id),
            v.options.clone(),
        ),
    };
    Ok(vec![SessionEvent::of(
        sid,
        PollVoted {
            poll_id: &poll_id,
            chat_id: &v.chat_id,
            voter: &v.voter,
            options: &options,
            timestamp: v.timestamp,
        },
    )])
}

/// One who reacted.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactionSender {
    pub sender_id: String,
    pub emoji: String,
    /// Epoch seconds (0 when not known: this account's own, set before 0.2).
    pub timestamp: i64,
}

/// One emoji and everyone who reacted with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReactionGroup {
    pub emoji: String,
    pub senders: Vec<ReactionSender>,
}

/// A message's reactions grouped by emoji, this account's (`own`) included.
pub fn reactions_of(row: &MessageRow, own: &str) -> Vec<ReactionGroup> {
    let m = MessageMetadata::parse(row.metadata.as_deref());
    let mut all: Vec<ReactionSender> = m
        .reactions
        .iter()
        .map(|(sender, emoji)| ReactionSender {
            sender_id: sender.clone(),
            emoji: emoji.clone(),
            timestamp: m.reaction_times.get(sender).copied().unwrap_or(0),
        })
        .collect();
    if let Some(emoji) = m.my_reaction {
        all.push(ReactionSender {
            sender_id: own.to_string(),
            emoji,
            timestamp: 0,
        });
    }
    let mut groups: BTreeMap<String, Vec<ReactionSender>> = BTreeMap::new();
    for s in all {
        groups.entry(s.emoji.clone()).or_default().push(s);
    }
    let mut out: Vec<ReactionGroup> = groups
        .into_iter()
        .map(|(emoji, senders)| ReactionGroup { emoji, senders })
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.senders.len()));
    out
}

/// One option of a poll and who chose it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollOptionResult {
    pub name: String,
    pub votes: usize,
    pub voters: Vec<String>,
}

/// A poll and its votes as they stand.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollResults {
    pub message_id: String,
    pub chat_id: String,
    pub name: String,
    pub allow_multiple_answers: bool,
    pub options: Vec<PollOptionResult>,
    /// How many people voted (one may choose several options).
    pub total_voters: usize,
}

/// Aggregates a poll's stored votes; `None` when the message is not a poll.
pub fn poll_results(row: &MessageRow, votes: &[(String, Vec<String>, i64)]) -> Option<PollResults> {
    let poll = MessageMetadata::parse(row.metadata.as_deref()).poll?;
    let options = poll
        .options
        .iter()
        .map(|name| {
            let voters: Vec<String> = votes
                .iter()
                .filter(|(_, chosen, _)| chosen.contains(name))
                .map(|(voter, _, _)| voter.clone())
                .collect();
            PollOptionResult {
                name: name.clone(),
                votes: voters.len(),
                voters,
            }
        })
        .collect();
    Some(PollResults {
        message_id: row.wa_message_id.clone().unwrap_or_else(|| row.id.clone()),
        chat_id: row.chat_id.clone(),
        name: poll.name,
        allow_multiple_answers: poll.allow_multiple_answers,
        options,
        total_voters: votes.len(),
    })
}
