"""The PyTorch idioms: small snippets of PyTorch code, each leaving its result in ``out``.

Each runs once with ``torch`` bound to PyTorch and once with it bound to tinygrad_gen (``F``, ``nn``, ``optim`` are
the matching submodules; ``np`` is NumPy; ``R(*shape)`` gives fixed float32 values of that shape). Results are
compared value by value (tensors: shape, dtype, values; Python scalars: type and value; tuples and lists element by
element; gradients are compared where a snippet puts them in ``out``). A snippet that raises in PyTorch must raise in
ours too."""

IDIOMS = {
    # ---- movement ----
    "transpose_2arg": "x = torch.arange(24.).view(2, 3, 4); out = x.transpose(1, 2)",
    "transpose_2d_01": "x = torch.arange(6.).view(2, 3); out = x.transpose(0, 1)",
    "transpose_neg": "x = torch.arange(24.).view(2, 3, 4); out = x.transpose(-1, -3)",
    "torch_transpose": "x = torch.arange(24.).view(2, 3, 4); out = torch.transpose(x, 0, 2)",
    "t_method": "out = torch.arange(6.).view(2, 3).t()",
    "T_property": "out = torch.arange(6.).view(2, 3).T",
    "permute_tuple": "x = torch.arange(24.).view(2, 3, 4); out = x.permute(2, 0, 1)",
    "permute_list": "x = torch.arange(24.).view(2, 3, 4); out = x.permute([1, 2, 0])",
    "view_minus1": "out = torch.arange(12.).view(-1, 4)",
    "view_tuple": "out = torch.arange(12.).view((3, 4))",
    "view_after_transpose_raises": "out = torch.arange(12.).view(3, 4).transpose(0, 1).view(12)",
    "contiguous_view": "out = torch.arange(12.).view(3, 4).transpose(0, 1).contiguous().view(12)",
    "reshape_noncontig": "out = torch.arange(12.).view(3, 4).t().reshape(2, 6)",
    "flatten_start": "out = torch.arange(24.).view(2, 3, 4).flatten(1)",
    "flatten_range": "out = torch.arange(48.).view(2, 3, 4, 2).flatten(1, 2)",
    "torch_flatten": "out = torch.flatten(torch.arange(24.).view(2, 3, 4))",
    "unsqueeze_squeeze": "x = torch.arange(6.).view(2, 3); out = (x.unsqueeze(0).shape, x.unsqueeze(-1).shape, "
                         "x.view(1, 2, 1, 3).squeeze().shape, x.view(1, 2, 3).squeeze(0).shape)",
    "squeeze_non1_noop": "out = torch.arange(6.).view(2, 3).squeeze(0)",
    "size_dim": "x = torch.zeros(2, 3, 4); out = (x.size(), x.size(-1), x.size(1), x.dim(), x.numel(), len(x))",
    "shape_tuple": "B, T, C = torch.zeros(2, 3, 4).shape; out = B * 100 + T * 10 + C",
    "expand": "out = torch.arange(3.).view(3, 1).expand(3, 4)",
    "expand_minus1": "out = torch.arange(3.).view(1, 3).expand(2, -1)",
    "repeat": "out = torch.arange(3.).repeat(2, 2)",
    "cat_dim1": "out = torch.cat((torch.zeros(2, 1), torch.ones(2, 3)), dim=1)",
    "stack_dim": "out = torch.stack([torch.arange(3.), torch.arange(3.) * 2], dim=1)",
    "split_size": "out = torch.arange(10.).split(4)",
    "split_sizes_dim": "out = torch.arange(12.).view(2, 6).split([2, 4], dim=1)",
    "chunk": "out = torch.arange(10.).chunk(3)",
    "flip": "out = torch.arange(6.).view(2, 3).flip(1)",
    "roll_flat": "out = torch.arange(6.).view(2, 3).roll(1)",
    "tril_ones": "out = torch.tril(torch.ones(3, 3))",
    # ---- reductions returning (values, indices) ----
    "max_dim": "v, i = torch.tensor([[1., 5., 2.], [7., 0., 3.]]).max(dim=1); out = (v, i)",
    "max_dim_fields": "r = torch.tensor([[1., 5., 2.], [7., 0., 3.]]).max(1); out = (r.values, r.indices, r[0])",
    "max_keepdim": "out = torch.tensor([[1., 5., 2.], [7., 0., 3.]]).max(dim=0, keepdim=True)",
    "max_all": "out = torch.tensor([[1., 5.], [7., 0.]]).max()",
    "max_binary": "out = torch.max(torch.tensor([1., 5.]), torch.tensor([3., 2.]))",
    "min_dim": "out = torch.min(torch.tensor([[1., 5., 2.], [7., 0., 3.]]), dim=-1)",
    "argmax_dim": "out = torch.tensor([[1., 5., 2.], [7., 0., 3.]]).argmax(dim=1)",
    "argmax_flat": "out = torch.tensor([[1., 5., 2.], [7., 0., 3.]]).argmax()",
    "sort_dim": "out = torch.tensor([[3., 1., 2.], [0., 5., 4.]]).sort(dim=1)",
    "sort_desc": "out = torch.sort(torch.tensor([3., 1., 2.]), descending=True)",
    "topk": "out = torch.topk(torch.tensor([[3., 1., 2., 9.], [0., 5., 4., 1.]]), 2)",
    "topk_smallest": "out = torch.tensor([3., 1., 2., 9.]).topk(2, largest=False)",
    "sum_keepdim": "out = torch.arange(6.).view(2, 3).sum(dim=1, keepdim=True)",
    "sum_dims_tuple": "out = torch.arange(24.).view(2, 3, 4).sum(dim=(0, 2))",
    "mean_dim": "out = torch.arange(6.).view(2, 3).mean(-1)",
    "var_unbiased": "out = torch.tensor([1., 2., 4., 7.]).var()",
    "var_biased": "out = torch.tensor([1., 2., 4., 7.]).var(unbiased=False)",
    "std_correction": "out = torch.arange(6.).view(2, 3).std(dim=1, correction=0)",
    "std_default": "out = torch.arange(6.).view(2, 3).std(dim=0)",
    "mean_int_raises": "out = torch.arange(6).mean()",
    "sum_int_dtype": "out = torch.tensor([1, 2, 3]).sum()",
    "sum_bool": "out = (torch.arange(5) > 1).sum()",
    "prod": "out = torch.tensor([[1., 2.], [3., 4.]]).prod(dim=0)",
    "cumsum": "out = torch.arange(5).cumsum(0)",
    "logsumexp": "out = torch.logsumexp(torch.tensor([[1., 2.], [3., 4.]]), dim=1)",
    "all_any": "x = torch.tensor([True, False]); out = (x.all(), x.any())",
    # ---- dtypes and promotion ----
    "default_float": "out = torch.tensor([1.0, 2.0])",
    "default_int": "out = torch.tensor([1, 2])",
    "int_plus_float_scalar": "out = torch.tensor([1, 2]) + 1.5",
    "int_times_int_scalar": "out = torch.tensor([1, 2]) * 3",
    "float32_plus_float64_0d": "out = torch.ones(2) + torch.tensor(1.0, dtype=torch.float64)",
    "float32_plus_float64": "out = torch.ones(2) + torch.ones(2, dtype=torch.float64)",
    "int_div_true": "out = torch.tensor([5, 7]) / 2",
    "int_floordiv": "out = torch.tensor([5, -7]) // 2",
    "int_floor_divide": "out = torch.div(torch.tensor([5, -7]), 2, rounding_mode='floor')",
    "int_trunc_divide": "out = torch.div(torch.tensor([5, -7]), 2, rounding_mode='trunc')",
    "int_mod": "out = torch.tensor([5, -7]) % 3",
    "bool_plus_int": "out = torch.tensor([True, False]) + 1",
    "comparison_dtype": "out = torch.arange(3.) > 1",
    "float_method": "out = torch.tensor([1, 2]).float()",
    "long_method": "out = torch.tensor([1.7, -2.7]).long()",
    "to_dtype": "out = torch.tensor([1, 2]).to(torch.float64)",
    "dtype_attr": "out = (torch.tensor([1, 2]).dtype == torch.long, torch.zeros(2).dtype == torch.float32, "
                  "torch.zeros(2).dtype == torch.float)",
    "arange_dtypes": "out = (torch.arange(3), torch.arange(3.), torch.arange(0, 1, 0.25))",
    "full_int_fill": "out = torch.full((2,), 3)",
    "full_dtype": "out = torch.full((2,), 1, dtype=torch.float32)",
    "zeros_like_dtype": "out = torch.zeros_like(torch.tensor([1, 2]))",
    "pow_int": "out = torch.tensor([2, 3]) ** 2",
    "sqrt_int": "out = torch.tensor([4, 9]).sqrt()",
    # ---- clamp and elementwise ----
    "clamp_min": "out = torch.tensor([-1., 0.5, 2.]).clamp(min=0)",
    "clamp_max": "out = torch.tensor([-1., 0.5, 2.]).clamp(max=1.0)",
    "clamp_both": "out = torch.clamp(torch.tensor([-1., 0.5, 2.]), -0.5, 0.5)",
    "clamp_int": "out = torch.tensor([-3, 0, 4]).clamp(min=-1, max=2)",
    "where": "x = torch.tensor([-1., 2.]); out = torch.where(x > 0, x, torch.zeros_like(x))",
    "where_scalar": "x = torch.tensor([-1., 2.]); out = torch.where(x > 0, x, 0.0)",
    "abs_sign": "x = torch.tensor([-1.5, 0., 2.]); out = (x.abs(), x.sign())",
    "masked_fill_inf": "x = torch.zeros(2, 2); out = x.masked_fill(torch.tril(torch.ones(2, 2)) == 0, float('-inf'))",
    "softmax_with_neginf": "x = torch.tensor([[0., float('-inf')], [1., 2.]]); out = torch.softmax(x, dim=-1)",
    # ---- indexing ----
    "index_int_row": "out = torch.arange(12.).view(3, 4)[1]",
    "index_neg": "out = torch.arange(12.).view(3, 4)[-1, -2]",
    "index_slices": "out = torch.arange(24.).view(2, 3, 4)[:, 1:, ::2]",
    "index_ellipsis_none": "out = torch.arange(24.).view(2, 3, 4)[..., None, 1]",
    "index_bool_mask": "x = torch.arange(6.).view(2, 3); out = x[x > 2]",
    "index_bool_rows": "x = torch.arange(6.).view(3, 2); out = x[torch.tensor([True, False, True])]",
    "index_tensor": "x = torch.arange(12.).view(3, 4); out = x[torch.tensor([2, 0, 2])]",
    "index_list": "x = torch.arange(12.).view(3, 4); out = x[[0, 2]]",
    "index_two_tensors": "x = torch.arange(12.).view(3, 4); out = x[torch.tensor([0, 2]), torch.tensor([1, 3])]",
    "index_tensor_between_slices": "x = torch.arange(120.).view(2, 3, 4, 5); out = x[:, torch.tensor([0, 2]), :, 1:3]",
    "index_int_slice_tensor": "x = torch.arange(120.).view(2, 3, 4, 5); out = x[1, :, torch.tensor([0, 3])]",
    "index_separated_tensors": "x = torch.arange(120.).view(2, 3, 4, 5); "
                               "out = x[torch.tensor([0, 1]), :, torch.tensor([1, 2])]",
    "index_2d_index_tensor": "C = torch.arange(20.).view(5, 4); X = torch.tensor([[0, 1, 2], [4, 4, 0]]); out = C[X]",
    "index_last_keep_dim": "out = torch.arange(24.).view(2, 3, 4)[:, [-1], :]",
    "index_out_of_range_raises": "out = torch.arange(3.)[3]",
    "setitem_mask": "x = torch.arange(6.); x[x > 3] = -1.0; out = x",
    "setitem_slice": "x = torch.zeros(3, 4); x[:, 1] = torch.arange(3.); out = x",
    "setitem_neg_inf_topk": "l = torch.tensor([[1., 4., 2., 3.]]); v, _ = torch.topk(l, 2); "
                            "l[l < v[:, [-1]]] = -float('Inf'); out = l",
    "gather": "x = torch.tensor([[1., 2.], [3., 4.]]); out = x.gather(1, torch.tensor([[0, 0], [1, 0]]))",
    "index_select": "out = torch.arange(12.).view(3, 4).index_select(1, torch.tensor([3, 0]))",
    "nonzero": "out = torch.tensor([0., 1., 0., 2.]).nonzero()",
    "one_hot": "out = F.one_hot(torch.tensor([0, 2, 1]), num_classes=4)",
    # ---- in-place ----
    "add_inplace": "x = torch.ones(3); x.add_(2); out = x",
    "mul_inplace_returns_self": "x = torch.ones(3); y = x.mul_(3); out = (y is x, x)",
    "iadd_view": "x = torch.zeros(2, 3); v = x[0]; v += 1; out = x",
    "fill_zero": "x = torch.ones(2, 2); x.fill_(7); y = torch.ones(2); y.zero_(); out = (x, y)",
    "inplace_leaf_raises": "x = torch.ones(3, requires_grad=True); x.add_(1); out = x",
    "inplace_saved_raises": "x = torch.ones(3, requires_grad=True); y = x * 2; z = y.sin(); y.add_(1); "
                            "z.sum().backward(); out = x.grad",
    "inplace_nograd_leaf": "x = torch.ones(3, requires_grad=True)\n"
                           "with torch.no_grad():\n    x.mul_(2)\nout = (x, x.requires_grad)",
    "data_inplace": "x = torch.ones(3, requires_grad=True); x.data += 1; out = (x.detach(), x.requires_grad)",
    "copy_": "x = torch.zeros(2, 2); x.copy_(torch.tensor([1., 2.])); out = x",
    "clamp_inplace": "x = torch.tensor([-1., 2.]); x.clamp_(min=0); out = x",
    # ---- autograd ----
    "backward_grad": "x = torch.tensor([1., 2., 3.], requires_grad=True); (x ** 2).sum().backward(); out = x.grad",
    "grad_accumulates": "x = torch.tensor([1., 2.], requires_grad=True)\n"
                        "for _ in range(2):\n    (3 * x).sum().backward()\nout = x.grad",
    "grad_none_before": "x = torch.ones(2, requires_grad=True); out = x.grad is None",
    "backward_nonscalar_raises": "x = torch.ones(2, requires_grad=True); (x * 2).backward(); out = x.grad",
    "backward_gradient_arg": "x = torch.ones(2, requires_grad=True); (x * 2).backward(torch.tensor([1., 3.])); "
                             "out = x.grad",
    "no_grad_flag": "x = torch.ones(2, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2\n"
                    "out = (y.requires_grad, torch.is_grad_enabled())",
    "no_grad_decorator": "@torch.no_grad()\ndef f(a):\n    return a * 2\n"
                         "out = f(torch.ones(2, requires_grad=True)).requires_grad",
    "detach": "x = torch.ones(2, requires_grad=True); y = (x * 3).detach(); "
              "out = (y, y.requires_grad, y.grad_fn is None)",
    "requires_grad_flags": "x = torch.ones(2); w = torch.ones(2, requires_grad=True); y = x * w; "
                           "out = (x.requires_grad, y.requires_grad, y.is_leaf, w.is_leaf)",
    "retain_grad": "x = torch.tensor([1., 2.], requires_grad=True); y = x * 3; y.retain_grad(); "
                   "(y ** 2).sum().backward(); out = (y.grad, x.grad)",
    "nonleaf_grad_none": "x = torch.ones(2, requires_grad=True); y = x * 3; y.sum().backward(); "
                         "out = y.grad is None",
    "register_hook": "x = torch.tensor([1., 2.], requires_grad=True); h = x.register_hook(lambda g: g * 10); "
                     "(x * x).sum().backward(); out = x.grad",
    "requires_grad_int_raises": "out = torch.tensor([1, 2], requires_grad=True)",
    "requires_grad_": "x = torch.ones(2).requires_grad_(); (x * 4).sum().backward(); out = x.grad",
    "autograd_grad": "x = torch.tensor([1., 2.], requires_grad=True); out = torch.autograd.grad((x ** 3).sum(), x)",
    "double_backward": "x = torch.tensor([1., 2.], requires_grad=True)\n"
                       "(g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)\n"
                       "g.sum().backward(); out = x.grad",
    "backward_twice_raises": "x = torch.ones(2, requires_grad=True); y = (x * x).sum(); y.backward(); y.backward(); "
                             "out = x.grad",
    "item_tolist": "x = torch.tensor([[1.5, 2.0]]); out = (x[0, 1].item(), x.tolist(), torch.tensor(3).item())",
    "item_multi_raises": "out = torch.ones(2).item()",
    # ---- nn.functional ----
    "softmax_dim0": "out = F.softmax(torch.arange(6.).view(2, 3), dim=0)",
    "log_softmax_dim1": "out = F.log_softmax(torch.arange(6.).view(2, 3), dim=1)",
    "tensor_softmax": "out = torch.arange(6.).view(2, 3).softmax(-1)",
    "cross_entropy_mean": "x = torch.tensor(R(4, 5), requires_grad=True); y = torch.tensor([0, 4, 2, 1]); "
                          "l = F.cross_entropy(x, y); l.backward(); out = (l, x.grad)",
    "cross_entropy_sum_none": "x = torch.tensor(R(4, 5)); y = torch.tensor([0, 4, 2, 1]); "
                              "out = (F.cross_entropy(x, y, reduction='sum'), F.cross_entropy(x, y, reduction='none'))",
    "cross_entropy_ignore": "x = torch.tensor(R(4, 5), requires_grad=True); y = torch.tensor([0, -1, 2, -1]); "
                            "l = F.cross_entropy(x, y, ignore_index=-1); l.backward(); out = (l, x.grad)",
    "cross_entropy_smoothing": "out = F.cross_entropy(torch.tensor(R(4, 5)), torch.tensor([0, 4, 2, 1]), "
                               "label_smoothing=0.1)",
    "cross_entropy_3d": "out = F.cross_entropy(torch.tensor(R(2, 5, 3)), torch.tensor([[0, 4, 2], [1, 1, 3]]))",
    "cross_entropy_probs": "out = F.cross_entropy(torch.tensor(R(2, 3)), torch.softmax(torch.tensor(R(2, 3)) * 2, 1))",
    "nll_loss": "out = F.nll_loss(F.log_softmax(torch.tensor(R(3, 4)), 1), torch.tensor([3, 0, 1]))",
    "mse_reductions": "a = torch.tensor(R(3, 2)); b = torch.zeros(3, 2); "
                      "out = (F.mse_loss(a, b), F.mse_loss(a, b, reduction='sum'), F.mse_loss(a, b, reduction='none'))",
    "l1_loss": "out = F.l1_loss(torch.tensor(R(3, 2)), torch.ones(3, 2))",
    "bce_sum": "p = torch.sigmoid(torch.tensor(R(6))); t = torch.tensor([0., 1., 1., 0., 1., 0.]); "
               "out = F.binary_cross_entropy(p, t, reduction='sum')",
    "bce_logits": "out = F.binary_cross_entropy_with_logits(torch.tensor(R(6)), "
                  "torch.tensor([0., 1., 1., 0., 1., 0.]))",
    "bad_reduction_raises": "out = F.mse_loss(torch.ones(2), torch.zeros(2), reduction='avg')",
    "pad_constant": "out = F.pad(torch.arange(6.).view(1, 2, 3), (1, 2), value=-1.0)",
    "pad_reflect": "out = F.pad(torch.arange(8.).view(1, 2, 4), (2, 1), mode='reflect')",
    "pad_replicate_2d": "out = F.pad(torch.arange(12.).view(1, 1, 3, 4), (1, 1, 2, 0), mode='replicate')",
    "pad_circular": "out = F.pad(torch.arange(8.).view(1, 2, 4), (1, 2), mode='circular')",
    "pad_negative": "out = F.pad(torch.arange(8.).view(2, 4), (-1, 1))",
    "interpolate_nearest": "out = F.interpolate(torch.arange(4.).view(1, 1, 2, 2), scale_factor=2, mode='nearest')",
    "interpolate_bilinear": "out = F.interpolate(torch.arange(9.).view(1, 1, 3, 3), size=(5, 4), mode='bilinear', "
                            "align_corners=False)",
    "interpolate_bilinear_ac": "out = F.interpolate(torch.arange(9.).view(1, 1, 3, 3), scale_factor=2, "
                               "mode='bilinear', align_corners=True)",
    "relu_gelu_silu": "x = torch.tensor(R(5)); out = (F.relu(x), F.gelu(x), F.silu(x), F.leaky_relu(x, 0.2))",
    "gelu_tanh": "out = F.gelu(torch.tensor(R(5)), approximate='tanh')",
    "layer_norm": "out = F.layer_norm(torch.tensor(R(2, 4)), (4,))",
    "linear": "out = F.linear(torch.tensor(R(2, 3)), torch.tensor(R(4, 3)), torch.ones(4))",
    "dropout_eval": "out = F.dropout(torch.ones(4), p=0.5, training=False)",
    "embedding": "out = F.embedding(torch.tensor([[0, 2]]), torch.arange(12.).view(3, 4))",
    "sdpa_causal": "q = torch.tensor(R(1, 2, 3, 4)); k = torch.tensor(R(1, 2, 3, 4)) * 0.5; "
                   "v = torch.tensor(R(1, 2, 3, 4)); "
                   "out = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=True)",
    "sdpa_bool_mask": "q = torch.tensor(R(2, 3, 4)); m = torch.tensor([[True, False, True], [True, True, False], "
                      "[False, True, True]]); out = F.scaled_dot_product_attention(q, q * 2, q + 1, attn_mask=m)",
    # ---- nn modules and optimizers ----
    "linear_module_shapes": "m = nn.Linear(3, 2); out = (m.weight.shape, m.bias.shape, "
                            "[n for n, _ in m.named_parameters()])",
    "sequential_index": "m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)); "
                        "out = (len(m), type(m[1]).__name__, sum(p.numel() for p in m.parameters()))",
    "state_dict_keys": "m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)); out = list(m.state_dict().keys())",
    "module_train_eval": "m = nn.Dropout(0.5); m.eval(); out = (m.training, m(torch.ones(3)))",
    "sgd_step": "w = torch.tensor([1., -2.], requires_grad=True); opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)\n"
                "for _ in range(2):\n    opt.zero_grad(); (w ** 2).sum().backward(); opt.step()\nout = w.detach()",
    "adam_step": "w = torch.tensor([1., -2.], requires_grad=True); opt = torch.optim.Adam([w], lr=0.1)\n"
                 "for _ in range(3):\n    opt.zero_grad(); (w ** 2 + w).sum().backward(); opt.step()\nout = w.detach()",
    "adamw_groups": "a = torch.tensor([[1., 2.]], requires_grad=True); b = torch.tensor([0.5], requires_grad=True)\n"
                    "opt = torch.optim.AdamW([{'params': [a], 'weight_decay': 0.1}, {'params': [b], "
                    "'weight_decay': 0.0}], lr=0.1, betas=(0.9, 0.95))\n"
                    "(a.sum() * b).backward(); opt.step()\nout = (a.detach(), b.detach(), len(opt.param_groups))",
    "zero_grad_none": "w = torch.ones(2, requires_grad=True); opt = torch.optim.SGD([w], lr=0.1); "
                      "w.sum().backward(); opt.zero_grad(); out = w.grad is None",
    "clip_grad_norm": "w = torch.tensor([3., 4.], requires_grad=True); (w * w).sum().backward(); "
                      "n = torch.nn.utils.clip_grad_norm_([w], 1.0); out = (n, w.grad)",
    "init_normal_stats": "w = torch.empty(200, 200); torch.nn.init.normal_(w, mean=1.0, std=0.02); "
                         "out = (round(w.mean().item(), 2), round(w.std().item(), 2))",
    "init_zeros": "w = torch.ones(2, 2); torch.nn.init.zeros_(w); out = w",
    "parameter_is_tensor": "p = nn.Parameter(torch.zeros(2)); out = (isinstance(p, torch.Tensor), p.requires_grad)",
    # ---- names being ported (issue 25): .data, inplace=, Generator, multinomial, devices, data ----
    "data_is_detached_tensor": "x = torch.ones(2, requires_grad=True); d = x.data; "
                               "out = (isinstance(d, torch.Tensor), d.requires_grad, d)",
    "data_shares_array": "x = torch.ones(2, requires_grad=True); x.data.mul_(3); out = x.detach()",
    "data_normal_": "w = torch.empty(300, 300); w.data.normal_(0.0, 0.02); "
                    "out = (round(w.mean().item(), 2), round(w.std().item(), 3))",
    "data_fill_": "b = nn.Linear(2, 3).bias; b.data.fill_(0); out = (b.detach(), b.requires_grad)",
    "data_assign": "w = torch.ones(2, requires_grad=True); w.data = torch.zeros(2); "
                   "out = (w.detach(), w.requires_grad)",
    "relu_inplace_fn": "x = torch.tensor([-1., 2.]); y = F.relu(x, inplace=True); out = (x, y is x)",
    "leaky_module_inplace_grad": "w = torch.tensor([-1., 2.], requires_grad=True); y = w * 2; "
                                 "z = nn.LeakyReLU(0.2, inplace=True)(y); z.sum().backward(); "
                                 "out = (y.detach(), w.grad)",
    "relu_module_inplace": "x = torch.tensor([-1., 2.]); nn.ReLU(True)(x); out = x",
    "relu_inplace_saved_raises": "w = torch.tensor([-1., 2.], requires_grad=True); y = w.sigmoid(); "
                                 "nn.ReLU(inplace=True)(y); y.sum().backward(); out = w.grad",
    "relu_inplace_leaf_raises": "w = torch.tensor([-1., 2.], requires_grad=True); out = F.relu(w, inplace=True)",
    "multinomial_onehot": "out = torch.multinomial(torch.tensor([[0., 1., 0.], [0., 0., 3.]]), 1)",
    "multinomial_replacement": "out = torch.multinomial(torch.tensor([0., 2., 0.]), 4, replacement=True)",
    "multinomial_no_repeat": "s = torch.multinomial(torch.tensor([1., 2., 3., 4.]), 4); out = s.sort().values",
    "multinomial_negative_raises": "out = torch.multinomial(torch.tensor([-1., 2.]), 1)",
    "generator_reproducible": "g = torch.Generator().manual_seed(3); a = torch.randn(4, generator=g); "
                              "g.manual_seed(3); b = torch.randn(4, generator=g); out = bool((a == b).all())",
    "generator_randint": "g = torch.Generator().manual_seed(0); x = torch.randint(0, 5, (10,), generator=g); "
                         "out = (x.dtype == torch.long, x.shape, bool(((x >= 0) & (x < 5)).all()))",
    "generator_multinomial": "g = torch.Generator().manual_seed(0); "
                             "out = torch.multinomial(torch.tensor([[0., 0., 1.]]), num_samples=1, generator=g)",
    "manual_seed_repeats": "torch.manual_seed(5); a = torch.rand(3); torch.manual_seed(5); b = torch.rand(3); "
                           "out = bool((a == b).all())",
    "randn_like_dtype": "x = torch.randn_like(torch.zeros(2, 3, dtype=torch.float64)); "
                        "out = (x.shape, x.dtype == torch.float64)",
    "device_object": "d = torch.device('cpu'); out = (str(d), d.type, torch.zeros(2).to(d).device == d, "
                     "torch.zeros(2).device.type)",
    "device_selection": "device = 'cuda' if torch.cuda.is_available() else 'cpu'; x = torch.zeros(2).to(device); "
                        "out = (device in ('cpu', 'cuda'), x.is_cuda == (device == 'cuda'))",
    "long_dtype": "out = (torch.zeros(2, dtype=torch.long), torch.arange(3, dtype=torch.long))",
    "int_bool_methods": "x = torch.tensor([0.5, -1.5, 0.0]); out = (x.int(), x.bool(), x.double())",
    "tensor_dataset_loader": "ds = torch.utils.data.TensorDataset(torch.arange(10.).view(5, 2), torch.arange(5)); "
                             "dl = torch.utils.data.DataLoader(ds, batch_size=2); "
                             "out = ([b for b in dl], len(dl), len(dl.dataset), ds[1], len(ds))",
    "loader_shuffle_covers": "dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(10)), "
                             "batch_size=4, shuffle=True); xs = torch.cat([b[0] for b in dl]); "
                             "out = (xs.sort().values, len(dl))",
    "loader_drop_last": "ds = torch.utils.data.TensorDataset(torch.arange(10)); "
                        "out = len(torch.utils.data.DataLoader(ds, batch_size=4, drop_last=True))",
    "loader_default_batch": "ds = torch.utils.data.TensorDataset(torch.arange(3.)); "
                            "dl = torch.utils.data.DataLoader(ds); "
                            "out = (len(dl), next(iter(dl)))",
    "dataset_len_mismatch_raises": "out = torch.utils.data.TensorDataset(torch.zeros(3), torch.zeros(4))",
    # ---- more autograd through the ported idioms ----
    "max_dim_backward": "x = torch.tensor(R(2, 3), requires_grad=True); v, i = x.max(dim=1); v.sum().backward(); "
                        "out = (i, x.grad)",
    "topk_backward": "x = torch.tensor(R(2, 5), requires_grad=True); v, i = x.topk(2, dim=1); "
                     "(v * torch.tensor([1., 2.])).sum().backward(); out = (i, x.grad)",
    "embedding_repeat_grad": "w = torch.tensor(R(4, 3), requires_grad=True); "
                             "F.embedding(torch.tensor([[1, 1], [3, 1]]), w).sum().backward(); out = w.grad",
    "index_tensor_grad": "C = torch.tensor(R(5, 2), requires_grad=True); X = torch.tensor([[0, 1], [1, 1]]); "
                         "(C[X] ** 2).sum().backward(); out = C.grad",
    "sdpa_float_mask": "q = torch.tensor(R(2, 3, 4)); m = torch.tensor(R(3, 3)); "
                       "out = F.scaled_dot_product_attention(q, q * 0.5, q - 1, attn_mask=m)",
    "sdpa_scale_grad": "q = torch.tensor(R(1, 3, 4), requires_grad=True); "
                       "y = F.scaled_dot_product_attention(q, q.flip(1), q * 2, is_causal=True, scale=0.3); "
                       "y.sum().backward(); out = (y, q.grad)",
    "layer_norm_grad": "x = torch.tensor(R(2, 4), requires_grad=True); w = torch.ones(4, requires_grad=True); "
                       "(F.layer_norm(x, (4,), w, None, 1e-5) ** 2).sum().backward(); out = (x.grad, w.grad)",
    # ---- modules ----
    "weight_tying_dedup": "a = nn.Linear(3, 4, bias=False); e = nn.Embedding(4, 3); e.weight = a.weight; "
                          "m = nn.ModuleList([a, e]); out = (len(list(m.parameters())), e.weight is a.weight)",
    "module_apply_order": "names = []; m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LeakyReLU(0.2)); "
                          "m.apply(lambda mod: names.append(mod.__class__.__name__)); out = names",
    "batchnorm_running_stats": "bn = nn.BatchNorm1d(3); bn(torch.tensor(R(4, 3))); "
                               "out = (bn.running_mean, bn.running_var, bn.num_batches_tracked)",
    "conv_transpose_shape": "out = nn.ConvTranspose2d(8, 4, 4, 2, 1, bias=False)(torch.zeros(2, 8, 4, 4)).shape",
    "bce_module": "out = nn.BCELoss()(torch.tensor([0.2, 0.9]), torch.tensor([0., 1.]))",
    "full_fill_label": "label = torch.full((3,), 1, dtype=torch.float32); label.fill_(0); out = label",
    "module_dict": "d = nn.ModuleDict(dict(a=nn.Linear(2, 2), b=nn.ReLU())); out = (list(d.keys()), len(d), 'a' in d)",
    "builtin_abs": "out = abs(torch.tensor([-1., 2.]))",
    "tensor_as_slice_index": "a = np.arange(10); i = torch.tensor(3); out = a[i:i + 3].tolist()",
    "iterate_index_tensor": "data = np.arange(10); ix = torch.tensor([1, 4]); "
                            "out = torch.stack([torch.from_numpy(data[i:i + 2].astype(np.int64)) for i in ix])",
    # ---- misc ----
    "linspace": "out = torch.linspace(0, 1, 5)",
    "eye": "out = torch.eye(3)",
    "numpy_roundtrip": "a = np.arange(4, dtype=np.float32); t = torch.from_numpy(a); "
                       "out = (t, t.numpy().dtype == a.dtype)",
    "tensor_from_list_of_lists": "out = torch.tensor([[0, 1, 2], [3, 4, 5]])",
    "matmul_batched": "out = torch.tensor(R(2, 3, 4)) @ torch.tensor(R(4, 2))",
    "einsum": "out = torch.einsum('bij,bjk->bik', torch.tensor(R(2, 2, 3)), torch.tensor(R(2, 3, 2)))",
    "matmul_mismatch_raises": "out = torch.ones(2, 3) @ torch.ones(2, 3)",
    "broadcast_mismatch_raises": "out = torch.ones(2, 3) + torch.ones(4)",
    "eq_method": "out = torch.tensor([1, 2, 3]).eq(2)",
    "equal": "out = torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))",
    "allclose": "out = torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9]))",
}
