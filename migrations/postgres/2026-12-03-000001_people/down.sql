DROP TABLE chat_groups;
DROP TRIGGER messages_chat ON messages;
DROP FUNCTION messages_chat();
DROP TABLE chats;
DROP TABLE contacts;
