import json
from types import SimpleNamespace

import pytest
from bench.__main__ import discover, main, merge, read_results, run_modules, select_modules, write_results


def test_merge_keeps_figures_of_modules_not_run_and_overwrites_the_rest():
    previous = {
        "screening_p95_ms": 4.2,
        "demo_load_orders_per_s_sqlite": 900.0,
        "machine": "old",
        "date": "2020-01-01",
    }

    merged = merge(
        previous, {"demo_load_orders_per_s_sqlite": 1200.0}, machine="box", date="2026-03-01T12:00:00+00:00"
    )

    assert merged == {
        "demo_load_orders_per_s_sqlite": 1200.0,
        "screening_p95_ms": 4.2,
        "machine": "box",
        "date": "2026-03-01T12:00:00+00:00",
    }


def test_results_round_trip_as_one_flat_object(tmp_path):
    path = tmp_path / "results" / "latest.json"
    write_results(path, merge({}, {"a_per_s": 1.5}, machine="box", date="d"))

    assert read_results(path) == {"a_per_s": 1.5, "machine": "box", "date": "d"}
    assert not list(path.parent.glob("*.tmp"))


def test_read_results_tolerates_missing_or_broken_file(tmp_path):
    broken = tmp_path / "latest.json"
    broken.write_text("{not json")

    assert read_results(tmp_path / "absent.json") == {}
    assert read_results(broken) == {}


def test_discover_finds_bench_modules_by_short_name(tmp_path):
    for name in ("bench_demo.py", "bench_screening.py", "helpers.py", "__main__.py"):
        (tmp_path / name).write_text("")

    assert discover(tmp_path) == ["demo", "screening"]


def test_select_modules_takes_short_or_file_names_and_refuses_unknown_ones():
    available = ["demo", "screening"]

    assert select_modules(available, []) == available
    assert select_modules(available, ["bench_screening.py", "demo", "demo"]) == ["screening", "demo"]
    with pytest.raises(SystemExit):
        select_modules(available, ["nope"])


def test_run_modules_passes_quick_and_collects_figures():
    seen = []

    def load(name):
        def run(quick=False):
            seen.append((name, quick))
            return {f"{name}_per_s": 10.0}

        return SimpleNamespace(run=run)

    figures = run_modules(["a", "b"], quick=True, load=load, log=lambda _: None)

    assert figures == {"a_per_s": 10.0, "b_per_s": 10.0}
    assert seen == [("a", True), ("b", True)]


def test_run_modules_refuses_non_numbers_and_repeated_names():
    def returning(result):
        return lambda name: SimpleNamespace(run=lambda quick=False: result)

    with pytest.raises(TypeError):
        run_modules(["a"], quick=False, load=returning({"x": "fast"}), log=lambda _: None)
    with pytest.raises(ValueError):
        run_modules(["a", "b"], quick=False, load=returning({"x": 1.0}), log=lambda _: None)


def test_main_merges_a_run_into_the_results_file(tmp_path, monkeypatch):
    import bench.__main__ as harness

    results = tmp_path / "latest.json"
    results.write_text(json.dumps({"other_ms": 3.0, "machine": "old", "date": "old"}))
    monkeypatch.setattr(harness, "discover", lambda: ["fake"])
    monkeypatch.setattr(harness, "run_modules", lambda names, quick: {"fake_per_s": 2.0 if quick else 1.0})

    main(["fake", "--quick", "--results", str(results)])

    written = json.loads(results.read_text())
    assert (written["fake_per_s"], written["other_ms"]) == (2.0, 3.0)
    assert written["machine"] != "old" and written["date"] != "old"


def test_main_keeps_a_finished_modules_figures_when_a_later_module_fails(tmp_path, monkeypatch):
    import bench.__main__ as harness

    results = tmp_path / "latest.json"
    monkeypatch.setattr(harness, "discover", lambda: ["first", "second"])

    def run(names, quick):  # noqa: ANN001, ANN202
        if names == ["second"]:
            raise RuntimeError("stopped")
        return {"first_per_s": 5.0}

    monkeypatch.setattr(harness, "run_modules", run)

    with pytest.raises(RuntimeError):
        main(["first", "second", "--results", str(results)])

    assert json.loads(results.read_text())["first_per_s"] == 5.0
