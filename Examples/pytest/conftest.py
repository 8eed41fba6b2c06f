"""pytest fixtures for asserting on analytics through ampscope's test-suite API (Docs/api.md).

`ampscope` gives each test a clean slate (POST /ampscope/reset) and helpers that wait for events
(GET /ampscope/wait) instead of sleeping. The proxy is the one at $AMPSCOPE_URL (for example
started by CI with `ampscope proxy --plan plan.yaml`); without it, one is started here from
$AMPSCOPE_BIN (default: `ampscope` on PATH) with the plan in $AMPSCOPE_PLAN, and stopped at the end.
Only the standard library is used besides pytest.
"""
import json
import os
import re
import subprocess
import urllib.parse
import urllib.request

import pytest


class Ampscope:
    def __init__(self, base, token=None):
        self.base = base.rstrip("/")
        self.token = token

    def _request(self, method, path, params=None, timeout=30):
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:  # 408 from /wait carries the events seen so far
            return e.code, json.loads(e.read())

    def reset(self):
        status, body = self._request("POST", "/ampscope/reset")
        assert status == 200, body

    def events(self, filter=""):
        status, body = self._request("GET", "/ampscope/events", {"filter": filter, "limit": 1000})
        assert status == 200, body
        return body["events"]

    def wait(self, filter="", count=1, timeout=20):
        """The first `count` events matching `filter`, once they arrived; fails after `timeout` s."""
        status, body = self._request("GET", "/ampscope/wait", {"filter": filter, "count": count, "timeout": timeout},
                                     timeout=timeout + 10)
        assert status == 200, f"only {body.get('count')} of {count} events matching {filter!r} arrived in {timeout}s"
        return body["events"]

    def coverage(self):
        status, body = self._request("GET", "/ampscope/coverage")
        assert status == 200, body
        return body


@pytest.fixture(scope="session")
def ampscope_server():
    url = os.environ.get("AMPSCOPE_URL")
    if url:
        yield Ampscope(url, os.environ.get("AMPSCOPE_TOKEN"))
        return
    args = [os.environ.get("AMPSCOPE_BIN", "ampscope"), "proxy", "--listen", "127.0.0.1:0", "--quiet"]
    if os.environ.get("AMPSCOPE_PLAN"):
        args += ["--plan", os.environ["AMPSCOPE_PLAN"]]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        base = None
        for line in proc.stderr:  # the banner names the bound address
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                base = m.group(1)
                break
        assert base, "ampscope proxy did not start"
        yield Ampscope(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def ampscope(ampscope_server):
    """The API, reset before the test: events of earlier tests never leak into this one."""
    ampscope_server.reset()
    return ampscope_server
