"""Test harness for what runs in other processes: the app served by `convrec ui` in a
process of its own (so it can be killed, restarted or run twice), and the shared engines
(Postgres, a Chroma server) the tests start themselves on loopback."""
