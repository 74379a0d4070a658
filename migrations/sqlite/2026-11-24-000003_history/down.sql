DROP INDEX messages_session_timestamp;
DROP INDEX messages_session_type_seq;
DROP INDEX messages_session_direction_seq;
DROP TRIGGER messages_count_update;
DROP TRIGGER messages_count_delete;
DROP TRIGGER messages_count_insert;
DROP TABLE message_counts;
