"""Local fakes of the Rakuten and Yahoo item APIs: real HTTP servers on 127.0.0.1.

Built from the shapes in ../shared/reference/supplier-apis.md (auth, errors, quota answers),
seeded from a small in-memory catalogue, for tests, benches and ``stockguard demo``::

    with FakeRakuten(demo_rakuten_items(), [app], clock) as fake:
        api = RakutenItemApi(credentials, http=client, clock=clock, base_url=fake.base_url)
"""

from stockguard.doubles.apis.rakuten import FakeRakuten, FakeRakutenApp, FakeRakutenItem
from stockguard.doubles.apis.rakuten import demo_items as demo_rakuten_items
from stockguard.doubles.apis.server import FAULTS, FakeApiServer
from stockguard.doubles.apis.yahoo import FakeYahoo, FakeYahooItem
from stockguard.doubles.apis.yahoo import demo_items as demo_yahoo_items

__all__ = [
    "FAULTS",
    "FakeApiServer",
    "FakeRakuten",
    "FakeRakutenApp",
    "FakeRakutenItem",
    "FakeYahoo",
    "FakeYahooItem",
    "demo_rakuten_items",
    "demo_yahoo_items",
]
