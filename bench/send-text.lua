-- wrk script: POST send-text with the key and chat given in the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("OPENWA_KEY")
wrk.body = '{"chatId":"628123456789@c.us","text":"benchmark message"}'
