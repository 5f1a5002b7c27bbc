"""The web benchmark drives the real app end to end and keeps the solver's figures in the same file."""
from brokerage import bench


def test_bench_measures_every_page_and_keeps_the_solver_section(tmp_path, capsys):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Solver benchmarks\n\nsolver table\n\n## Machine\n\nsolver machine\n", encoding="utf-8")

    assert bench.main(["--participants", "50", "--time-limit", "2", "--markdown", str(doc)]) == 0

    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Solver benchmarks\n\nsolver table\n\n## Machine\n\nsolver machine\n")
    assert text.count(bench.SECTION) == 1
    for what in ("organiser dashboard", "apply the run's timetable", "publish (the request)",
                 "agenda of the busiest participant", "availability grid"):
        assert f"| {what} |" in text
    assert "| publish (the request) |" in capsys.readouterr().out
    # Mails really went out: one per participant with a meeting.
    row = next(line for line in text.splitlines() if line.startswith("| publish: mails"))
    assert int(row.split("|")[-2].split()[0]) > 0

    # A second run replaces its own section, nothing else.
    assert bench.main(["--participants", "50", "--time-limit", "2", "--markdown", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8").count(bench.SECTION) == 1


def test_bench_refuses_a_size_the_generator_cannot_build(capsys):
    assert bench.main(["--participants", "10"]) == 2
    assert "participants must be between" in capsys.readouterr().err
