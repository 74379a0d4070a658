"""Schemathesis hooks for fuzz/run.sh: fresh fixtures for the requests that would use up or change
the shared ones, and the few facts about valid data that the schema cannot state.

run.sh pins every resource path parameter (schemathesis.toml, [parameters]) to a fixture it made:
a ready sandbox session, a webhook, a spare API key, a bulk batch, a failed delivery. Reads and
most writes may keep using those. The requests in DESTRUCTIVE below would delete them, or move a
session out of the state the other operations need (a stopped or logged-out session answers every
send with a precondition error), so `before_call` swaps the pinned id for a resource made just
for that request, in the state the operation needs. Only the pinned value is swapped: a generated
or negated id is left as it is, so validation of path parameters is still tested.

A second guard never lets a write reach the admin key the run authenticates with, whatever id a
request carries.

Positive cases only (a negative case is sent exactly as generated):
- `expiresAt` in the past is moved to the future (the API refuses past expiries; JSON Schema
  cannot say "after now");
- a media `url` is pointed at the run's local file server (the daemon downloads it; a generated
  host does not exist, and run.sh gives the daemon no network besides loopback anyway);
- `enter-pairing-code` gets the code its fresh session was issued.

`after_call` deletes the sessions made for one request once it is answered.

Environment (exported by run.sh): OPENWA_FUZZ_API (base URL ending in /api), OPENWA_FUZZ_KEY,
OPENWA_FUZZ_ADMIN_KEY_ID, OPENWA_FUZZ_SESSION_ID, OPENWA_FUZZ_WEBHOOK_ID, OPENWA_FUZZ_KEY_ID,
OPENWA_FUZZ_BATCH_ID, OPENWA_FUZZ_DELIVERY_ID, OPENWA_FUZZ_MEDIA_URL, OPENWA_FUZZ_LOG (optional).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
import threading
import time
import uuid

import requests
import schemathesis

API = os.environ["OPENWA_FUZZ_API"].rstrip("/")
KEY = os.environ["OPENWA_FUZZ_KEY"]
ADMIN_KEY_ID = os.environ.get("OPENWA_FUZZ_ADMIN_KEY_ID", "").lower()
PINNED = {
    "session": os.environ["OPENWA_FUZZ_SESSION_ID"].lower(),
    "webhook": os.environ["OPENWA_FUZZ_WEBHOOK_ID"].lower(),
    "key": os.environ["OPENWA_FUZZ_KEY_ID"].lower(),
    "batch": os.environ["OPENWA_FUZZ_BATCH_ID"].lower(),
    "delivery": os.environ["OPENWA_FUZZ_DELIVERY_ID"].lower(),
    "group": os.environ["OPENWA_FUZZ_GROUP_ID"].lower(),
    "label": os.environ["OPENWA_FUZZ_LABEL_ID"].lower(),
    "template": os.environ["OPENWA_FUZZ_TEMPLATE_ID"].lower(),
}
MEDIA_URL = os.environ.get("OPENWA_FUZZ_MEDIA_URL", "")
PICTURE_URL = os.environ.get("OPENWA_FUZZ_PICTURE_URL", "")
PHONE = "628123456789"
CHAT = f"{PHONE}@c.us"
TIMEOUT = 15

_lock = threading.Lock()
_used_deliveries: set[str] = set()
_pairing_codes: dict[str, str] = {}
# Sessions made for one request (case id -> session id), deleted once it is answered.
_made_sessions: dict[str, str] = {}
_log_path = os.environ.get("OPENWA_FUZZ_LOG")


def _log(message: str) -> None:
    line = f"[fuzz hooks] {message}\n"
    if _log_path:
        with open(_log_path, "a", encoding="utf-8") as fd:
            fd.write(line)
    else:
        sys.stderr.write(line)


class FixtureError(RuntimeError):
    pass


def _call(method: str, path: str, expect: tuple[int, ...], json: object | None = None) -> object:
    response = requests.request(
        method,
        f"{API}{path}",
        json=json,
        headers={"X-API-Key": KEY},
        timeout=TIMEOUT,
    )
    if response.status_code not in expect:
        raise FixtureError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    if not response.content:
        return None
    return response.json()


def _items(listing: object) -> list:
    """A listing is either an array or an object holding one (`data`, `messages`, ...)."""
    if isinstance(listing, list):
        return listing
    if isinstance(listing, dict):
        for value in listing.values():
            if isinstance(value, list):
                return value
    return []


def _wait_status(session_id: str, wanted: str, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    status = None
    while time.monotonic() < deadline:
        status = _call("GET", f"/sessions/{session_id}", (200,)).get("status")
        if status == wanted:
            return
        time.sleep(0.05)
    raise FixtureError(f"session {session_id} stayed {status!r}, never {wanted!r}")


def new_session(state: str) -> str:
    """A sandbox session in `state`: created, started (qr_ready), pairing (a code issued), ready."""
    name = f"fz-{uuid.uuid4().hex[:12]}"
    session_id = _call("POST", "/sessions", (200, 201), {"name": name, "engine": "sandbox"})["id"]
    if state == "created":
        return session_id
    _call("POST", f"/sessions/{session_id}/start", (200, 201))
    _wait_status(session_id, "qr_ready")
    if state == "pairing":
        reply = _call("POST", f"/sessions/{session_id}/pairing-code", (200, 201), {"phoneNumber": PHONE})
        _pairing_codes[session_id] = reply["pairingCode"]
    elif state == "ready":
        _call("POST", f"/sandbox/sessions/{session_id}/scan", (200, 201), {"phone": PHONE, "business": True})
        _wait_status(session_id, "ready")
    return session_id


def new_webhook() -> str:
    body = {"url": "http://127.0.0.1:9/fuzz-spare", "events": ["*"], "retryCount": 0}
    return _call("POST", f"/sessions/{PINNED['session']}/webhooks", (200, 201), body)["id"]


def new_key() -> str:
    body = {"name": f"fuzz-spare-{uuid.uuid4().hex[:8]}", "role": "viewer"}
    return _call("POST", "/auth/api-keys", (200, 201), body)["id"]


def new_batch() -> str:
    """A batch that is still running when the request comes: a minute between its two messages."""
    message = {"chatId": CHAT, "type": "text", "content": {"text": "fuzz batch"}}
    body = {"messages": [message, message], "options": {"delayBetweenMessages": 60000}}
    reply = _call("POST", f"/sessions/{PINNED['session']}/messages/send-bulk", (200, 201, 202), body)
    return reply["batchId"]


def new_group() -> str:
    """A group of the main session that this account administers."""
    body = {"name": f"fz-{uuid.uuid4().hex[:8]}", "participants": [os.environ["OPENWA_FUZZ_CONTACT_ID"]]}
    return _call("POST", f"/sessions/{PINNED['session']}/groups", (200, 201), body)["id"]


def new_label() -> str:
    body = {"name": f"fz-{uuid.uuid4().hex[:8]}", "color": 1}
    return _call("POST", f"/sessions/{PINNED['session']}/labels", (200, 201), body)["id"]


def new_template() -> str:
    body = {"name": f"fz-{uuid.uuid4().hex[:8]}", "body": "Hello {{name}}"}
    return _call("POST", f"/sessions/{PINNED['session']}/templates", (200, 201), body)["id"]


def new_failed_delivery() -> str:
    """An exhausted delivery not retried yet. A webhook with retryCount 0 on a closed port fails
    every event of the main session at once; a new one is made when none is left (the fuzzer may
    have changed or deactivated the fixture's), and a text makes its events."""
    deadline = time.monotonic() + 20
    sent = False
    while time.monotonic() < deadline:
        listing = _call("GET", "/webhooks/delivery-failures?limit=200", (200,))
        for item in _items(listing):
            delivery_id = str(item.get("id", "")).lower()
            if delivery_id and delivery_id not in _used_deliveries:
                _used_deliveries.add(delivery_id)
                return delivery_id
        if not sent:
            new_webhook()
            body = {"chatId": CHAT, "text": "fuzz delivery"}
            _call("POST", f"/sessions/{PINNED['session']}/messages/send-text", (200, 201), body)
            sent = True
        time.sleep(0.1)
    raise FixtureError("no failed delivery appeared")


# (method, path suffix, which path parameter, what replaces the pinned value). The suffix is matched
# against the schema's path template, whatever its prefix and parameter spelling.
P = r"\{[^}]+\}"
DESTRUCTIVE: list[tuple[str, re.Pattern[str], str, object]] = [
    ("DELETE", re.compile(rf"/sessions/{P}$"), "session", lambda: new_session("created")),
    ("POST", re.compile(rf"/sessions/{P}/start$"), "session", lambda: new_session("created")),
    ("POST", re.compile(rf"/sessions/{P}/stop$"), "session", lambda: new_session("ready")),
    ("POST", re.compile(rf"/sessions/{P}/restart$"), "session", lambda: new_session("ready")),
    ("POST", re.compile(rf"/sessions/{P}/logout$"), "session", lambda: new_session("ready")),
    ("POST", re.compile(rf"/sessions/{P}/force-kill$"), "session", lambda: new_session("ready")),
    ("POST", re.compile(rf"/sessions/{P}/pairing-code$"), "session", lambda: new_session("started")),
    ("POST", re.compile(rf"/sandbox/sessions/{P}/scan$"), "session", lambda: new_session("started")),
    ("POST", re.compile(rf"/sandbox/sessions/{P}/enter-pairing-code$"), "session", lambda: new_session("pairing")),
    ("POST", re.compile(rf"/sandbox/sessions/{P}/drop$"), "session", lambda: new_session("ready")),
    ("POST", re.compile(rf"/sandbox/sessions/{P}/fail$"), "session", lambda: new_session("ready")),
    ("DELETE", re.compile(rf"/sessions/{P}/webhooks/{P}$"), "webhook", new_webhook),
    ("DELETE", re.compile(rf"/auth/api-keys/{P}$"), "key", new_key),
    ("POST", re.compile(rf"/auth/api-keys/{P}/revoke$"), "key", new_key),
    ("POST", re.compile(rf"/messages/batch/{P}/cancel$"), "batch", new_batch),
    ("POST", re.compile(rf"/delivery-failures/{P}/retry$"), "delivery", new_failed_delivery),
    ("POST", re.compile(rf"/groups/{P}/leave$"), "group", new_group),
    ("DELETE", re.compile(rf"/labels/{P}$"), "label", new_label),
    ("DELETE", re.compile(rf"/templates/{P}$"), "template", new_template),
]


def _param_for(path_parameters: dict, kind: str) -> str | None:
    """The name of the path parameter of this kind (`session_id`, `sessionId`, `key_id`, ...)."""
    for name in path_parameters:
        if kind in name.lower():
            return name
    return None


def _is_positive(case) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode.is_positive


def _future_expiry(body: dict) -> None:
    value = body.get("expiresAt")
    if not isinstance(value, str) or not value:
        return
    try:
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    if parsed <= _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=5):
        body["expiresAt"] = "2099-12-28T23:59:59Z"


