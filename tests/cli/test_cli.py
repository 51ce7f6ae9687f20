"""``tgg`` itself: the subcommand table, --version, unknown commands, and errors as one line."""
import subprocess
import sys

import pytest

import tinygrad_gen as tg
from tinygrad_gen import cli


def test_version_prints_the_package_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tgg (tinygrad_gen) {tg.__version__}"


def test_unknown_command_is_one_clear_line_and_exit_2(capsys):
    assert cli.main(["trian"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown command 'trian'" in err
    assert all(name in err for name in cli.COMMANDS)


def test_help_lists_every_command_and_no_arguments_is_an_error(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name}" in out for name in cli.COMMANDS)
    assert cli.main([]) == 2


def test_every_subcommand_module_has_a_main():
    import importlib
    for name, (module, _) in cli.COMMANDS.items():
        assert callable(importlib.import_module(f"tinygrad_gen.cli.{module}").main), name


def test_an_error_inside_a_command_prints_one_line_and_exits_1(capsys, monkeypatch):
    monkeypatch.delenv("TGG_DEBUG", raising=False)

    def broken(argv):
        raise FileNotFoundError("no such file 'x.txt'")
    assert cli.run_command("tgg demo", broken, []) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tgg demo: FileNotFoundError: no such file 'x.txt'")


def test_tgg_debug_shows_the_traceback_instead(monkeypatch):
    monkeypatch.setenv("TGG_DEBUG", "1")

    def broken(argv):
        raise FileNotFoundError("x")
    with pytest.raises(FileNotFoundError):
        cli.run_command("tgg demo", broken, [])


def test_ctrl_c_exits_130_with_one_line(capsys, monkeypatch):
    monkeypatch.delenv("TGG_DEBUG", raising=False)

    def interrupted(argv):
        raise KeyboardInterrupt
    assert cli.run_command("tgg demo", interrupted, []) == 130
    assert capsys.readouterr().err == "tgg demo: interrupted\n"


def test_python_dash_m_runs_the_same_command_line():
    result = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("tgg (tinygrad_gen) ")


def test_bench_names_its_benchmarks_and_refuses_an_unknown_one(capsys):
    from tinygrad_gen.cli import bench
    assert cli.main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in bench.BENCHMARKS)
    assert cli.main(["bench", "nosuch"]) == 2
    assert "unknown benchmark 'nosuch'" in capsys.readouterr().err


def test_every_subcommands_option_errors_are_one_line(capsys):
    for argv in (["gradcheck", "--nope"], ["explain"], ["train", "logreg", "--nope"], ["sample", "logreg"]):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err, argv
