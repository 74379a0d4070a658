DROP INDEX messages_timestamp;
DROP TABLE audit_logs;
