"""``klmle bench``: runs, prints only JSON with --json, refuses unknown sections.

What it measures is not asserted here (timings belong to the bench, not to tests)."""

from __future__ import annotations

import json

from toolkit.cli import main


def test_bench_json_is_the_whole_stdout(capsys):
    skip = "peers,scaling,user_model,demo"
    assert main(["bench", "--json", "--skip", skip]) == 0
    out, err = capsys.readouterr()
    figures = json.loads(out)  # nothing but the JSON document on stdout
    assert "about" in err and "minutes" in err  # says how long it takes, on stderr
    assert set(figures) == {"machine", "refit"}
    refit = figures["refit"]
    assert refit["compare_speedup"] == refit["pm_find_map_s"] / refit["compare_s"]
    assert refit["mle_refit_s"] > 0 and figures["machine"]["cores"] >= 1


def test_bench_refuses_unknown_sections(capsys):
    assert main(["bench", "--skip", "refit,warp"]) == 2  # a usage error, as argparse
    assert "warp" in capsys.readouterr().err
