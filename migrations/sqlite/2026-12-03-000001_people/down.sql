DROP TABLE chat_groups;
DROP TRIGGER messages_chat_insert;
DROP TABLE chats;
DROP TABLE contacts;
