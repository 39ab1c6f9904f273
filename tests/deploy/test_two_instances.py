"""Two `parley serve` processes on PostgreSQL and Redis behind a real nginx: a comment
posted through one reaches a live reader of the other, a reader flooding through both is
limited once, and killing one instance with SIGKILL loses no acknowledged comment."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from parley.domain import Actor
from parley.service import Services
from parley.store import open_store
from tests.conftest import TEST_SECRET, make_config
from tests.deploy.cluster import Cluster, client
from tests.redis_fixtures import REDIS_URL, redis_client, redis_prefix  # noqa: F401 (a fixture)
from tests.web.sse import Reader

RATE_LIMIT = 5


@pytest.fixture
def cluster(tmp_path, postgres_url, redis_prefix):  # noqa: F811
    redis_client().close()  # Redis answers (or the test fails saying so)
    with Cluster(tmp_path, postgres_url, REDIS_URL, redis_prefix, rate_limit=RATE_LIMIT,
                 live_heartbeat_seconds=2) as running:
        store = open_store(postgres_url)
        Services(store, make_config(), secret=TEST_SECRET.encode()).stories.create(
            Actor.system("tests"), {"slug": "s", "title": "A story"})
        running.database_url = postgres_url
        yield running
        store.close()


def _post(http, body: str, name: str):
    return http.post("/api/v1/stories/s/comments", json={"author_name": name, "body": body}, timeout=30)


def test_a_comment_posted_through_one_instance_reaches_a_reader_on_the_other(cluster):
    a, b = cluster.instances
    with Reader(f"{b.url}/api/v1/stories/s/events") as on_b, \
            Reader(f"{cluster.url}/api/v1/stories/s/events") as through_nginx, client(a.url) as to_a:
        assert on_b.status == through_nginx.status == 200
        posted = _post(to_a, "Posted on A", "Ann")
        assert posted.status_code == 201, posted.text
        for reader in (on_b, through_nginx):
            event = reader.next(timeout=10)
            assert event["event"] == "comment" and event["data"]["id"] == posted.json()["id"]
            assert "Posted on A" in event["data"]["html"]
        last = event["id"]
    # Nobody listening while three more land on A; a reader coming back through nginx
    # (to either instance) with its Last-Event-ID gets exactly those, from the database.
    with client(a.url) as to_a:
        missed = [_post(to_a, f"While away {i}", f"Cy {i}").json()["id"] for i in range(3)]
    for target in (cluster.url, b.url):
        with Reader(f"{target}/api/v1/stories/s/events", headers={"Last-Event-ID": last}) as back:
            assert [back.next(timeout=10)["data"]["id"] for _ in missed] == missed
            assert back.nothing_for(1.0)


def test_a_reader_flooding_through_both_instances_is_limited_once(cluster):
    answers, upstreams = [], set()
    with client(cluster.url, source="127.0.0.5") as http:
        for i in range(3 * RATE_LIMIT):
            # A made-up X-Forwarded-For is overwritten by nginx: it buys no fresh address.
            r = http.post("/api/v1/stories/s/comments", json={"author_name": f"Flood {i}", "body": f"Again {i}"},
                          headers={"X-Forwarded-For": f"198.51.100.{i}"})
            answers.append(r.status_code)
            upstreams.add(r.headers.get("x-upstream"))
    assert len(upstreams) == 2, f"nginx used {upstreams}"
    assert answers.count(201) == RATE_LIMIT, answers
    assert answers[RATE_LIMIT:] == [429] * (2 * RATE_LIMIT)
    # Another reader (another address) is not held back by the first one's flood.
    with client(cluster.url, source="127.0.0.6") as other:
        assert _post(other, "Someone else", "Bea").status_code == 201


def test_killing_an_instance_loses_no_acknowledged_comment(cluster):
    killed = cluster.instances[0]
    acknowledged: list[tuple[int, str]] = []  # (comment id, the instance that answered)
    refused: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer(n: int) -> None:
        # Each post from an address of its own (127.1.n.i), so that rate limits never
        # answer: every refusal here is the kill's.
        i = 0
        while not stop.is_set():
            i += 1
            try:
                with client(cluster.url, source=f"127.1.{n}.{i % 250 + 1}") as http:
                    r = _post(http, f"Writer {n}, comment {i}", f"Writer {n}-{i}")
            except Exception as exc:
                with lock:
                    refused.append(type(exc).__name__)
                continue
            with lock:
                if r.status_code == 201:
                    acknowledged.append((r.json()["id"], r.headers.get("x-upstream", "")))
                else:
                    refused.append(str(r.status_code))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    killed.kill()  # SIGKILL, with writes under way
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(30)
    by_killed = [cid for cid, upstream in acknowledged if upstream.endswith(f":{killed.port}")]
    assert by_killed, "the killed instance had acknowledged nothing: the test proves nothing"
    with psycopg.connect(cluster.database_url) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM comments")}
    lost = sorted({cid for cid, _ in acknowledged} - stored)
    assert lost == [], f"acknowledged but lost: {lost}"
    # The survivor keeps serving, through nginx.
    with client(cluster.url, source="127.0.0.7") as http:
        answers = [_post(http, f"After the kill {i}", f"Late {i}") for i in range(3)]
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert {r.headers.get("x-upstream") for r in answers} == {f"127.0.0.1:{cluster.instances[1].port}"}
    print(f"acknowledged {len(acknowledged)} ({len(by_killed)} by the killed instance), refused {len(refused)}: "
          f"{sorted(set(refused))}")
