"""The differentiable primitives. Each op is a small ``Function`` with its forward on arrays and, right beside it,
its hand-derived backward written in Tensor ops (so it can be differentiated again)."""
