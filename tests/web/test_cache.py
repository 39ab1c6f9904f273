from parley.web.cache import RenderCache


def test_renders_once_per_key_and_forgets_the_least_recent():
    cache = RenderCache(max_entries=2)
    calls = []

    def render(text):
        def make():
            calls.append(text)
            return text.encode()
        return make

    assert cache.get_or_render("a", render("a")).body == b"a"
    assert cache.get_or_render("a", render("a2")).body == b"a"
    cache.get_or_render("b", render("b"))
    cache.get_or_render("a", render("a3"))  # a is now the most recent
    cache.get_or_render("c", render("c"))  # so b goes
    cache.get_or_render("b", render("b2"))
    assert calls == ["a", "b", "c", "b2"]


def test_bounded_by_bytes():
    cache = RenderCache(max_entries=100, max_bytes=50_000)
    for i in range(10):
        cache.get_or_render(i, lambda i=i: bytes([i]) * 20_000)
    assert cache._bytes <= 50_000
    assert cache.get_or_render(9, lambda: b"new").body == bytes([9]) * 20_000


def test_etag_and_gzip_follow_the_body():
    cache = RenderCache()
    a = cache.get_or_render("a", lambda: b"x" * 1000)
    b = cache.get_or_render("b", lambda: b"y" * 1000)
    assert a.etag != b.etag and len(a.gzipped) < 100


def test_concurrent_misses_render_once_and_share_it():
    import threading
    import time

    cache = RenderCache()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return b"thread"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_render("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 8 and {r.body for r in results} == {b"thread"}


def test_a_failed_render_lets_the_next_reader_try():
    import pytest

    cache = RenderCache()

    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get_or_render("k", broken)
    assert cache.peek("k") is None
    assert cache.get_or_render("k", lambda: b"ok").body == b"ok"


def test_gzip_is_sent_only_where_accepted():
    from parley.web.responses import accepts_gzip

    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("br;q=1.0, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0") and not accepts_gzip("identity") and not accepts_gzip("")
