"""Local fakes of the Rakuten and Yahoo item APIs: real HTTP servers on 127.0.0.1."""
