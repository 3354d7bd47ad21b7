"""The Python package, installed from its wheel in a fresh virtual environment, on real data
(the shared datasets; scripts/test sets SYNTHGATE_DATASETS and SYNTHGATE_BIN, the CLI built
from the same sources, for the same-bytes checks)."""

from __future__ import annotations

import _thread
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import synthgate as sg

REPO = Path(__file__).resolve().parents[3]
DATASETS = Path(os.environ.get("SYNTHGATE_DATASETS", REPO.parent / "shared" / "datasets"))
ADULT = DATASETS / "adult" / "data.csv"
NHEFS = REPO / "examples" / "nhefs"
CLI = os.environ.get("SYNTHGATE_BIN", "synthgate")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([CLI, *args, "--quiet"], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return sg.read_table(ADULT, na=["?"])


@pytest.fixture(scope="module")
def adult_parts(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame) -> dict:
    """Adult cut into a train part (8,000 rows) and a holdout part (3,000 rows), written as
    CSV by Synthgate's writer, with a model fitted on the train part by the CLI."""
    folder = tmp_path_factory.mktemp("adult")
    paths = {"train": folder / "train.csv", "holdout": folder / "holdout.csv"}
    sg.write_table(adult.iloc[:8000], paths["train"])
    sg.write_table(adult.iloc[8000:11000], paths["holdout"])
    paths["folder"] = folder
    return paths


# ---------------------------------------------------------------------------------------------
# Tables, models, samples.


def test_read_table_infers_the_cli_types_and_keeps_the_missing_tokens(adult: pd.DataFrame) -> None:
    assert len(adult) == 32561
    assert str(adult["age"].dtype) == "int64[pyarrow]"
    assert str(adult["workclass"].dtype) == "string[pyarrow]"
    assert adult["workclass"].isna().sum() == 1836  # the '?' cells
    assert "?" in adult.attrs["synthgate.na_tokens"]
    as_arrow = sg.read_table(ADULT, na=["?"], to="pyarrow")
    assert isinstance(as_arrow, pa.Table) and as_arrow.num_rows == 32561
    assert isinstance(sg.read_table(ADULT, na=["?"], to="polars"), pl.DataFrame)


def test_a_model_and_its_samples_are_the_clis_bytes(tmp_path: Path, adult_parts: dict) -> None:
    train = adult_parts["train"]
    cli("fit", str(train), "--seed", "7", "--out", str(tmp_path / "cli.json"))
    cli("sample", str(tmp_path / "cli.json"), "--rows", "3000", "--seed", "1", "--out", str(tmp_path / "cli.parquet"))
    cli("sample", str(tmp_path / "cli.json"), "--rows", "3000", "--seed", "1", "--out", str(tmp_path / "cli.csv"))

    model = sg.fit(sg.read_table(train), seed=7)
    model.save(tmp_path / "py.json")
    synth = model.sample(3000, seed=1)
    sg.write_table(synth, tmp_path / "py.parquet")
    sg.write_table(synth, tmp_path / "py.csv")
    for name in ["json", "parquet", "csv"]:
        assert (tmp_path / f"py.{name}").read_bytes() == (tmp_path / f"cli.{name}").read_bytes(), name

    # A model file the CLI wrote samples the same rows in Python, and the other way round.
    loaded = sg.load_model(tmp_path / "cli.json")
    sg.write_table(loaded.sample(3000, seed=1), tmp_path / "loaded.csv")
    assert (tmp_path / "loaded.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    cli("sample", str(tmp_path / "py.json"), "--rows", "3000", "--seed", "1", "--out", str(tmp_path / "back.csv"))
    assert (tmp_path / "back.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()


def test_the_same_table_in_pandas_polars_and_pyarrow_gives_the_same_rows(tmp_path: Path) -> None:
    # Adult's complete rows read by pandas itself: its types are those the CLI infers, so the
    # samples are value-identical to the CLI's.
    plain = pd.read_csv(ADULT, na_values=["?"]).dropna().iloc[:6000].reset_index(drop=True)
    plain.to_csv(tmp_path / "complete.csv", index=False)
    cli("fit", str(tmp_path / "complete.csv"), "--seed", "3", "--out", str(tmp_path / "m.json"))
    cli("sample", str(tmp_path / "m.json"), "--rows", "500", "--seed", "2", "--out", str(tmp_path / "cli.csv"))
    expected = pd.read_csv(tmp_path / "cli.csv")

    frames = {
        "pandas": plain,
        "polars": pl.from_pandas(plain),
        "pyarrow": pa.Table.from_pandas(plain, preserve_index=False),
    }
    for kind, frame in frames.items():
        synth = sg.fit(frame, seed=3).sample(500, seed=2)
        assert sg._kind(synth) == kind, type(synth)
        as_pandas = synth if kind == "pandas" else (synth.to_pandas() if kind == "pyarrow" else synth.to_pandas())
        as_pandas = pd.DataFrame({c: as_pandas[c].to_numpy(dtype=object) for c in as_pandas.columns})
        reference = pd.DataFrame({c: expected[c].to_numpy(dtype=object) for c in expected.columns})
        pd.testing.assert_frame_equal(as_pandas, reference, check_dtype=False, obj=kind)


def test_where_fixes_a_column_and_a_model_round_trips(tmp_path: Path, adult: pd.DataFrame) -> None:
    model = sg.fit(adult.iloc[:5000], seed=1, params={"min_leaf": 50})
    women = model.sample(400, seed=4, where={"sex": "Female"})
    assert set(women["sex"].dropna()) == {"Female"} and len(women) == 400
    model.save(tmp_path / "m.json")
    again = sg.load_model(tmp_path / "m.json")
    pd.testing.assert_frame_equal(again.sample(300, seed=9), model.sample(300, seed=9))
    assert again.synthesizer == "cart" and again.training_rows == 5000
    with pytest.raises(sg.UsageError, match="exists"):
        model.save(tmp_path / "m.json")
    assert "[[columns]]" in model.schema.to_toml()


def test_a_profiled_schema_is_editable_and_used(tmp_path: Path, adult: pd.DataFrame) -> None:
    schema = sg.profile(adult.iloc[:3000])
    assert 'name = "age"' in schema.to_toml()
    schema.save(tmp_path / "adult.schema.toml")
    loaded = sg.Schema.load(tmp_path / "adult.schema.toml")
    assert loaded == schema
    model = sg.fit(adult.iloc[:3000], schema=loaded, seed=2)
    assert model.schema.to_toml().count("[[columns]]") == schema.to_toml().count("[[columns]]")


# ---------------------------------------------------------------------------------------------
# Evaluation.


def test_evaluate_gives_the_clis_metrics_and_displays_as_html(tmp_path: Path, adult_parts: dict) -> None:
    train, holdout = adult_parts["train"], adult_parts["holdout"]
    model = sg.fit(sg.read_table(train), seed=5)
    synth = model.sample(8000, seed=5)
    sg.write_table(synth, tmp_path / "synthetic.csv")
    cli(
        "evaluate", "--train", str(train), "--holdout", str(holdout), "--synthetic", str(tmp_path / "synthetic.csv"),
        "--target", "income", "--sensitive", "sex", "--resamples", "10", "--attacks", "300",
        "--out", str(tmp_path / "cli-report"),
    )
    expected = json.loads((tmp_path / "cli-report" / "report.json").read_text())

    # attacks as the CLI's --attacks (the default 2000 would give other risks).
    report = sg.evaluate(
        sg.read_table(train), sg.read_table(holdout), sg.read_table(tmp_path / "synthetic.csv"),
        target="income", sensitive=["sex"], resamples=10, attacks=300,
    )
    assert report.data["metrics"] == expected["metrics"]
    with pytest.raises(sg.UsageError, match="attacks must be a whole number of at least 100, not 50"):
        sg.evaluate(sg.read_table(train), sg.read_table(holdout), sg.read_table(train), attacks=50)
    assert report.data["warnings"] == expected["warnings"]
    shapes = report["fidelity.column_shapes"]
    assert 0.9 < shapes.value <= 1 and shapes.ci[0] <= shapes.value <= shapes.ci[1]
    assert shapes.holdout_reference is not None and shapes.status in {"good", "watch", "poor"}
    table = report.to_pandas()
    assert list(table["id"]) == [m["id"] for m in expected["metrics"]]
    # Jupyter shows a report as the HTML report, the one report.html holds.
    html = report._repr_html_()
    assert html.lstrip().lower().startswith("<!doctype html") and "fidelity.column_shapes" in html
    for metric in expected["metrics"]:
        assert metric["id"] in html
    report.save_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text() == html
    with pytest.raises(KeyError, match="no metric 'fidelity.nope'"):
        report["fidelity.nope"]


# ---------------------------------------------------------------------------------------------
# Errors: one class per kind, with the place named.


def test_each_error_kind_is_its_own_exception(tmp_path: Path, adult: pd.DataFrame) -> None:
    for kind in [sg.UsageError, sg.InputError, sg.SpecError, sg.GateFailed, sg.VerificationFailed,
                 sg.EnvironmentFailed, sg.InternalError]:
        assert issubclass(kind, sg.SynthgateError)
    with pytest.raises(sg.UsageError, match="no synthesizer called 'nope'"):
        sg.fit(adult.iloc[:100], synthesizer="nope")
    with pytest.raises(sg.UsageError, match="rows must be"):
        sg.fit(adult.iloc[:2000]).sample(0)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(sg.InputError, match=r"ragged\.csv.*row"):
        sg.read_table(ragged)
    with pytest.raises(sg.InputError, match="does not exist"):
        sg.read_table(tmp_path / "missing.csv")
    with pytest.raises(sg.SpecError):
        sg.fit(adult.iloc[:100], schema="[[columns]]\nname = 3\n")
    with pytest.raises(sg.EnvironmentFailed):
        sg.write_table(adult.iloc[:10], tmp_path / "no" / "such" / "folder" / "x.csv")
    with pytest.raises(sg.UsageError, match="expected a pandas, polars or pyarrow table"):
        sg.fit([1, 2, 3])


# ---------------------------------------------------------------------------------------------
# Governed releases.


def nhefs_spec(folder: Path, extra: str = "") -> Path:
    text = (NHEFS / "pipeline.toml").read_text().replace('path = "data.csv"', f'path = "{NHEFS / "data.csv"}"')
    text = text.replace('sensitive = ["sex", "race"]', 'sensitive = ["sex", "race"]\nresamples = 10')
    spec = folder / "pipeline.toml"
    spec.write_text(text + "\n" + extra)
    return spec


def test_run_verify_approve_and_the_registry(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    key = tmp_path / "dpo.key"
    fingerprint = sg.keygen(key, home=home)["fingerprint"]
    spec = nhefs_spec(tmp_path, f'[[policy.approvers]]\nrole = "dpo"\nkeys = ["{fingerprint}"]\n')
    release = sg.run(spec, out=tmp_path / "bundle", home=home, progress=False)
    assert release.releasable and release["synthetic_rows"] > 1000
    found = sg.verify(tmp_path / "bundle", reproduce=True, home=home)
    assert found["verification"]["reproduced"] is True and found["status"] == "pending"
    approval = sg.approve(tmp_path / "bundle", role="dpo", key=key, comment="ok", home=home)
    assert approval["registered"] is True
    assert sg.verify(tmp_path / "bundle", require_approved=True, home=home)["status"] == "approved"
    rows = sg.registry.list(home=home)
    assert len(rows) == 1
    shown = sg.registry.show(rows[0]["id"], home=home)
    assert json.dumps(shown)
    assert len(sg.registry.lineage(rows[0]["source_sha256"][:12], home=home)) == 1
    drift = sg.drift(tmp_path / "bundle", NHEFS / "data.csv", home=home)
    assert "columns" in drift
    assert sg.audit_verify(home=home)
    assert any(s["name"] == "cart" and s["default"] for s in sg.synthesizers())

    # Tampering is caught.
    data = tmp_path / "bundle" / "data" / "synthetic.parquet"
    data.write_bytes(data.read_bytes() + b"x")
    with pytest.raises(sg.VerificationFailed, match="synthetic.parquet"):
        sg.verify(tmp_path / "bundle", home=home)


def test_a_failing_gate_raises_with_the_bundle_written(tmp_path: Path) -> None:
    spec = nhefs_spec(tmp_path, '[[policy.gates]]\nmetric = "fidelity.column_shapes"\nmin = 1.01\n')
    with pytest.raises(sg.GateFailed, match="fidelity.column_shapes") as caught:
        sg.run(spec, out=tmp_path / "bundle", home=tmp_path / "ws", progress=False)
    assert caught.value.release["releasable"] is False
    assert (tmp_path / "bundle" / "manifest.json").exists()
    release = sg.run(spec, out=tmp_path / "bundle", force=True, home=tmp_path / "ws", check=False, progress=False)
    assert release.releasable is False


# ---------------------------------------------------------------------------------------------
# Interruption and progress.


def test_ctrl_c_stops_a_run_promptly_and_nothing_is_written(tmp_path: Path) -> None:
    adult_example = (REPO / "examples" / "adult" / "pipeline.toml").read_text()
    spec = tmp_path / "adult.toml"
    spec.write_text(adult_example.replace('path = "../../../shared/datasets/adult/data.csv"', f'path = "{ADULT}"'))
    bundle = tmp_path / "bundle"
    # Python's own Ctrl-C handler, as in an interactive session (a process started in the
    # background, as CI starts the tests, inherits SIGINT ignored, and interrupt_main then does
    # nothing).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sg.run(spec, out=bundle, home=tmp_path / "ws", progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    stopped = time.monotonic() - started
    assert stopped < 3.0, f"returned after {stopped:.1f} s"
    # The request, told to stop, writes nothing, even once it has finished stopping (without
    # the stop it would write the bundle: the broken twin of this test fails here).
    sg._wait_for_stopping()
    assert not bundle.exists()
    assert not any(p.name.endswith(".synthgate-tmp") for p in tmp_path.rglob("*"))


def test_a_stopped_pipeline_stops_at_its_next_step(tmp_path: Path) -> None:
    # A run told to stop as its evaluation's first step starts stops there, hearing no further
    # step, and writes nothing (a pipeline that checked only after its evaluation would go on
    # through every remaining step to "deciding the gates").
    adult_example = (REPO / "examples" / "adult" / "pipeline.toml").read_text()
    spec = tmp_path / "adult.toml"
    spec.write_text(adult_example.replace('path = "../../../shared/datasets/adult/data.csv"', f'path = "{ADULT}"'))
    bundle = tmp_path / "bundle"
    token = sg._native.CancelToken()
    steps: list = []

    def hear(step: str) -> None:
        steps.append(step)
        if step == "evaluating: column shapes":
            token.cancel()

    request = json.dumps({"spec": str(spec), "out": str(bundle), "force": False, "operator_key": None})
    with pytest.raises(sg.UsageError, match="cancelled; nothing was written"):
        sg._native.call("run", request, str(tmp_path / "ws"), hear, token)
    assert steps[-1] == "evaluating: column shapes", steps
    assert not bundle.exists()


def test_a_bug_is_an_internal_error_not_a_panic() -> None:
    # A panic inside a request (the probe panics as a bug would) is an InternalError, which
    # `except Exception` and `except sg.SynthgateError` catch; PyO3's own PanicException
    # derives from BaseException and would escape both.
    with pytest.raises(sg.InternalError, match="bug in Synthgate"):
        sg._native._internal_error_probe()


def test_progress_shows_one_line_rewritten_in_place(capfd: pytest.CaptureFixture, adult: pd.DataFrame) -> None:
    sg.fit(adult.iloc[:2000], seed=1, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert err.startswith("\rsynthgate: ") and err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert "fitting cart" in err and " s]" in err


def test_progress_goes_to_a_callable_and_nothing_prints_otherwise(capfd: pytest.CaptureFixture, adult: pd.DataFrame) -> None:
    steps: list = []
    sg.fit(adult.iloc[:2000], seed=1, progress=steps.append)
    assert any(step.startswith("fitting cart") for step in steps), steps
    sg.fit(adult.iloc[:2000], seed=1)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_independent_calls_from_threads_give_the_same_results(adult: pd.DataFrame) -> None:
    part = adult.iloc[:4000]
    results: list = [None] * 4

    def work(slot: int) -> None:
        results[slot] = sg.fit(part, seed=11).sample(500, seed=slot % 2).to_numpy(dtype=object).tolist()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[2] and results[1] == results[3] and results[0] != results[1]


def test_the_readme_quick_start_runs_as_written(tmp_path: Path) -> None:
    # The README's Python quick start, in a fresh interpreter of this virtual environment, from
    # a scratch folder (its one path, to the shared datasets, pointed at where they are here).
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Python"):]
    code = section[section.index("```python\n") + len("```python\n"):]
    code = code[: code.index("```")]
    assert "sg.fit(" in code and "sg.evaluate(" in code
    code = code.replace('"../shared/datasets/', f'"{DATASETS}/')
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    value, low, high = map(float, result.stdout.replace("(", " ").replace(")", " ").replace(",", " ").split())
    assert 0.9 < low <= value <= high <= 1.0, result.stdout
    assert (tmp_path / "adult.model.json").exists()


def test_the_wheel_installs_the_command_line(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "synthgate"
    assert script.exists(), script
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("synthgate "), version
    bad = subprocess.run([str(script), "fit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m.json")],
                         capture_output=True, text=True)
    assert bad.returncode == 3 and "does not exist" in bad.stderr, bad.stderr
    usage = subprocess.run([str(script), "fit", "--no-such-flag"], capture_output=True, text=True)
    assert usage.returncode == 2, usage


# ---------------------------------------------------------------------------------------------
# Migrating from SDV: its metadata as a schema.

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_sdv_metadata_of_adult_reads_as_the_schema_profiling_gives(adult: pd.DataFrame) -> None:
    # SDV 2.0's own metadata of Adult (bench/sdv_metadata.py), in both of its forms.
    for name in ["sdv_metadata_adult.json", "sdv_table_metadata_adult.json"]:
        schema = sg.Schema.from_sdv_metadata(FIXTURES / name, data=adult)
        profiled = sg.profile(adult)
        for column in profiled.columns:
            ours = schema.column(column["name"])
            assert ours["storage"] == column["storage"], column["name"]
            assert ours["role"] == column["role"], column["name"]
            expected = "categorical" if column["semantic"] == "ordinal_code" else column["semantic"]
            assert ours["semantic"] in {expected, column["semantic"]}, (column["name"], ours, column)
        assert schema.column("workclass").get("missing_token") == "?"
        model = sg.fit(adult.iloc[:4000], schema=schema, seed=1)
        assert len(model.sample(200, seed=1)) == 200
    # Editable, and checked when used.
    schema.column("age")["role"] = "sensitive"
    assert 'role = "sensitive"' in schema.to_toml()
    assert sg.Schema.from_toml(schema.to_toml()) == schema
    schema.column("age")["storage"] = "no-such-type"
    with pytest.raises(sg.SpecError):
        schema.to_toml()


def test_sdv_metadata_with_datetimes_identifiers_and_pii(tmp_path: Path) -> None:
    weather = pd.read_csv(DATASETS / "nycflights13_weather" / "data.csv").iloc[:3000]
    schema = sg.Schema.from_sdv_metadata(FIXTURES / "sdv_metadata_weather.json", data=weather)
    assert schema.column("time_hour")["storage"] == "timestamp_utc"
    assert schema.column("time_hour")["semantic"] == "datetime"
    synth = sg.fit(weather, schema=schema, seed=2).sample(100, seed=2)
    assert str(synth["time_hour"].dtype).startswith("timestamp[us, tz=UTC]")

    # SDV 1.x's single-table form, without data: representation, primary key, PII, dates.
    legacy = {
        "METADATA_SPEC_VERSION": "SINGLE_TABLE_V1",
        "primary_key": "user_id",
        "columns": {
            "user_id": {"sdtype": "id", "regex_format": "U[0-9]{6}"},
            "age": {"sdtype": "numerical", "computer_representation": "Int64"},
            "income": {"sdtype": "numerical", "computer_representation": "Float"},
            "email": {"sdtype": "email", "pii": True},
            "plan": {"sdtype": "categorical"},
            "active": {"sdtype": "boolean"},
            "signup": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
            "last_seen": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"},
        },
    }
    schema = sg.Schema.from_sdv_metadata(legacy)
    got = {c["name"]: (c["storage"], c["semantic"], c["role"]) for c in schema.columns}
    assert got == {
        "user_id": ("string", "identifier", "direct_identifier"),
        "age": ("int64", "integer", "none"),
        "income": ("float64", "continuous", "none"),
        "email": ("string", "identifier", "direct_identifier"),
        "plan": ("string", "categorical", "none"),
        "active": ("boolean", "boolean", "none"),
        "signup": ("date", "date", "none"),
        "last_seen": ("timestamp", "datetime", "none"),
    }
    with pytest.raises(sg.SpecError, match="sdtype 'unknown_kind'"):
        sg.Schema.from_sdv_metadata({"columns": {"x": {"sdtype": "unknown_kind"}}})
    with pytest.raises(sg.UsageError, match="name one with table="):
        sg.Schema.from_sdv_metadata({"tables": {"a": {"columns": {}}, "b": {"columns": {}}}})


# ---------------------------------------------------------------------------------------------
# Generation with a real language model (scripts/test starts llama.cpp's server with Gemma 3
# 270M and sets SYNTHGATE_LLM_BASE_URL and SYNTHGATE_LLM_MODEL before this suite runs).


def test_generate_writes_records_from_a_real_model(tmp_path: Path) -> None:
    url, model = os.environ.get("SYNTHGATE_LLM_BASE_URL"), os.environ.get("SYNTHGATE_LLM_MODEL")
    assert url and model, (
        "the generate test needs a running model server: run the suite with scripts/test, which "
        "starts one and sets SYNTHGATE_LLM_BASE_URL and SYNTHGATE_LLM_MODEL"
    )
    text = (REPO / "examples" / "llm" / "generate.toml").read_text()
    text = text.replace('base_url = "http://127.0.0.1:18080"', f'base_url = "{url}"')
    text = text.replace('model = "gemma-3-270m"', f'model = "{model}"').replace("records = 20", "records = 4")
    assert f'base_url = "{url}"' in text and "records = 4" in text
    spec = tmp_path / "generate.toml"
    spec.write_text(text)
    outcome = sg.generate(spec, out=tmp_path / "visits.csv", progress=False)
    summary = outcome["summary"]
    assert summary["records_requested"] == 4 and summary["responses"] >= 1
    assert Path(outcome["log"]).exists()
    if summary["records_produced"]:
        visits = sg.read_table(tmp_path / "visits.csv")
        assert len(visits) == summary["records_produced"]
    # The log replays: the same run again from it asks the model nothing new.
    again = sg.generate(spec, out=tmp_path / "visits.csv", resume=True, progress=False)
    assert again["summary"]["records_produced"] == summary["records_produced"]


def test_the_privacy_budget_and_a_trust_root(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    # A differentially private release (examples/nhefs-dp, ε = 2 of a budget of 6) spends
    # from its dataset's budget, and the registry says so.
    release = sg.run(REPO / "examples" / "nhefs-dp" / "pipeline.toml", out=tmp_path / "dp", home=home,
                     check=False, progress=False)
    assert release["synthetic_rows"] > 0
    budget = sg.registry.budget("nhefs", home=home)
    assert len(budget["rows"]) == 1 and budget["rho"] > 0
    assert budget["budget_epsilon"] == 6.0 and 0 < budget["left_epsilon"] < 6.0

    # Without a trust root the operator is not authenticated; with its fingerprint it is;
    # a trust root that names another key makes an approval check fail.
    plain = sg.verify(tmp_path / "dp", trust_registry=False, home=home)
    assert plain["verification"]["trusted_by"] == []
    operator = plain["verification"]["operator_fingerprint"]
    trusted = sg.verify(tmp_path / "dp", trust_operators=[operator], trust_registry=False, home=home)
    assert trusted["verification"]["trusted_by"] != []
    with pytest.raises(sg.VerificationFailed):
        sg.verify(tmp_path / "dp", require_approved=True, trust_operators=["0" * 64], trust_registry=False, home=home)
