"""Convolution's input gradient by faster lowerings: the same numbers as the plain col2im(gy @ W), computed
without (most of) col2im's scatter. conv2d's input gradient and conv_transpose2d's forward are the same map, so one
trick serves both, registered as two fast paths: ``FastConvNd`` (ConvNd whose backward computes dx this way) and
``FastConvTransposeNd`` (ConvTransposeNd whose forward does). ``TGG_KERNELS=ConvNd=reference`` or
``ConvTransposeNd=reference`` turns either off; ``reference`` both.

The plain map (ops/conv.py) is gy @ W, then col2im: kh * kw strided adds of (N, Ho, Wo, C) slabs onto the padded
image. The two other lowerings compute it as convolutions (one im2col copy and one matrix product each), which
write every pixel of dx once:

- "flipped", stride 1: dx[c, y] = sum_{o,i} w[o, c, i] gy[o, y + p - i d] is a plain convolution of gy with the
  kernel turned by 180 degrees and its in and out channels swapped (per group), padding d (k - 1) - p. Chosen when
  its im2col is no bigger than col2im's scatter (O <= C), and always with groups (col2im's grouped scatter is slow).
- "phases", stride s > 1 (dilation 1, one group, O <= C): the outputs y with the same y mod s (a phase) are reached
  by the same kernel taps, so dx is s * s stride-1 convolutions, one per phase, each of gy with those taps flipped.
- "col2im" everywhere else (O > C, dilation or groups at stride > 1, an output_padding at stride 1).

Measured, float32, one thread, CPU time, median of 21 (AMD EPYC, OpenBLAS; time of ``input_grad`` / time of the
plain ``conv_input_grad`` on the same arrays): "flipped" 0.55-0.80x without groups (32x128x16x16 -> 64 and
32x128x32x32 -> 128, k3 p1), 0.38-0.52x with groups 4 and 64 (depthwise); "phases" 0.51-0.83x (k4 s2 p1 and
k3 s2 p1 on 8x8 to 32x32 images, 64-128 channels). Earlier A/B runs: commit f428250 (flipped: stride-1
conv_transpose2d forward 0.64-0.81x, conv2d forward + backward 0.95x) and 30a0d57 (phases: 0.68-0.89x; within
+-3 % on an Intel AVX-512 machine, benchmarks/RESULTS.md, issue 15).
"""
from __future__ import annotations

from ... import dispatch
from ...backend import xp_of
from ...dispatch import register_fast_path
from ..conv import ConvNd, ConvTransposeNd, add_bias, conv_forward, conv_input_grad, hw, image, like_input
from ..windows import nhwc_padded, windows_nhwc


