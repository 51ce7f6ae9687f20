"""The exercises: one row per task, in parts that follow the lecture.

A task names a piece of the engine's own source (``target``: "module:Name", and the members of a class whose bodies
the student writes, ``blank``; an empty ``blank`` blanks a whole function), says what to derive (``question``,
``hint``, ``slide``), and how it is graded: ``cases`` are the op rows (``tinygrad_gen.op_cases`` or this kit's own,
``course.cases``) whose values and gradients are compared with the engine's, float64 and float32, on shapes
hypothesis draws; ``gradgrad`` adds a second-derivative check; ``model`` trains the VAE or a small GPT on the
student's code and compares its likelihood or loss with the engine's. ``mistake`` is a typical wrong answer
(a substring of the solution and what a student might write instead): the kit's own tests make sure it fails.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple

PARTS = {
    1: ("backprop", "Backprop by hand: elementwise ops and undoing broadcasting"),
    2: ("reductions", "Reductions and the softmax family, masked softmax, cross entropy"),
    3: ("layers", "Layers: linear, convolution by im2col, pooling, normalization, dropout, embedding"),
    4: ("generative", "Generative models: the reparameterization trick, the KL, the ELBO, GAN losses, R1"),
    5: ("transformers", "Transformers: attention with a causal mask, multi-head attention, GELU"),
    6: ("kernels", "Kernels: a tiled SGEMM in Numba CUDA (run in the simulator), a fused softmax and a tiled SGEMM "
                   "on the CPU"),
}


@dataclass(frozen=True)
class Task:
    """One exercise; see the module docstring for the fields."""
    id: str
    title: str
    points: int
    target: str
    blank: Tuple[str, ...]
    question: str
    hint: str
    slide: str
    cases: Tuple[str, ...] = ()
    gradgrad: bool = False
    model: Optional[str] = None
    mistake: Tuple[str, str] = ("", "")
    answer_from: Optional[str] = "backward"
    kernel: Optional[str] = None
    timeout: int = 120
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def part(self) -> int:
        """The part number (1 for task "1.3")."""
        return int(self.id.split(".")[0])

    @property
    def marker(self) -> str:
        """The pytest marker of the task: ``task1_3``."""
        return "task" + self.id.replace(".", "_")

    @property
    def module(self) -> str:
        """The engine module holding the target."""
        return self.target.split(":")[0]

    @property
    def name(self) -> str:
        """The class or function the student completes."""
        return self.target.split(":")[1]


ARITH, ELEM, ACT = "tinygrad_gen.ops.arithmetic", "tinygrad_gen.ops.elementwise", "tinygrad_gen.ops.activations"
RED, SOFT, LOSS = "tinygrad_gen.ops.reductions", "tinygrad_gen.ops.softmax", "tinygrad_gen.ops.losses"
CONV, POOL, NORM = "tinygrad_gen.ops.conv", "tinygrad_gen.ops.pooling", "tinygrad_gen.ops.normalization"

TASKS = [
    # ----- part 1: backprop by hand -----
    Task("1.1", "the product rule", 2, f"{ARITH}:Mul", ("backward",),
         "Write Mul's backward: given g = dL/dz for z = a * b, return dL/da and dL/db.",
         "Each output element depends on one element of a and one of b; return None for an input whose "
         "ctx.needs_input_grad is False.", "backprop: the chain rule, one local derivative per edge",
         cases=("mul",), gradgrad=True, mistake=("(g * a if need_b", "(-g * a if need_b")),
    Task("1.2", "the quotient rule", 2, f"{ARITH}:Div", ("backward",),
         "Write Div's backward for z = a / b.", "dz/db is -a / b^2: mind the sign.",
         "backprop: the chain rule", cases=("div",), gradgrad=True,
         mistake=("-(g * a) / (b * b)", "(g * a) / (b * b)")),
    Task("1.3", "exp is its own derivative", 1, f"{ELEM}:Exp", ("backward",),
         "Write Exp's backward for z = exp(a), using what forward saved.", "The forward saved its output.",
         "backprop: local derivatives", cases=("exp",), gradgrad=True,
         mistake=("return g * out", "return g * out * out")),
    Task("1.4", "the logarithm", 1, f"{ELEM}:Log", ("backward",),
         "Write Log's backward for z = log(a).", "d log(a) / da = 1 / a.", "backprop: local derivatives",
         cases=("log",), gradgrad=True, mistake=("return g / a", "return g * a")),
    Task("1.5", "tanh from its output", 2, f"{ACT}:Tanh", ("backward",),
         "Write Tanh's backward from the saved output z = tanh(a).", "1 - tanh(a)^2, written with z.",
         "backprop: local derivatives of the activation functions", cases=("tanh",), gradgrad=True,
         mistake=("(1 - out * out)", "(1 - out)")),
    Task("1.6", "the logistic sigmoid", 2, f"{ACT}:Sigmoid", ("backward",),
         "Write Sigmoid's backward from the saved output z = sigmoid(a).", "sigma' = sigma (1 - sigma).",
         "GANs: D(x) = sigmoid(logit)", cases=("sigmoid",), gradgrad=True,
         mistake=("out * (1 - out)", "out * (1 + out)")),
    Task("1.7", "undoing broadcasting", 3, "tinygrad_gen.autograd:unbroadcast", (),
         "Write unbroadcast(grad, shape): the gradient of an input that was broadcast to grad's shape.",
         "A broadcast copies x along the axes it adds in front and along its axes of size 1; the copies' gradients "
         "add up: sum over those axes, keeping the size-1 axes, then reshape.",
         "backprop: a value used several times sums its gradients", cases=("add", "mul", "sub"),
         mistake=("grad = grad.sum(axis=axes, keepdims=True)",
                  "grad = grad.mean(axis=axes, keepdims=True)"),
         answer_from=None),
    # ----- part 2: reductions and the softmax family -----
    Task("2.1", "the gradient of a reduction", 2, f"{RED}:_expand_back", (),
         "Write _expand_back(g, shape, axes, keepdims): the gradient of a sum over ``axes``, given g of the "
         "reduced shape.", "Every summed element gets g of its slice: put the reduced axes back as size 1, then "
         "expand to ``shape``.", "backprop: sum nodes copy the gradient", cases=("sum", "sum_axis", "mean_dims"),
         mistake=("return g.expand(*shape)", "return g.expand(*shape) * 1.5"), answer_from=None),
    Task("2.2", "the max and its ties", 2, f"{RED}:Max", ("backward",),
         "Write Max's backward: the gradient of z = max over ``axes``.",
         "Only the maximum moves z; if several elements tie, share g equally among them.",
         "backprop: max pooling and the max", cases=("amax", "max_dim"),
         mistake=("_expand_back(g, shape, axes, keepdims) * Tensor(", "_expand_back(g, shape, axes, keepdims) + "
                  "0 * Tensor(")),
    Task("2.3", "logsumexp", 2, f"{RED}:LogSumExp", ("backward",),
         "Write LogSumExp's backward.", "d/da_i log sum_j exp(a_j) is a softmax; compute it stably (shift by the "
         "saved max ctx.m).", "cross entropy: logsumexp minus the picked logit", cases=("logsumexp",),
         mistake=("* p, None, None", "* e, None, None")),
    Task("2.4", "softmax", 3, f"{SOFT}:Softmax", ("backward",),
         "Write Softmax's backward from the saved output y.",
         "The Jacobian is diag(y) - y y^T; apply it to g without building it.", "transformers: attention weights",
         cases=("softmax", "F.softmax[axis=0]"), gradgrad=True,
         mistake=("(g - (g * y).sum(", "(g - (g).sum(")),
    Task("2.5", "log-softmax", 2, f"{SOFT}:LogSoftmax", ("backward",),
         "Write LogSoftmax's backward from the saved output y = log softmax(x).",
         "d y_i / d x_j = [i = j] - softmax_j, and softmax = exp(y).", "cross entropy",
         cases=("log_softmax",), gradgrad=True, mistake=("g - y.exp() *", "g - y *")),
    Task("2.6", "masked softmax with fully masked rows", 3, f"{SOFT}:MaskedSoftmax", ("forward",),
         "Write MaskedSoftmax's forward: softmax over the kept positions of each row (mask True = keep), 0 at the "
         "masked ones, and a row that keeps nothing all zeros (never NaN).",
         "Take the max over kept entries only; exp of a masked entry must be exactly 0; a sum of 0 must not be "
         "divided by.", "transformers: the causal mask and padding",
         cases=("F.masked_softmax", "F.masked_softmax[broadcast_mask]", "masked_softmax[empty_rows]"),
         mistake=("np.exp(xp.where(mask, x - m, -np.inf))", "np.exp(x - m)"), answer_from="Whatever the masked"),
    Task("2.7", "cross entropy from logits", 3, f"{LOSS}:CrossEntropy", ("backward", "gradient"),
         "Write CrossEntropy's backward (and its helper ``gradient``): dL/dx for L = logsumexp(x_r) - x_r[t_r], "
         "with the reduction's weights kept on ctx.weight.",
         "dx = (softmax(x) - onehot(t)) times each row's weight times g.", "cross entropy of a classifier",
         cases=("F.cross_entropy", "F.cross_entropy[ignore_index,sum,NCd]"),
         mistake=("(p - Tensor(onehot))", "(Tensor(onehot) - p)")),
    # ----- part 3: layers -----
    Task("3.1", "the linear layer", 2, "tinygrad_gen.ops.linalg:Linear", ("backward",),
         "Write Linear's backward for y = x @ w^T + b (x's leading axes flattened into rows).",
         "dx = g w, dw = g^T x, db = the column sums of g (all in rows).", "deep autoencoders: stacks of linear "
         "layers", cases=("F.linear", "F.linear[3d_input,no_bias]"), gradgrad=True,
         mistake=("db = g2.sum(axis=0)", "db = g2.mean(axis=0)")),
    Task("3.2", "convolution by im2col", 3, f"{CONV}:_im2col", (),
         "Write _im2col: the windows of the zero-padded x under each output pixel as the rows of one matrix, "
         "channels last, so that convolution is one matrix product.",
         "nhwc_padded pads (channels last), windows_nhwc gives a strided view (N, *out, *kernel, C); reshape it.",
         "DCGAN: strided convolutions", cases=("F.conv2d", "F.conv2d[same]"),
         mistake=("return win.reshape(m, -1)", "return win[..., ::-1].reshape(m, -1)"), answer_from=None),
    Task("3.3", "the input gradient of a convolution (col2im)", 3, f"{CONV}:conv_input_grad", (),
         "Write conv_input_grad: dx of a convolution, each window's rows of gy @ W added back onto a padded image.",
         "gy @ W gives, per output pixel, what its window hands back; col2im_nhwc adds the windows up; crop the "
         "padding.", "DCGAN: the generator's transposed convolutions", cases=("F.conv2d", "F.conv2d[same]"),
         mistake=("_weight_rows(w, groups))  #", "_weight_rows(w[..., ::-1, ::-1], groups))  #"),
         answer_from=None),
    Task("3.4", "average pooling's backward", 2, f"{POOL}:AvgPoolScatter", ("forward",),
         "Write AvgPoolScatter's forward: average pooling's backward, g / divisor spread over every pixel of each "
         "window and summed where windows overlap.", "Broadcast the share over the kernel offsets and col2im it "
         "onto the padded image; crop with unpadded.", "pooling", cases=("F.avg_pool2d",
                                                                       "F.avg_pool2d[padding,ceil_mode,"
                                                                       "count_include_pad]"),
         mistake=("share = gb / divisor", "share = gb"), answer_from="forward:"),
    Task("3.5", "max pooling's backward", 2, f"{POOL}:MaxPoolScatter", ("forward",),
         "Write MaxPoolScatter's forward: max pooling's backward, each g placed on the arg-max pixel ``idx`` of "
         "its window, summed where windows overlap.", "One-hot columns where k == idx, then col2im.", "pooling",
         cases=("F.max_pool2d", "F.max_pool2d[overlapping,chw]"),
         mistake=("idx[:, :, None] == k", "idx[:, :, None] + 0 * k >= 0"), answer_from="forward:"),
    Task("3.6", "layer norm", 3, f"{NORM}:Standardize", ("backward",),
         "Write Standardize's backward for xhat = (x - mean) / sqrt(var + eps) over ``axes``.",
         "x_j reaches xhat_i directly, through the mean and through the variance: three terms.",
         "transformers: LayerNorm", cases=("F.layer_norm", "F.layer_norm[no_affine]"), gradgrad=True,
         mistake=(" - xhat * (g * xhat).mean(axis=axes, keepdims=True)", "")),
    Task("3.7", "batch norm", 3, f"{NORM}:BatchNorm", ("backward", "input_grad"),
         "Write BatchNorm's backward (and ``input_grad``): db, dw and dx for y = w xhat + b over (N, H, W).",
         "dx is layer norm's rule applied to g * w; mean(g w) = w db / M and mean(g w xhat) = w dw / M.",
         "DCGAN: batch norm in G and D", cases=("F.batch_norm", "F.batch_norm[2d]"),
         mistake=("scale * (g - db_m - xhat * dw_m)", "scale * (g - xhat * dw_m)")),
    Task("3.8", "dropout", 1, "tinygrad_gen.ops.dropout:Dropout", ("backward",),
         "Write Dropout's backward: y = x * scale with the mask and 1/(1-p) in ctx.scale.",
         "The same mask, the same scale.", "regularization", cases=("F.dropout",),
         mistake=("return g * ctx.scale, None", "return g, None")),
    Task("3.9", "embedding: the scatter-add", 2, "tinygrad_gen.ops.indexing:IndexAdd", ("forward",),
         "Write IndexAdd's forward: zeros of ``shape`` with g added at idx; an index named twice must add both "
         "(the gradient of an embedding row used twice).", "``out[idx] += g`` keeps only the last of repeated "
         "indices; NumPy has an unbuffered add for this.", "transformers: token embeddings",
         cases=("F.embedding",), mistake=("xp.add.at(out, idx, g)", "out[idx] = g"), answer_from="forward:"),
    # ----- part 4: generative models -----
    Task("4.1", "the reparameterization trick", 3, "tinygrad_gen.ops.gaussian:Reparameterize", ("backward",),
         "Write Reparameterize's backward for z = mu + exp(logvar / 2) * eps.",
         "std = exp(logvar / 2) has d std / d logvar = std / 2.", "VAE: the reparameterization trick",
         cases=("F.reparameterize",), model="vae", mistake=("g * eps * std * 0.5", "g * eps * std")),
    Task("4.2", "the Gaussian KL", 3, "tinygrad_gen.ops.gaussian:GaussianKL", ("backward",),
         "Write GaussianKL's backward for KL(N(mu, exp(logvar)) || N(0, I)) summed over the last axis.",
         "g has one value per row: give it the summed axis back first.", "VAE: the KL term of the ELBO",
         cases=("F.gaussian_kl",), model="vae", mistake=("(logvar.exp() - 1) * 0.5", "(logvar.exp() - 1)")),
    Task("4.3", "the ELBO", 3, "tinygrad_gen.models.vae:VAE", ("forward",),
         "Write VAE.forward: -ELBO per image averaged over the batch (one z per image by the reparameterization "
         "trick), with its reconstruction and KL parts.", "Bernoulli pixels: the reconstruction term is a binary "
         "cross-entropy with logits summed over pixels; the KL is closed form (F.gaussian_kl).",
         "VAE: the evidence lower bound", cases=("vae_elbo",), model="vae",
         mistake=("return reconstruction + kl, reconstruction, kl", "return reconstruction - kl, reconstruction, "
                  "kl"), answer_from=None),
    Task("4.4", "the minimax generator cost", 2, "tinygrad_gen.models.gan_losses:generator_loss_minimax", (),
         "Write the minimax generator cost J_G = E log(1 - D(G(z))) on the discriminator's logits.",
         "-log(1 - sigmoid(l)) = softplus(l); use _softplus. Then look at dJ_G/dl when D(G(z)) is near 0.",
         "GANs: the minimax game, and why it saturates", cases=("gan_minimax",),
         mistake=("return -_softplus(fake_logits).mean()", "return _softplus(fake_logits).mean()"),
         answer_from="dJ_G/dl_i"),
    Task("4.5", "the non-saturating generator cost", 2, "tinygrad_gen.models.gan_losses:generator_loss_ns", (),
         "Write the non-saturating cost J_G = E -log D(G(z)) on the logits.", "-log sigmoid(l) = softplus(-l).",
         "GANs: a better cost function", cases=("gan_ns",),
         mistake=("return _softplus(-fake_logits).mean()", "return _softplus(-fake_logits).sum()"),
         answer_from="dJ_G/dl_i"),
    Task("4.6", "the R1 gradient penalty (double backward)", 3, "tinygrad_gen.models.gan_losses:r1_penalty", (),
         "Write r1_penalty: E_x ||grad_x D(x)||^2 on real data, as a graph the discriminator's weights can be "
         "differentiated through.", "tg.grad(..., create_graph=True) on a detached x that requires grad.",
         "GANs: stabilising training", cases=("gan_r1",), gradgrad=False,
         mistake=("(grad * grad).reshape", "(grad.abs()).reshape"), answer_from="The input gradient"),
    # ----- part 5: transformers -----
    Task("5.1", "scaled dot-product attention", 3, "tinygrad_gen.ops.attention:reference_attention", (),
         "Write reference_attention: S = (q * scale) k^T (+ bias), P = softmax over the kept keys, out = P v "
         "(dropout on P when dropout_p > 0).", "masked_softmax handles ``keep`` and fully masked rows.",
         "transformers: self-attention", cases=("F.scaled_dot_product_attention",
                                                "F.scaled_dot_product_attention[bool_mask,scale]",
                                                "F.attention[mask,causal]"),
         model="gpt", mistake=("(q * scale) @ k.swapaxes(-1, -2)", "q @ k.swapaxes(-1, -2)"),
         answer_from="Its backward"),
    Task("5.2", "the causal mask", 1, "tinygrad_gen.ops.attention:causal_keep", (),
         "Write causal_keep(xp, lq, lk): the boolean (lq, lk) mask where query i may attend to key j.",
         "A decoder must not see the future: j <= i.", "GPT: causal attention",
         cases=("F.scaled_dot_product_attention[causal,Lq>Lk]", "F.attention[mask,causal]"), model="gpt",
         mistake=("xp.tril(", "xp.triu("), answer_from=None),
    Task("5.3", "splitting into heads", 2, "tinygrad_gen.nn.attention:MultiHeadAttention", ("_heads",),
         "Write MultiHeadAttention._heads: project (B, L, E) with (w, b) and split the result into "
         "(B, H, L, d) heads.", "Reshape to (B, L, H, d), then move the head axis forward.",
         "transformers: multi-head attention", cases=("mha_self", "mha_causal"), model="gpt",
         mistake=(".permute(0, 2, 1, 3)", ".reshape(B, self.num_heads, L, self.head_dim)"), answer_from=None),
    Task("5.4", "GELU", 2, f"{ACT}:Gelu", ("backward",),
         "Write Gelu's backward for z = a * Phi(a).", "Product rule; Phi' is the normal density; GeluSlope is "
         "the op for the slope.", "transformers: the MLP's activation", cases=("F.gelu",), gradgrad=True,
         mistake=("g * GeluSlope.apply(a)", "g * 0.5 * (1 + (a / 2 ** 0.5).erf())")),
    Task("5.5", "GELU's second derivative", 2, f"{ACT}:GeluSlope", ("backward",),
         "Write GeluSlope's backward: the derivative of Phi(a) + a phi(a).", "phi'(a) = -a phi(a).",
         "double backward through a transformer (gradient penalties)", cases=("gelu_slope",), gradgrad=True,
         mistake=("(2 - a * a)", "(1 - a * a)")),
    # ----- part 6: kernels -----
    Task("6.1", "a tiled SGEMM in Numba CUDA", 4, "tinygrad_gen.kernels.tiled_sgemm:tiled_sgemm", (),
         "Write the kernel body of tiled_sgemm: each block computes a TILE x TILE tile of C = A @ B, staging "
         "tiles of A and B in shared memory, one barrier after loading and one after using them.",
         "Zero-fill the out-of-range elements of the last, ragged tiles; guard the store.",
         "kernels: how fast can a matmul go", kernel="sgemm",
         mistake=("acc += a_tile[ty, k] * b_tile[k, tx]", "acc += a_tile[ty, k] * b_tile[tx, k]"),
         answer_from=None, timeout=240),
    Task("6.2", "a fused softmax on the CPU (Numba)", 3, "tinygrad_gen.kernels.cpu.softmax:softmax_rows", (),
         "Write softmax_rows(x, y): y[r] = softmax(x[r]) for every row, each row read while it sits in cache, rows "
         "spread over threads with prange.", "Three loops per row: the max, then e = exp(x - max) written to y while "
         "summing, then one scale by 1 / sum. Rows of 1e4 must not overflow.", "kernels: fusing a softmax",
         kernel="cpu_softmax", mistake=("inv = like(1.0, m) / s", "inv = like(1.0, m)"), answer_from=None,
         timeout=300),
    Task("6.3", "a tiled SGEMM on the CPU (Numba)", 4, "tinygrad_gen.kernels.cpu.matmul:sgemm", (),
         "Write sgemm(a, b, c): c = a @ b with cache blocking (panels of B kept in cache while rows of A stream "
         "past) and register blocking (four rows of C share every loaded b[k, j]).", "Zero c's block first; "
         "rows left over when a block is not a multiple of 4 need their own loop.",
         "kernels: how fast can a matmul go", kernel="cpu_sgemm",
         mistake=("for r in range(i, i1):", "for r in range(i, i):"), answer_from=None, timeout=300),
]

BY_ID = {t.id: t for t in TASKS}


def select(parts=None, ids=None) -> list:
    """The tasks of ``parts`` (numbers) and/or ``ids`` ("2.3"), in table order; all of them when neither is given.
    An unknown part or task id is a ValueError naming the known ones."""
    if parts:
        unknown = [p for p in parts if p not in PARTS]
        if unknown:
            raise ValueError(f"exercise: unknown part(s) {unknown}; the parts are {sorted(PARTS)}")
    if ids:
        unknown = [i for i in ids if i not in BY_ID]
        if unknown:
            raise ValueError(f"exercise: unknown task(s) {unknown}; the tasks are {', '.join(BY_ID)}")
    if not parts and not ids:
        return list(TASKS)
    return [t for t in TASKS if (parts and t.part in parts) or (ids and t.id in ids)]
