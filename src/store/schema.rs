// Kept in step with migrations/sqlite and migrations/postgres; portable SQL types only.

diesel::table! {
    sessions (id) {
        id -> Text,
        name -> Text,
        engine -> Text,
        status -> Text,
        phone -> Nullable<Text>,
        push_name -> Nullable<Text>,
        config -> Text,
        proxy_url -> Nullable<Text>,
        proxy_type -> Nullable<Text>,
        last_error -> Nullable<Text>,
        should_run -> Bool,
        connected_at -> Nullable<BigInt>,
        last_active -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        role -> Text,
        allowed_ips -> Nullable<Text>,
        allowed_sessions -> Nullable<Text>,
        is_active -> Bool,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        usage_count -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    messages (seq) {
        seq -> BigInt,
        id -> Text,
        session_id -> Text,
        wa_message_id -> Nullable<Text>,
        chat_id -> Text,
        from_jid -> Text,
        to_jid -> Text,
        body -> Nullable<Text>,
        msg_type -> Text,
        direction -> Text,
        timestamp -> BigInt,
        metadata -> Nullable<Text>,
        status -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        session_id -> Text,
        url -> Text,
        events -> Text,
        filters -> Nullable<Text>,
        secret -> Nullable<Text>,
        headers -> Nullable<Text>,
        active -> Bool,
        retry_count -> Integer,
        last_triggered_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (seq) {
        seq -> BigInt,
        id -> Text,
        webhook_id -> Text,
        session_id -> Text,
        event -> Text,
        idempotency_key -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        claimed -> Bool,
        last_error -> Nullable<Text>,
        last_status_code -> Nullable<Integer>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    batches (id) {
        id -> Text,
        session_id -> Text,
        status -> Text,
        delay_ms -> BigInt,
        randomize_delay -> Bool,
        stop_on_error -> Bool,
        total -> Integer,
        created_at -> BigInt,
        started_at -> Nullable<BigInt>,
        completed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    batch_items (batch_id, idx) {
        batch_id -> Text,
        idx -> Integer,
        chat_id -> Text,
        msg_type -> Text,
        content -> Text,
        status -> Text,
        wa_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        sent_at -> Nullable<BigInt>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (session_id, idem_key) {
        session_id -> Text,
        idem_key -> Text,
        fingerprint -> Text,
        status_code -> Nullable<Integer>,
        response -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    message_counts (session_id, chat_id, direction, msg_type) {
        session_id -> Text,
        chat_id -> Text,
        direction -> Text,
        msg_type -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> Text,
        created_at -> BigInt,
        action -> Text,
        severity -> Text,
        api_key_id -> Nullable<Text>,
        api_key_name -> Nullable<Text>,
        session_id -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        method -> Text,
        path -> Text,
        status_code -> Integer,
    }
}

diesel::table! {
    contacts (session_id, id) {
        session_id -> Text,
        id -> Text,
        name -> Nullable<Text>,
        push_name -> Nullable<Text>,
        lid -> Nullable<Text>,
        is_my_contact -> Bool,
        is_blocked -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    chats (session_id, id) {
        session_id -> Text,
        id -> Text,
        last_seq -> BigInt,
        last_timestamp -> BigInt,
        unread_count -> Integer,
        read_seq -> BigInt,
        marked_unread -> Bool,
        archived -> Bool,
        pinned -> Bool,
        muted_until -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    chat_groups (session_id, id) {
        session_id -> Text,
        id -> Text,
        subject -> Text,
        description -> Nullable<Text>,
        owner -> Nullable<Text>,
        created_ts -> Nullable<BigInt>,
        announce -> Bool,
        locked -> Bool,
        parent -> Nullable<Text>,
        participants -> Text,
        is_member -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    templates (id) {
        id -> Text,
        session_id -> Text,
        name -> Text,
        body -> Text,
        header -> Nullable<Text>,
        footer -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    labels (session_id, id) {
        session_id -> Text,
        id -> Text,
        name -> Text,
        color -> Integer,
        updated_at -> BigInt,
    }
}

diesel::table! {
    chat_labels (session_id, label_id, chat_id) {
        session_id -> Text,
        label_id -> Text,
        chat_id -> Text,
    }
}

diesel::table! {
    poll_votes (session_id, chat_id, poll_id, voter) {
        session_id -> Text,
        chat_id -> Text,
        poll_id -> Text,
        voter -> Text,
        options -> Text,
        timestamp -> BigInt,
    }
}

diesel::joinable!(messages -> sessions (session_id));
diesel::joinable!(batches -> sessions (session_id));
diesel::joinable!(batch_items -> batches (batch_id));
diesel::joinable!(webhooks -> sessions (session_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(
    batches,
    chat_groups,
    chat_labels,
    labels,
    poll_votes,
    templates,
    chats,
    contacts,
    batch_items,
    idempotency_keys,
    message_counts,
    sessions,
    api_keys,
    audit_logs,
    messages,
    webhooks,
    webhook_deliveries
);
