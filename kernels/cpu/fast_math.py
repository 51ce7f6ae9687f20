"""exp and erfc that LLVM can vectorise, for the float32 kernels.

Numba compiles ``math.exp(x)`` to a call of the C library's scalar exp: a loop around it runs one element at a
time (2.7 ns each here), four times slower than NumPy's own SIMD exp. ``fast_exp`` is written in arithmetic only, so
the loops that call it become AVX loops:

    exp(x) = 2^k exp(r),   k = round(x / ln 2),   r = x - k ln 2 in [-ln2/2, ln2/2]

with ln 2 split in two constants (Cody and Waite: k ln2_hi is exact, so r loses no bits), exp(r) Cephes' degree-7
polynomial (relative error ~6e-8, under 1 ulp of float32) and 2^k built directly as the float's exponent bits. x is
clamped to [-87, 88] first (exp(-87) ~ 1.6e-38 stands in for 0: the kernels add it to sums of at least 1). float64
arguments call ``math.exp`` (accurate; float64 is not the speed target). ``fast_erfc`` is Numerical Recipes'
Chebyshev fit erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), relative error < 1.2e-7 for every z >= 0 (no
cancellation in the tail, where Phi(x) for x << 0 is tiny), through ``fast_exp``.

``FASTMATH`` lets LLVM reorder sums and fuse multiply-adds (so reductions vectorise: rounding changes by a few
ulp); it leaves out the flags that assume no NaN and no inf, which the kernels test for and must keep.

Numba's cache keys a kernel on its own file: after editing this one, delete ``kernels/cpu/__pycache__/*.nb*``
(the kernels that inline these functions would otherwise load their old machine code)."""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from . import pool

pool.start()  # before any kernel loads from the cache (loading a parallel kernel launches Numba's threads)

FASTMATH = {"reassoc", "contract", "arcp"}  # safe: reorder, fuse, reciprocal; never 'nnan' / 'ninf'
# error_model="numpy": a float division by 0 gives inf as in NumPy, instead of Python's ZeroDivisionError, whose
# test in every division keeps LLVM from vectorising the loop (8x slower, measured on erfc32's 1 / (1 + z/2)).
JIT = dict(parallel=True, cache=True, fastmath=FASTMATH, error_model="numpy")
INLINE = dict(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")  # inlined where called


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float32 whose bits are the int32 ``bits`` (one LLVM bitcast: no memory, vectorises)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@njit(**INLINE)
def exp32(x):
    """exp of a float32 in arithmetic only (see the module docstring)."""
    x = min(max(x, np.float32(-87.0)), np.float32(88.0))
    k = np.floor(x * np.float32(1.4426950408889634) + np.float32(0.5))  # a float32 (math.floor gives an int64)
    r = x - k * np.float32(0.693359375) + k * np.float32(2.12194440e-4)  # r = x - k ln 2, ln 2 in two parts
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    return p * _float_from_bits((np.int32(k) + np.int32(127)) << np.int32(23))


def fast_exp(x):
    """exp(x): ``exp32`` for float32, ``math.exp`` otherwise (chosen when Numba compiles the caller)."""
    return math.exp(x)


@overload(fast_exp, inline="always")
def _fast_exp(x):
    if x == types.float32:
        return lambda x: exp32(x)
    return lambda x: math.exp(x)


@njit(**INLINE)
def erfc32(z):
    """erfc of a float32 z >= 0 by Numerical Recipes' fit (relative error < 1.2e-7), exp by ``exp32``."""
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.5) * z)
    p = np.float32(0.17087277)
    p = p * t + np.float32(-0.82215223)
    p = p * t + np.float32(1.48851587)
    p = p * t + np.float32(-1.13520398)
    p = p * t + np.float32(0.27886807)
    p = p * t + np.float32(-0.18628806)
    p = p * t + np.float32(0.09678418)
    p = p * t + np.float32(0.37409196)
    p = p * t + np.float32(1.00002368)
    p = p * t + np.float32(-1.26551223)
    return t * exp32(p - z * z)


def fast_erfc(z):
    """erfc(z) for z >= 0: ``erfc32`` for float32, ``math.erfc`` otherwise."""
    return math.erfc(z)


@overload(fast_erfc, inline="always")
def _fast_erfc(z):
    if z == types.float32:
        return lambda z: erfc32(z)
    return lambda z: math.erfc(z)


def like(v, ref):
    """v as a number of ref's type (a float32 kernel then stays in float32; Python's floats are float64)."""
    return v


@overload(like, inline="always")
def _like(v, ref):
    if ref == types.float32:
        return lambda v, ref: np.float32(v)
    return lambda v, ref: np.float64(v)
