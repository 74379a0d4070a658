-- Incoming messages carry OpenWA's status for them, `sent` (OpenWA's statuses are pending, sent,
-- delivered, read and failed; "received" was ours alone).
UPDATE messages SET status = 'sent' WHERE direction = 'incoming' AND status = 'received';
