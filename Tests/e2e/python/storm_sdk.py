"""Sends 1 000 events with the official Amplitude Python SDK (PyPI amplitude-analytics) through an
ampscope proxy while a storm of malformed requests hits the same proxy
(Tests/AmpscopeAppTests/ProxyStormTests.swift).

Usage: python storm_sdk.py BASE_URL
Prints one JSON object: {"sent": [insert ids], "codes": {"200": n, ...}, "settled": bool}.
"""
import json
import sys
import threading
import time
import uuid

from amplitude import Amplitude, BaseEvent, Config

API_KEY = "0123456789abcdef0123456789abcdef"
base = sys.argv[1].rstrip("/")
lock = threading.Lock()
codes = {}
answered = set()
sent = []


def callback(event, code, message=None):
    with lock:
        codes[str(code)] = codes.get(str(code), 0) + 1
        answered.add(event.insert_id)


config = Config(server_url=base + "/2/httpapi", flush_queue_size=20, flush_interval_millis=200, callback=callback)
client = Amplitude(API_KEY, config)
for i in range(1000):
    e = BaseEvent(event_type="Storm Survivor", user_id="user-storm-%04d" % (i % 50), device_id="device-storm-0001",
                  event_properties={"i": i, "text": "x" * (i % 200)})
    e.insert_id = str(uuid.uuid4())
    sent.append(e.insert_id)
    client.track(e)
    if i % 100 == 99:
        time.sleep(0.1)

deadline = time.time() + 120
settled = False
while time.time() < deadline:
    client.flush()
    with lock:
        if len(answered) >= len(sent):
            settled = True
            break
    time.sleep(0.2)
client.shutdown()
print(json.dumps({"sent": sent, "codes": codes, "settled": settled}))
