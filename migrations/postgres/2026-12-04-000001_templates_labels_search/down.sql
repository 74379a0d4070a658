DROP INDEX messages_body_tsv;
ALTER TABLE messages DROP COLUMN body_tsv;
DROP TABLE poll_votes;
DROP TABLE chat_labels;
DROP TABLE labels;
DROP TABLE templates;
