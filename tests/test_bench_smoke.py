"""A short run of each benchmark, so they keep working (their figures are not judged here)."""

from tests.bench import sign_in_burst
from tests.conftest import PostgresServer


def test_sign_in_burst_benchmark_runs(postgres: PostgresServer) -> None:
    report = sign_in_burst.run(seconds=0.3, signers=2, admin_url=postgres.admin_url)
    for figures in report["results"].values():
        assert figures["idle"]["pages_per_s"] > 0
        assert figures["burst"]["sign_ins_per_s"] > 0
        assert figures["rss_mib"] > 0
    sign_in_burst.print_table(report)
