"""A short run of each benchmark, so they keep working (their figures are not judged here)."""

from tests.bench import history, live_fanout, sign_in_burst
from tests.conftest import PostgresServer


def test_sign_in_burst_benchmark_runs(postgres: PostgresServer) -> None:
    report = sign_in_burst.run(seconds=0.3, signers=2, admin_url=postgres.admin_url)
    for figures in report["results"].values():
        assert figures["idle"]["pages_per_s"] > 0
        assert figures["burst"]["sign_ins_per_s"] > 0
        assert figures["rss_mib"] > 0
    sign_in_burst.print_table(report)


def test_live_fanout_benchmark_runs(postgres: PostgresServer) -> None:
    report = live_fanout.run([5], rounds=1, post_seconds=0.3, admin_url=postgres.admin_url)
    assert report["service"][5]["max_ms"] > 0
    assert report["floor"][5]["max_ms"] > 0
    assert report["posts_per_s_with_notify"] > 0
    assert report["posts_per_s_without_notify"] > 0
    live_fanout.print_table(report)


def test_history_benchmark_runs(postgres: PostgresServer) -> None:
    report = history.run(
        messages=2000, users=10, seconds=1, concurrency=4, admin_url=postgres.admin_url
    )
    for by_connections in report["results"].values():
        for row in by_connections.values():
            assert row["service"]["requests_per_s"] > 0
            assert row["floor"]["requests_per_s"] > 0
            assert row["service"]["errors"] == 0
    assert report["seed_seconds"] > 0
    history.print_table(report)
