"""Sends a little real SDK traffic (official PyPI amplitude-analytics) to ampscope for the
terminal-UI end-to-end test: two good events, one with a 3-character user id, one identify.

Usage: python tui_traffic.py BASE_URL    (e.g. http://127.0.0.1:8787)
Prints one JSON line per SDK callback, then {"kind": "done"}.
"""
import json
import sys
import threading
import time

from amplitude import Amplitude, BaseEvent, Config, EventOptions, Identify

base = sys.argv[1].rstrip("/")
lock = threading.Lock()
results = []


def callback(event, code, message=None):
    with lock:
        results.append(event.event_type)
        print(json.dumps({"kind": "callback", "event_type": event.event_type, "user_id": event.user_id,
                          "code": code, "message": message}), flush=True)


client = Amplitude("0123456789abcdef0123456789abcdef",
                   Config(server_url=base + "/2/httpapi", callback=callback, flush_interval_millis=500, flush_max_retries=2))
client.track(BaseEvent("Signup Completed", user_id="user-12345", event_properties={"plan": "pro", "seats": 3}))
client.track(BaseEvent("Too Short", user_id="abc"))
client.track(BaseEvent("Page Viewed", user_id="user-67890", event_properties={"path": "/pricing"}))
identify = Identify()
identify.set("plan", "pro")
identify.add("logins", 1)
client.identify(identify, EventOptions(user_id="user-12345"))
client.flush()
deadline = time.time() + 30
while time.time() < deadline:
    with lock:
        if len(results) >= 4:
            break
    time.sleep(0.1)
client.shutdown()
print(json.dumps({"kind": "done", "callbacks": len(results)}), flush=True)