def _flipped(w, groups):
    """(O, Cg, *kernel) -> (C, Og, *kernel): each group's in and out channels swapped and the kernel turned by 180
    degrees (reversed along every spatial axis), the weight of the convolution that a stride-1 transposed
    convolution is."""
    o, cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
    w = w.reshape((groups, o // groups, cg) + kernel).transpose((0, 2, 1) + tuple(range(3, w.ndim + 1)))
    w = w.reshape((groups * cg, o // groups) + kernel)
    return xp_of(w).ascontiguousarray(w[(slice(None), slice(None)) + (slice(None, None, -1),) * len(kernel)])


def lowering(gy_shape, w_shape, geom, in_hw) -> str:
    """Which lowering computes the input gradient of gy (N, O, Ho, Wo) with w (O, Cg, kh, kw) onto (H, W) = in_hw
    (or one axis more, conv3d's: "flipped" where it fits, else "col2im"):

    - "flipped": stride 1, no output_padding (the extra row would need padding on one side only) and padding at
      most d (k - 1); then dx is a plain convolution with padding d (k - 1) - p. As measured on one core, chosen
      only where the im2col of gy is no bigger than col2im's scatter (O <= C) or with groups;
    - "phases": stride > 1, dilation 1, one group, O <= C (the same measured rule);
    - "col2im": everywhere else (the plain op's lowering)."""
    stride, padding, dilation, groups = geom
    o, cg = gy_shape[1], w_shape[1]
    fewer_outputs = o <= cg * groups
    if all(s == 1 for s in stride):
        fits = all(p <= d * (k - 1) and n == m + d * (k - 1) - 2 * p for p, d, k, n, m in
                   zip(padding, dilation, w_shape[2:], in_hw, gy_shape[2:]))
        return "flipped" if fits and (groups > 1 or fewer_outputs) else "col2im"
    return "phases" if dilation == (1, 1) and groups == 1 and fewer_outputs and len(stride) == 2 else "col2im"


def _phases(k, s, p, n, m):
    """Along one axis of a stride-s transposed convolution (kernel k, padding p, input length m = Ho, output length
    n = H): for each phase rho < s, (the first output y0 of that phase, how many, the taps rho, rho + s, ... that
    reach it, the first of the m inputs its window starts at). Output y sits at Y = y + p on the stride-s grid,
    and only the taps i = Y mod s (+ s t) land on it, from input u - t where Y = s u + i0: a stride-1 sum."""
    out = []
    for rho in range(s):
        y0 = (rho - p) % s
        taps = len(range(rho, k, s))
        u0 = (y0 + p - rho) // s
        out.append((y0, len(range(y0, n, s)), rho, taps, u0 - taps + 1))
    return out


def _phase_input_grad(gy, w, geom, in_hw):
    """The input gradient at stride s > 1 (dilation 1, one group) as s * s stride-1 convolutions, one per output
    phase (y mod s, x mod s), each of gy with the kernel taps that reach that phase, turned by 180 degrees. Every
    output pixel is written once, by one matmul, instead of being summed from kh * kw strided slabs (col2im):
    the im2col copies here cost as much as the forward's, and no scatter-add remains."""
    stride, padding, _, _ = geom
    n, o, ho, wo = gy.shape
    c = w.shape[1]
    rows, cols = (_phases(k, s, p, size, m) for k, s, p, size, m in zip(w.shape[2:], stride, padding, in_hw, (ho, wo)))
    lo = [max([0] + [-start for *_, taps, start in axis if taps]) for axis in (rows, cols)]
    hi = [max([0] + [start + cnt + taps - 1 - m for _, cnt, _, taps, start in axis if taps])
          for axis, m in zip((rows, cols), (ho, wo))]
    pad = (max(lo[0], hi[0]), max(lo[1], hi[1]))
    gp = nhwc_padded(gy, *pad)
    xp = xp_of(gy)
    every_phase_reached = all(t for axis in (rows, cols) for *_, t, _ in axis)
    dx = (xp.empty if every_phase_reached else xp.zeros)((n,) + tuple(in_hw) + (c,), dtype=gy.dtype)
    for y0, ny, ry, ky, sy in rows:
        for x0, nx, rx, kx, sx in cols:
            if not (ky and kx and ny and nx):
                continue
            win = windows_nhwc(gp[:, sy + pad[0]:, sx + pad[1]:], (ky, kx), (1, 1), (ny, nx))
            taps = w[:, :, ry::stride[0], rx::stride[1]][:, :, ::-1, ::-1]            # (O, C, ky, kx), flipped
            part = dispatch.matmul(win.reshape(n * ny * nx, -1), taps.transpose(2, 3, 0, 1).reshape(-1, c))
            dx[:, y0::stride[0], x0::stride[1]] = part.reshape(n, ny, nx, c)
    return xp.ascontiguousarray(dx.transpose(0, 3, 1, 2))


def input_grad(gy, w, geom, in_hw):
    """dx = conv2d's input gradient (= conv_transpose2d's forward) on arrays, by the lowering ``lowering`` picks:
    the flipped-kernel convolution, one convolution per output phase, or col2im."""
    how = lowering(gy.shape, w.shape, geom, in_hw)
    if how == "flipped":
        stride, padding, dilation, groups = geom
        full = tuple(d * (k - 1) - p for d, k, p in zip(dilation, w.shape[2:], padding))
        return conv_forward(gy, _flipped(w, groups), (stride, full, dilation, groups), in_hw)
    if how == "phases":
        return _phase_input_grad(gy, w, geom, in_hw)
    return conv_input_grad(gy, w, geom, in_hw)


@register_fast_path(ConvTransposeNd, "the forward (= conv2d's input gradient) as convolutions: at stride 1 with "
                                     "Ci <= Co or groups by the flipped kernel (0.55-0.80x of col2im's time, "
                                     "0.38-0.52x with groups), at stride > 1 with Ci <= Co by output phases "
                                     "(0.51-0.83x); col2im elsewhere")
class FastConvTransposeNd(ConvTransposeNd):
    """ConvTransposeNd whose forward picks the lowering (``input_grad``); the backward is ConvTransposeNd's."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return like_input(add_bias(input_grad(image(x), image(w), geom, hw(out_hw)), b), x.ndim)


@register_fast_path(ConvNd, "the backward's input gradient by FastConvTransposeNd's lowerings: at stride 1 with "
                            "O <= C or groups by the flipped kernel (0.55-0.80x of col2im's time, 0.38-0.52x with "
                            "groups; forward + backward 0.95x), at stride > 1 with O <= C by output phases "
                            "(0.51-0.83x); col2im elsewhere")
class FastConvNd(ConvNd):
    """ConvNd whose backward takes dx = FastConvTransposeNd(gy, w) (``input_grad``); the rest of the backward, dw and
    db, is ConvNd's."""
    @staticmethod
    def input_grad(gy, w, geom, in_hw):
        return FastConvTransposeNd.apply(gy, w, None, geom, in_hw)
