"""2-D convolution and transposed convolution (NCHW) by im2col: one big matmul each way (one per group).

Three array maps do all the work, and each op's backward is made of the other two:

    conv(x, w)             y[n,o,p,q] = sum_{c,i,j} w[o,c,i,j] x[n, g(o)*Cg + c, p*s + i*d - pad, q*s + j*d - pad]
                                        (im2col, then cols @ W^T)
    conv_input_grad(g, w)  = the adjoint of x -> conv(x, w): g @ W, then col2im             (= transposed conv)
    conv_weight_grad(x, g) = the adjoint of w -> conv(x, w): g^T @ cols

with stride s, dilation d and ``groups`` G: the C input and O output channels are split into G groups of Cg = C/G
and Og = O/G, and output channel o (in group g(o) = o // Og) sees only its group's inputs, so w is (O, Cg, kh, kw)
and each of the three maps is G independent matrix products, done as one batched matmul.
conv_transpose2d's forward is conv2d's input gradient and its input gradient is conv2d's forward. The cols matrix
is laid out channels-last, (N*Ho*Wo, kh*kw*C), so its copies run over C contiguous channels at a time. Every
backward is written with these differentiable ops, hence second derivatives (e.g. a GAN's R1 gradient penalty)
just work.
"""
from .. import dispatch
from ..autograd import Function
from ..backend import xp_of
from .windows import col2im_nhwc, nhwc_padded, windows_nhwc



def _win(x, kernel, geom, out_hw):
    """(N, Ho, Wo, kh, kw, C) view of the padded channels-last copy of x."""
    stride, padding, dilation, _ = geom
    return windows_nhwc(nhwc_padded(x, *padding), kernel, stride, out_hw, dilation)


def _cols(x, kernel, geom, out_hw):
    """im2col, channels last: (N*Ho*Wo, kh*kw*C), or (G, N*Ho*Wo, kh*kw*Cg) with groups; the one copy that turns
    convolution into a matmul."""
    win, groups = _win(x, kernel, geom, out_hw), geom[3]
    m = x.shape[0] * out_hw[0] * out_hw[1]
    if groups == 1:
        return win.reshape(m, -1)
    win = win.reshape(win.shape[:5] + (groups, -1))  # (N, Ho, Wo, kh, kw, G, Cg)
    return win.transpose(5, 0, 1, 2, 3, 4, 6).reshape(groups, m, -1)


