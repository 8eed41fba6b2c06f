"""Drives the official Amplitude Python SDK (PyPI amplitude-analytics) against an ampscope proxy.

Usage: python sdk_scenario.py BASE_URL
  BASE_URL: the proxy, e.g. http://127.0.0.1:8787; or `default` to keep the SDK's own server URLs
  (https://api2.amplitude.com/...), for a run through HTTPS_PROXY with ampscope's CA trusted.

Prints one JSON object per line on stdout:
  {"kind": "callback", "phase": ..., "event_type": ..., "user_id": ..., "insert_id": ..., "code": N, "message": ...}
for every per-event callback the SDK makes, then {"kind": "done", ...} with what was sent.
The Swift test (Tests/AmpscopeAppTests/ProxySDKTests.swift) compares this with the store.
"""
import json
import logging
import sys
import threading
import time
import uuid

import amplitude
import amplitude.constants
from amplitude import Amplitude, BaseEvent, Config, EventOptions, Identify, Revenue

API_KEY = "0123456789abcdef0123456789abcdef"
base = sys.argv[1].rstrip("/")


def server_url(path):
    """The server_url option: the proxy's URL, or none (the SDK's default) with `default`."""
    return {} if base == "default" else {"server_url": base + path}

lock = threading.Lock()
phase = {"name": "httpapi"}
sent = []
called = {"n": 0}


def emit(obj):
    with lock:
        sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
        sys.stdout.flush()


def callback(event, code, message=None):
    with lock:
        called["n"] += 1
    emit({
        "kind": "callback",
        "phase": phase["name"],
        "event_type": event.event_type,
        "user_id": event.user_id,
        "device_id": event.device_id,
        "insert_id": event.insert_id,
        "code": code,
        "message": message,
    })


def remember(event):
    # The SDK fills insert_id in a plugin; set it here so the test can match callbacks to the store.
    event.insert_id = str(uuid.uuid4())
    sent.append({"phase": phase["name"], "event_type": event.event_type, "insert_id": event.insert_id,
                 "user_id": event.user_id})
    return event


def settle(client, timeout=60.0):
    """Flushes until every sent event has had its callback (the SDK resends events of a rejected
    request after a short delay, and shutdown() alone does not wait for those retries)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        client.flush()
        with lock:
            if called["n"] >= len(sent):
                return True
        time.sleep(0.2)
    return False


logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

# Phase 1: the HTTP V2 API. A large queue so the short-id event shares a request with others.
config = Config(**server_url("/2/httpapi"), flush_queue_size=300, flush_interval_millis=2_000,
                callback=callback)
client = Amplitude(API_KEY, config)

for i in range(250):
    client.track(remember(BaseEvent(event_type="Bulk Event", user_id="user-bulk-0001", device_id="device-bulk-0001",
                                    event_properties={"i": i, "name": "bulk", "tags": ["a", "b"]})))

# A user id shorter than Amplitude's minimum (5): the request is answered 400 with
# events_with_invalid_id_lengths, the SDK reports that one event and resends the rest.
client.track(remember(BaseEvent(event_type="Short Id Event", user_id="abc")))

# identify with every operation (one name per operation: the SDK allows each name once).
ident = Identify()
ident.set("plan", "pro")
ident.set_once("first_seen", "2026-11-22")
ident.add("logins", 1)
ident.append("tags", "beta")
ident.prepend("history", "first")
ident.pre_insert("badges", "early")
ident.post_insert("badges_late", "late")
ident.remove("old_tags", "alpha")
ident.unset("legacy_flag")
opts = EventOptions(user_id="user-ident-0001", device_id="device-ident-0001", insert_id=str(uuid.uuid4()))
sent.append({"phase": "httpapi", "event_type": "$identify", "insert_id": opts.insert_id, "user_id": opts.user_id})
client.identify(ident, opts)

clear = Identify()
clear.clear_all()
opts2 = EventOptions(user_id="user-ident-0002", insert_id=str(uuid.uuid4()))
sent.append({"phase": "httpapi", "event_type": "$identify", "insert_id": opts2.insert_id, "user_id": opts2.user_id})
client.identify(clear, opts2)

# group identify
gid = Identify()
gid.set("size", 50)
gid.set_once("founded", "2001")
gopts = EventOptions(user_id="user-group-0001", insert_id=str(uuid.uuid4()))
sent.append({"phase": "httpapi", "event_type": "$groupidentify", "insert_id": gopts.insert_id, "user_id": gopts.user_id})
client.group_identify("org", "acme", gid, gopts)

# revenue
rev = Revenue(price=9.99, quantity=2, product_id="sku-42", revenue_type="purchase", currency="EUR")
ropts = EventOptions(user_id="user-rev-0001", insert_id=str(uuid.uuid4()))
sent.append({"phase": "httpapi", "event_type": "revenue_amount", "insert_id": ropts.insert_id, "user_id": ropts.user_id})
client.revenue(rev, ropts)

settled = settle(client)
client.shutdown()

# Phase 2: the Batch API.
phase["name"] = "batch"
bconfig = Config(**server_url("/batch"), use_batch=True, flush_queue_size=50, flush_interval_millis=2_000,
                 callback=callback)
bclient = Amplitude(API_KEY, bconfig)
for i in range(5):
    bclient.track(remember(BaseEvent(event_type="Batch Event", user_id="user-batch-0001", event_properties={"i": i})))
settled = settle(bclient) and settled
bclient.shutdown()

emit({"kind": "done", "settled": settled, "sent": sent, "sdk": amplitude.constants.SDK_VERSION})
