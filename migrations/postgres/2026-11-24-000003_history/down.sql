DROP INDEX messages_session_timestamp;
DROP INDEX messages_session_type_seq;
DROP INDEX messages_session_direction_seq;
DROP TRIGGER messages_count ON messages;
DROP FUNCTION messages_count();
DROP TABLE message_counts;
