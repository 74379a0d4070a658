UPDATE messages SET status = 'received' WHERE direction = 'incoming' AND status = 'sent';