def _local_media(value: object, url: str) -> None:
    """Points every http(s) `url` inside a media send at the local file server."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "url" and isinstance(item, str) and item.lower().startswith(("http://", "https://")):
                value[key] = url
            else:
                _local_media(item, url)
    elif isinstance(value, list):
        for item in value:
            _local_media(item, url)


MEDIA_SEND = re.compile(
    r"(/messages/(send-(image|video|audio|document|sticker)|send-bulk)"
    r"|/status/send-(image|video|voice)|/profile/picture|/groups/[^/]+/picture)$"
)
KEY_WRITE = re.compile(r"/auth/api-keys/")


@schemathesis.hook
def before_call(context, case, **kwargs):
    method = (case.method or case.operation.method).upper()
    template = case.operation.path
    params = case.path_parameters if isinstance(case.path_parameters, dict) else {}

    for wanted_method, suffix, kind, make in DESTRUCTIVE:
        if method != wanted_method or not suffix.search(template):
            continue
        name = _param_for(params, kind)
        if name is None or str(params[name]).lower() != PINNED[kind]:
            break
        with _lock:
            try:
                fresh = make()
            except (FixtureError, requests.RequestException, KeyError, TypeError, ValueError) as exc:
                _log(f"{method} {template}: no fresh {kind} ({exc}); the pinned one is used")
                break
        params[name] = fresh
        if kind == "session" and method != "DELETE":
            _made_sessions[case.id] = fresh
        if kind == "session" and fresh in _pairing_codes and isinstance(case.body, dict) and _is_positive(case):
            case.body["code"] = _pairing_codes[fresh]
        break

    # Whatever id a write names, never the key this run authenticates with.
    if ADMIN_KEY_ID and method != "GET" and KEY_WRITE.search(template):
        name = _param_for(params, "key")
        if name is not None and str(params[name]).lower() == ADMIN_KEY_ID:
            with _lock:
                params[name] = new_key()

    # Stateful links take the status id a status post answers for every `{contact_id}` (DELETE
    # /status/{contact_id} names a status so); elsewhere that parameter is a person's.
    if not (method == "DELETE" and template.endswith("/status/{contact_id}")):
        for name in ("contact_id", "chat_id"):
            if re.search(r"_status(@|%40)broadcast_", str(params.get(name, ""))):
                params[name] = os.environ["OPENWA_FUZZ_CONTACT_ID"]
    if not _is_positive(case) or not isinstance(case.body, dict):
        return
    if "/auth/api-keys" in template:
        _future_expiry(case.body)
    if MEDIA_URL and MEDIA_SEND.search(template):
        _local_media(case.body, PICTURE_URL if template.endswith("/picture") else MEDIA_URL)
    # The phone's group events name a group in the body: the fixture's, so they find one.
    if template.endswith("/group-event") and "groupId" in case.body:
        case.body["groupId"] = PINNED["group"]


@schemathesis.hook
def after_call(context, case, response):
    """Deletes the session made for this request, so the daemon does not pile up hundreds of them.
    Checks that re-send the request (ignored_auth without a key or with a wrong one) still get
    their 401: authentication answers before the session is looked up."""
    session_id = _made_sessions.pop(case.id, None)
    if session_id is None:
        return
    _pairing_codes.pop(session_id, None)
    try:
        _call("DELETE", f"/sessions/{session_id}", (200, 204, 404))
    except (FixtureError, requests.RequestException) as exc:
        _log(f"fixture session {session_id} not deleted: {exc}")
