"""Drives Segment's Python library (PyPI segment-analytics-python 2.4.0) against an ampscope proxy.

Usage: python segment_scenario.py BASE_URL
  BASE_URL: the proxy, e.g. http://127.0.0.1:8787

Sends every call type, an Order Completed with products, gzip-compressed batches of several
calls, and a call with no ids (which the library refuses, so it is posted with the library's own
request function). Prints one JSON object on stdout with what the library saw; the Swift test
(Tests/AmpscopeAppTests/ProxySegmentSDKTests.swift) compares it with the store.
"""
import json
import sys

from segment.analytics import Client
from segment.analytics.request import post
from segment.analytics.version import VERSION

WRITE_KEY = "wk_python_0001"
base = sys.argv[1].rstrip("/")
errors = []


def on_error(error, batch):
    errors.append({"error": str(error), "calls": len(batch)})


out = {"kind": "done", "version": VERSION}

plain = Client(WRITE_KEY, host=base, on_error=on_error, upload_size=10, upload_interval=0.2, max_retries=1)
plain.identify("user-00001", {"plan": "pro", "email": "ada@example.com"})
plain.track("user-00001", "Song Played", {"song": "So What"},
            context={"page": {"referrer": "https://news.example/"}, "campaign": {"source": "newsletter"}})
plain.page("user-00001", "Docs", "Home", {"path": "/docs"})
plain.screen("user-00001", name="Settings")
plain.group("user-00001", "g-00001", {"name": "Acme", "employees": 50})
plain.alias("anon-00001", "user-00001")
plain.track("user-00001", "Order Completed", {
    "order_id": "o-1", "revenue": 30,
    "products": [{"productId": "p1", "price": 10, "quantity": 2}, {"productId": "p2", "price": 5, "quantity": 2}],
})
plain.flush()

zipped = Client(WRITE_KEY, host=base, on_error=on_error, gzip=True, upload_size=5, upload_interval=0.2, max_retries=1)
for i in range(12):
    zipped.track(anonymous_id="anon-%05d" % i, event="Bulk Event", properties={"i": i})
zipped.flush()

try:
    plain.track(event="No Ids", properties={})
    out["no_ids_refused"] = False
except AssertionError:
    out["no_ids_refused"] = True
res = post(WRITE_KEY, host=base, batch=[{"type": "track", "event": "No Ids", "properties": {},
                                         "messageId": "no-ids-1", "timestamp": "2026-12-05T21:00:00.000Z"}])
out["no_ids_status"] = res.status_code
out["no_ids_body"] = res.json()
out["errors"] = errors
sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
