"""The engine's error types. Each is NumPy's kind of error and PyTorch's at once (Python allows both bases), so code
written for either catches it: ``except ValueError`` and ``except RuntimeError`` both catch a shape mismatch, as
``except IndexError`` catches an axis out of range in both libraries. Every message names the op and the shapes or
values involved."""


class ArgumentError(ValueError, RuntimeError):
    """An op's arguments do not fit: shapes that do not match or broadcast, a value out of its range (NumPy raises
    ValueError there, PyTorch RuntimeError)."""


class AxisError(IndexError, ValueError):
    """An axis (dim) out of range for a tensor's number of dimensions (PyTorch raises IndexError, NumPy's own
    AxisError is a ValueError and an IndexError too)."""


class DTypeError(TypeError, RuntimeError):
    """A dtype an op cannot take, or operands whose dtypes must match and do not (PyTorch raises RuntimeError,
    NumPy TypeError)."""
