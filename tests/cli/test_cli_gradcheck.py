"""``tgg gradcheck``: the built-in table passes; a user's file with a wrong backward fails with status 1 and names
the element."""
import subprocess
import sys
import textwrap

import pytest

from tinygrad_gen.cli import gradcheck as gradcheck_cli
from tinygrad_gen.op_cases import all_cases

USER_FILE = textwrap.dedent('''
    import numpy as np
    import tinygrad_gen as tg


    class Square(tg.Function):
        """y = x^2.  backward: dx = 2 x g."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x  # wrong: the factor 2 is missing


    class Scale(tg.Function):
        """y = a x.  backward: dx = a g, da = sum(x g)."""
        @staticmethod
        def example_inputs():
            return np.linspace(-1, 1, 6).reshape(2, 3), np.array(1.5)

        @staticmethod
        def forward(ctx, x, a):
            ctx.save_for_backward(x, a)
            return a * x

        @staticmethod
        def backward(ctx, g):
            x, a = ctx.saved_tensors
            return g * a, (g * x).sum()
''')


def write(tmp_path, text=USER_FILE):
    path = tmp_path / "my_ops.py"
    path.write_text(text)
    return str(path)


def test_builtin_ops_all_pass_and_each_gets_a_row(capsys):
    assert gradcheck_cli.main([]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["op", "inputs", "max", "abs", "err", "max", "rel", "err", "pass"]
    names = [c.name for c in all_cases()]
    rows = {line.split()[0]: line for line in lines[1:1 + len(names)]}
    assert sorted(rows) == sorted(names)
    assert all(row.rstrip().endswith("ok") for row in rows.values())
    assert f"{len(names)} of {len(names)} passed" in out


def test_a_user_file_with_a_wrong_backward_fails_and_names_the_element(tmp_path, capsys):
    assert gradcheck_cli.main([write(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert any(line.startswith("Square") and line.rstrip().endswith("FAIL") for line in out.splitlines())
    assert any(line.startswith("Scale") and "(2, 3), ()" in line and line.rstrip().endswith("ok")
               for line in out.splitlines())
    assert "FAIL Square: gradient mismatch for input 0 (shape (3, 4)) at element (" in out
    assert "1 of 2 passed" in out


def test_op_option_selects_one_function(tmp_path, capsys):
    assert gradcheck_cli.main([write(tmp_path), "--op", "Scale"]) == 0
    out = capsys.readouterr().out
    assert "Scale" in out and "Square" not in out


def test_a_backward_that_crashes_is_a_failed_row(tmp_path, capsys):
    text = USER_FILE.replace("return g * x  # wrong", "return (g * x).sum(axis=0)  # wrong")
    assert gradcheck_cli.main([write(tmp_path, text), "--op", "Square"]) == 1
    assert "FAIL Square: RuntimeError" in capsys.readouterr().out


def test_tgg_command_exits_with_status_1_on_the_wrong_backward(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli", "gradcheck", write(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "numerical" in result.stdout and "analytical" in result.stdout


def test_an_unknown_op_name_is_refused_with_the_known_ones():
    with pytest.raises(SystemExit, match="unknown op no_such_op; known: .*matmul"):
        gradcheck_cli.main(["--op", "no_such_op"])


def test_a_file_without_functions_is_refused(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("x = 1\n")
    with pytest.raises(SystemExit, match="defines no subclass of tinygrad_gen.Function"):
        gradcheck_cli.main([str(path)])
