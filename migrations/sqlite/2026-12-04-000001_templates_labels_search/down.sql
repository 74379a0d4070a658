DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE messages_fts;
DROP TABLE poll_votes;
DROP TABLE chat_labels;
DROP TABLE labels;
DROP TABLE templates;
