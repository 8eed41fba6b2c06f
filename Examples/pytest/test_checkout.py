"""An end-to-end test in the style a QA suite would write: the app (here the official Amplitude
Python SDK, PyPI amplitude-analytics) sends its events to ampscope, and the test asserts on what
was sent, through ampscope's API, against the tracking plan (Tests/Fixtures/plans/checkout.yaml).

Run: AMPSCOPE_URL=http://127.0.0.1:8787 pytest Examples/pytest   (proxy started with --plan), or
     AMPSCOPE_BIN=.build/debug/ampscope AMPSCOPE_PLAN=Tests/Fixtures/plans/checkout.yaml pytest Examples/pytest
"""
from amplitude import Amplitude, BaseEvent, Config, Identify, EventOptions

API_KEY = "0123456789abcdef0123456789abcdef"


def make_client(ampscope):
    # The app under test points its Amplitude SDK at ampscope instead of api2.amplitude.com.
    return Amplitude(API_KEY, Config(server_url=ampscope.base + "/2/httpapi", flush_queue_size=10, flush_interval_millis=200))


def checkout(client, user, currency="EUR"):
    """The app's checkout flow (what a UI test would drive by tapping buttons)."""
    client.track(BaseEvent("Checkout Started", user_id=user, device_id="device-" + user,
                           event_properties={"cart_value": 42.5, "currency": currency, "item_count": 2}))
    client.track(BaseEvent("Order Completed", user_id=user, device_id="device-" + user,
                           event_properties={"order_id": "ord-1001", "total": 42.5, "payment": "card"}))
    identify = Identify().set("plan", "pro")
    client.identify(identify, EventOptions(user_id=user, device_id="device-" + user))
    client.flush()


def rules(event):
    return {f["rule"] for f in event["findings"]}


def problems(event):
    """Plan findings and errors (what would fail a release gate)."""
    return [f for f in event["findings"] if f["rule"].startswith("plan-") or f["severity"] == "error"]


def test_checkout_sends_what_the_plan_says(ampscope):
    client = make_client(ampscope)
    checkout(client, "user-checkout-1")

    started = ampscope.wait('type="Checkout Started"')[0]
    assert started["event"]["event_properties"]["currency"] == "EUR"
    assert started["answer"]["status"] == 200
    assert problems(started) == []

    order = ampscope.wait('type="Order Completed" prop.order_id=ord-1001')[0]
    assert order["event"]["user_id"] == "user-checkout-1"
    assert problems(order) == []

    ampscope.wait("type=$identify")
    coverage = ampscope.coverage()
    seen = {e["name"]: e for e in coverage["events"]}
    assert seen["Checkout Started"]["valid"] == 1
    assert seen["Order Completed"]["valid"] == 1
    client.shutdown()


def test_a_wrong_currency_breaks_the_plan(ampscope):
    client = make_client(ampscope)
    checkout(client, "user-checkout-2", currency="eur")

    started = ampscope.wait('type="Checkout Started"')[0]
    assert "plan-not-in-enum" in rules(started)
    # Isolation: the first test's events were reset away.
    assert len(ampscope.events('type="Checkout Started"')) == 1
    assert ampscope.events("rule=plan-not-in-enum")[0]["event"]["user_id"] == "user-checkout-2"
    client.shutdown()