def _w_rows(w, groups):
    """(O, Cg, kh, kw) -> (O, kh*kw*Cg), or (G, Og, kh*kw*Cg) with groups: columns in the cols' order."""
    rows = w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    return rows if groups == 1 else rows.reshape(groups, w.shape[0] // groups, -1)


def _g_rows(g, groups):
    """(N, O, Ho, Wo) -> (N*Ho*Wo, O), or (G, N*Ho*Wo, Og) with groups: rows in the cols' order."""
    rows = g.transpose(0, 2, 3, 1).reshape(-1, g.shape[1])
    return rows if groups == 1 else rows.reshape(rows.shape[0], groups, -1).transpose(1, 0, 2)


def _nchw(rows, n, hw):
    """(N*H*W, C) rows, or (G, N*H*W, Cg) per group -> a contiguous (N, C, H, W) array."""
    if rows.ndim == 3:
        rows = rows.transpose(1, 0, 2)
    return xp_of(rows).ascontiguousarray(rows.reshape(n, hw[0], hw[1], -1).transpose(0, 3, 1, 2))


def conv_forward(x, w, geom, out_hw):
    """y = conv(x, w) on arrays: (N, C, H, W) * (O, Cg, kh, kw) -> (N, O, Ho, Wo), as cols @ W^T."""
    groups = geom[3]
    w_rows = _w_rows(w, groups)
    cols = _cols(x, w.shape[2:], geom, out_hw)
    return _nchw(dispatch.matmul(cols, w_rows.swapaxes(-1, -2)), x.shape[0], out_hw)


def _flipped(w, groups):
    """(O, Cg, kh, kw) -> (C, Og, kh, kw), each group's in and out swapped and the kernel turned by 180 degrees:
    the weight of the convolution that a stride-1 transposed convolution is."""
    o, cg, kh, kw = w.shape
    w = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4).reshape(groups * cg, o // groups, kh, kw)
    return xp_of(w).ascontiguousarray(w[:, :, ::-1, ::-1])


def _as_flipped_conv(g, w, geom, in_hw):
    """Whether conv_input_grad should run as a convolution of g with the flipped kernel (stride 1 only: then
    dx[c, y] = sum_{o,i} w[o, c, i] g[o, y + pad - i d] is a plain convolution with padding d (k - 1) - pad) rather
    than as g @ W and col2im. Measured on one core: the im2col of g beats col2im's kh*kw strided adds when it is no
    bigger (O <= C), and always with groups (col2im's grouped scatter is slow). Not with an output_padding (the
    extra row would need padding on one side only)."""
    stride, padding, dilation, groups = geom
    if stride != (1, 1) or any(p > d * (k - 1) or n != m + d * (k - 1) - 2 * p for p, d, k, n, m in
                               zip(padding, dilation, w.shape[2:], in_hw, g.shape[2:])):
        return False
    return groups > 1 or g.shape[1] <= w.shape[1] * groups


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


def _phase_input_grad(g, w, geom, in_hw):
    """conv_input_grad at stride s > 1 (dilation 1, one group) as s * s stride-1 convolutions, one per output
    phase (y mod s, x mod s), each of g with the kernel taps that reach that phase, turned by 180 degrees. Every
    output pixel is written once, by one matmul, instead of being summed from kh * kw strided slabs (col2im):
    the im2col copies here cost as much as the forward's, and no scatter-add remains."""
    stride, padding, _, _ = geom
    n, o, ho, wo = g.shape
    c = w.shape[1]
    rows, cols = (_phases(k, s, p, size, m) for k, s, p, size, m in zip(w.shape[2:], stride, padding, in_hw, (ho, wo)))
    lo = [max([0] + [-start for *_, taps, start in axis if taps]) for axis in (rows, cols)]
    hi = [max([0] + [start + cnt + taps - 1 - m for _, cnt, _, taps, start in axis if taps])
          for axis, m in zip((rows, cols), (ho, wo))]
    pad = (max(lo[0], hi[0]), max(lo[1], hi[1]))
    gp = nhwc_padded(g, *pad)
    xp = xp_of(g)
    dx = (xp.empty if all(t for axis in (rows, cols) for *_, t, _ in axis) else xp.zeros)((n,) + tuple(in_hw) + (c,),
                                                                                          dtype=g.dtype)
    for y0, ny, ry, ky, sy in rows:
        for x0, nx, rx, kx, sx in cols:
            if not (ky and kx and ny and nx):
                continue
            win = windows_nhwc(gp[:, sy + pad[0]:, sx + pad[1]:], (ky, kx), (1, 1), (ny, nx))
            taps = w[:, :, ry::stride[0], rx::stride[1]][:, :, ::-1, ::-1]            # (O, C, ky, kx), flipped
            part = dispatch.matmul(win.reshape(n * ny * nx, -1), taps.transpose(2, 3, 0, 1).reshape(-1, c))
            dx[:, y0::stride[0], x0::stride[1]] = part.reshape(n, ny, nx, c)
    return xp.ascontiguousarray(dx.transpose(0, 3, 1, 2))


def conv_input_grad(g, w, geom, in_hw):
    """dx = col2im(g @ W): (N, O, Ho, Wo), (O, Cg, kh, kw) -> (N, C, H, W) with C = G * Cg; at stride 1 possibly
    as conv(g, flipped w) (``_as_flipped_conv``), at larger strides as one stride-1 convolution per output phase
    (``_phase_input_grad``): the same numbers by other lowerings."""
    stride, (ph, pw), dilation, groups = geom
    n, o, ho, wo = g.shape
    cg, kh, kw = w.shape[1:]
    h, wd = in_hw
    if _as_flipped_conv(g, w, geom, in_hw):
        full = (dilation[0] * (kh - 1) - ph, dilation[1] * (kw - 1) - pw)
        return conv_forward(g, _flipped(w, groups), (stride, full, dilation, groups), in_hw)
    if stride != (1, 1) and dilation == (1, 1) and groups == 1 and o <= cg:  # the rule of _as_flipped_conv
        return _phase_input_grad(g, w, geom, in_hw)
    cols = dispatch.matmul(_g_rows(g, groups), _w_rows(w, groups))           # (M, K) or (G, M, Kg)
    if groups == 1:
        cols = cols.reshape(n, ho, wo, kh, kw, cg)
        padded = (n, h + 2 * ph, wd + 2 * pw, cg)
    else:
        cols = cols.reshape(groups, n, ho, wo, kh, kw, cg).transpose(1, 2, 3, 4, 5, 0, 6)
        padded = (n, h + 2 * ph, wd + 2 * pw, groups, cg)
    out = col2im_nhwc(cols, padded, stride, dilation).reshape(n, h + 2 * ph, wd + 2 * pw, groups * cg)
    return xp_of(out).ascontiguousarray(out[:, ph:ph + h, pw:pw + wd].transpose(0, 3, 1, 2))


def conv_weight_grad(x, g, geom, kernel):
    """dw = g^T @ cols: (N, C, H, W), (N, O, Ho, Wo) -> (O, Cg, kh, kw)."""
    groups = geom[3]
    o, cg = g.shape[1], x.shape[1] // groups
    dw = dispatch.matmul(_g_rows(g, groups).swapaxes(-1, -2), _cols(x, kernel, geom, g.shape[2:]))
    return xp_of(dw).ascontiguousarray(dw.reshape(o, kernel[0], kernel[1], cg).transpose(0, 3, 1, 2))


def _add_bias(y, b):
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


class Conv2d(Function):
    """y = conv(x, w) + b[o]; geom = (stride, padding, dilation, groups).
    backward: dx = conv_transpose(g, w) (each x pixel gets w-weighted g from every window it sits in),
              dw[o,c,i,j] = sum over n, p, q of g[n,o,p,q] * x[n, g(o)*Cg + c, p*s + i*d - pad, q*s + j*d - pad]
              (i.e. g^T @ cols, per group), db = sum of g over n, p, q."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return _add_bias(conv_forward(x, w, geom, out_hw), b)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = ConvTranspose2d.apply(g, w, None, ctx.geom, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(x, g, ctx.geom, w.shape[2:]) if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db, None, None


class ConvTranspose2d(Function):
    """y = conv_input_grad(x, w) + b[c], w of shape (in, out / groups, kh, kw): each input pixel paints a
    w-weighted patch.
    backward: dx = conv(g, w) (the adjoint of the adjoint), dw = conv_weight_grad(g, x) (g plays the input,
              x the output gradient), db = sum of g over n, h, w."""
    @staticmethod
    def forward(ctx, x, w, b, geom, out_hw):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return _add_bias(conv_input_grad(x, w, geom, out_hw), b)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = Conv2d.apply(g, w, None, ctx.geom, x.shape[2:]) if need_x else None
        dw = ConvWeightGrad.apply(g, x, ctx.geom, w.shape[2:]) if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db, None, None


class ConvWeightGrad(Function):
    """z = conv_weight_grad(x, g), bilinear in x and g; it is differentiated again in a double backward.
    backward (upstream h of w's shape, from <h, z> = <conv(x, h), g>): dx = conv_transpose(g, h), dg = conv(x, h)."""
    @staticmethod
    def forward(ctx, x, g, geom, kernel):
        ctx.save_for_backward(x, g)
        ctx.geom = geom
        return conv_weight_grad(x, g, geom, tuple(kernel))

    @staticmethod
    def backward(ctx, h):
        x, g = ctx.saved_tensors
        need_x, need_g = ctx.needs_input_grad[:2]
        dx = ConvTranspose2d.apply(g, h, None, ctx.geom, x.shape[2:]) if need_x else None
        dg = Conv2d.apply(x, h, None, ctx.geom, g.shape[2:]) if need_g else None
        return dx, dg, None, None
