"""Tables a person can read at 80 columns: nothing wraps a word letter by letter, wider shows more."""

from __future__ import annotations

import re

import pytest

from massgen_plugins.cli.output import Col, plan
from tests.synthetic_runs import KINDS, write_every_kind, write_run

LONG = ("Compare three strategies for caching in a distributed web service and recommend one, "
        "with the trade-offs of each")


@pytest.fixture
def base(home):
    base = home / "logs"
    write_every_kind(base)
    write_run(base, "log_20260201_120000_000000", question=LONG,
              agents=("agent_a", "agent_b", "agent_c", "agent_d", "agent_e"))
    return base


def lines(result):
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_logs_list_fits_80_columns_with_the_question_legible(cli, base):
    out = lines(cli("logs", "list", "--logs-dir", str(base), "--limit", "20",
                    env={"COLUMNS": "80"}))
    assert all(len(line) <= 80 for line in out), max(out, key=len)
    header = out[1]
    assert header.split() == ["Run", "Question", "Outcome", "Turns", "Winner", "Cost"]
    row = next(line for line in out if line.startswith("20260201_120000"))
    question = re.search(r"(Compare three.*?…)", row).group(1)
    assert len(question) >= 20 and LONG.startswith(question[:-1])
    assert len(out) == 3 + len(KINDS) + 1, "one line per session: nothing wraps"


def test_wider_terminals_show_more(cli, base):
    out = lines(cli("logs", "list", "--logs-dir", str(base), env={"COLUMNS": "200"}))
    assert out[1].split() == ["Run", "Question", "Outcome", "Turns", "Winner", "Cost", "Time",
                              "Tokens", "Agents", "Report"]
    assert LONG[:90] in "\n".join(out) and "log_20260201_120000_000000" in out[3]
    assert all(len(line) <= 200 for line in out)


def test_the_short_name_logs_list_shows_is_taken_back(cli, base):
    out = lines(cli("logs", "summary", "20260201_120000", "--logs-dir", str(base)))
    assert out[0].startswith("Run         log_20260201_120000_000000")
    result = cli("logs", "summary", "2026010", "--logs-dir", str(base))
    assert result.returncode == 2 and "names 10 runs" in result.stderr


def test_every_summary_fits_80_columns(cli, base):
    for name in sorted(p.name for p in base.iterdir()):
        out = lines(cli("logs", "summary", name, "--logs-dir", str(base), "--all-votes",
                        env={"COLUMNS": "80"}))
        assert all(len(line) <= 80 for line in out), (name, max(out, key=len))
        assert not any(re.search(r"\b\w{1,5}\n\w", line) for line in out)


def test_five_agents_in_the_agents_table_at_80_columns(cli, base):
    out = lines(cli("logs", "summary", "log_20260201_120000_000000", "--logs-dir", str(base),
                    env={"COLUMNS": "80"}))
    table = out[[line.rstrip() for line in out].index("Agents") + 1:]
    assert table[0].split()[:4] == ["Agent", "End", "Answers", "Voted"]
    assert [line.split()[0] for line in table[2:7]] == [f"agent_{x}" for x in "abcde"]


def test_plan_drops_the_least_important_columns_first_and_keeps_the_flexible_one_legible():
    cols = [Col("Run"), Col("Question", flex=True, min=20, want=40), Col("Outcome"),
            Col("Tokens", drop=6), Col("Report", drop=7)]
    rows = [["20260101_120000", "q" * 90, "interrupted", "3.0k/300", "no"]]
    # An extra column gives way to the question wanting 40; at 60, to its 20 first.
    assert plan(cols, rows, 80) == [(0, 15), (1, 40), (2, 11), (3, 8)]
    assert plan(cols, rows, 60) == [(0, 15), (1, 30), (2, 11)]
    # A column that is no extra stays: the question keeps only its minimum.
    assert plan([*cols[:3], Col("Tokens", drop=1)], rows, 60) == [(0, 15), (1, 20), (2, 11),
                                                                  (3, 8)]
    assert plan(cols, rows, 200) == [(0, 15), (1, 90), (2, 11), (3, 8), (4, 6)]
