"""Sends a few calls with Segment's Python library (segment-analytics-python) to ampscope,
for the terminal UI's Segment lane check. Usage: segment_tui.py http://127.0.0.1:PORT"""
import sys

import segment.analytics as analytics

analytics.write_key = "wk_tui_0001"
analytics.host = sys.argv[1]
analytics.sync_mode = True
failures = []
analytics.on_error = lambda error, items: failures.append(str(error))

analytics.track("user-00001", "Checkout Started", {"cart_id": "c-1", "value": 30})
analytics.identify("u1", {"plan": "pro"})
analytics.flush()
if failures:
    print("errors:", failures)
    sys.exit(1)
print("sent")
