DROP TABLE messages;
DROP TABLE api_keys;
DROP TABLE sessions;
