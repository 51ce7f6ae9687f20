"""Learning-rate schedules. Each ``step()`` advances the epoch (or iteration) count and writes the new rate into
every parameter group's ``lr``; the rate is a closed-form function of that count times the group's initial rate."""
import math


class LRScheduler:
    """The base of the schedules (PyTorch's ``lr_scheduler.LRScheduler``): ``step()`` advances the count and
    writes each parameter group's ``lr``; a subclass says the rate at step t in ``lr_at``."""
    def __init__(self, optimizer):
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = -1
        self.step()  # as in PyTorch: the rate of step 0 is in place before the first optimizer step

    def lr_at(self, base_lr, t, i):
        """The rate at step ``t`` of parameter group ``i``, whose initial rate is ``base_lr``."""
        raise NotImplementedError

    def get_lr(self):
        """The rates of every parameter group at the current step (PyTorch's ``get_lr``)."""
        return [self.lr_at(base, self.last_epoch, i) for i, base in enumerate(self.base_lrs)]

    def step(self):
        """Advance one step (an epoch or an iteration, as the caller counts) and set the groups' rates."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for g, lr in zip(self.optimizer.param_groups, lrs):
            g["lr"] = lr
        self._last_lr = lrs

    def get_last_lr(self):
        """The rates the last ``step()`` set, one per parameter group (PyTorch's ``get_last_lr``)."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (and LambdaLR's functions): plain numbers and lists, JSON-able."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` returned (PyTorch's ``load_state_dict``)."""
        self.__dict__.update({k: list(v) if isinstance(v, tuple) else v for k, v in state_dict.items()})


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(step); one function, or one per parameter group."""

    def __init__(self, optimizer, lr_lambda):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: {len(self.lr_lambdas)} lr_lambdas for {n} parameter groups")
        super().__init__(optimizer)

    def lr_at(self, base_lr, t, i):
        """initial_lr * lr_lambda(t)."""
        return base_lr * self.lr_lambdas[i](t)


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (step // step_size): divided by 1/gamma every step_size steps."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, t, i):
        """initial_lr * gamma ** (t // step_size)."""
        return base_lr * self.gamma ** (t // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) (1 + cos(pi t / T_max)) / 2: half a cosine from the initial rate
    down to eta_min at t = T_max (and, like PyTorch, back up after it)."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, t, i):
        """eta_min + (initial_lr - eta_min) (1 + cos(pi t / T_max)) / 2."""
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class WarmupCosineLR(LRScheduler):
    """The GPT-3 schedule: a linear warm-up, lr = initial_lr * (t + 1) / warmup_steps for t < warmup_steps, then a
    cosine decay from initial_lr to min_lr_ratio * initial_lr at t = total_steps, and that floor afterwards.
    The warm-up keeps the first, large and noisy Adam updates small while its moment estimates settle."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr_ratio=0.1):
        if not 0 <= warmup_steps <= total_steps or total_steps < 1:
            raise ValueError(f"WarmupCosineLR: need 0 <= warmup_steps <= total_steps and total_steps >= 1, got "
                             f"warmup_steps={warmup_steps}, total_steps={total_steps}")
        if not 0 <= min_lr_ratio <= 1:
            raise ValueError(f"WarmupCosineLR: min_lr_ratio must be in [0, 1], got {min_lr_ratio}")
        self.warmup_steps, self.total_steps, self.min_lr_ratio = warmup_steps, total_steps, min_lr_ratio
        super().__init__(optimizer)

    def lr_at(self, base_lr, t, i):
        """The warm-up line, then the cosine, then the floor (see the class docstring)."""
        if t < self.warmup_steps:
            return base_lr * (t + 1) / self.warmup_steps
        if t >= self.total_steps:
            return base_lr * self.min_lr_ratio
        progress = (t - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        eta_min = base_lr * self.min_lr_ratio
        return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * progress)) / 2


class ReduceLROnPlateau(LRScheduler):
    """Multiply every group's rate by ``factor`` once the metric passed to ``step(metric)`` has not improved for
    more than ``patience`` steps; ``cooldown`` steps then pass before bad steps count again. "Improved" means
    below best * (1 - threshold) ("min", "rel"), below best - threshold ("min", "abs"), above best * (1 +
    threshold) ("max", "rel") or above best + threshold ("max", "abs"). A rate never goes below its ``min_lr``,
    and a change smaller than ``eps`` is skipped. PyTorch: ``torch.optim.lr_scheduler.ReduceLROnPlateau``."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: {len(min_lr)} min_lrs for {n} parameter groups")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        """True while steps after a reduction are not counted as bad."""
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        """Whether metric ``a`` improves on ``best`` by the threshold (see the class)."""
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if self.threshold_mode == "rel" else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if self.threshold_mode == "rel" else a > best + self.threshold

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element Tensor) and reduce the rates on a plateau."""
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for g, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


def _per_group(name, optimizer, value):
    """One value per parameter group: a list or tuple of that length, or a number repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"OneCycleLR: {name} has {len(value)} values for {n} parameter groups")
        return list(value)
    return [value] * n


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2017), stepped once per batch: the rate rises from max_lr / div_factor to
    max_lr over the first pct_start of ``total_steps`` (or epochs * steps_per_epoch), then anneals ("cos" or
    "linear") down to initial_lr / final_div_factor; ``three_phase`` comes back to the initial rate first and
    anneals to the minimum in a third phase. With ``cycle_momentum`` the momentum (SGD's, or Adam's beta1)
    moves the opposite way, between max_momentum and base_momentum. Phase k ends at step e_k (pct_start * total
    - 1, then total - 1), and within it pct = (t - e_{k-1}) / (e_k - e_{k-1}). PyTorch:
    ``torch.optim.lr_scheduler.OneCycleLR`` (stepping past total_steps is an error there and here)."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: expected a positive integer total_steps, got {total_steps}")
        elif epochs is not None and steps_per_epoch is not None:
            for name, v in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(v, int) or v <= 0:
                    raise ValueError(f"OneCycleLR: expected a positive integer {name}, got {v}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected a float pct_start between 0 and 1, got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        if three_phase:
            self.phases = [(float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum",
                            "base_momentum"),
                           (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                            "max_momentum"),
                           (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum",
                            "base_momentum"),
                           (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        groups = optimizer.param_groups
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: {type(optimizer).__name__} has neither momentum nor betas; "
                                 "pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            maxes = _per_group("max_momentum", optimizer, max_momentum)
            bases = _per_group("base_momentum", optimizer, base_momentum)
        for i, (g, top) in enumerate(zip(groups, _per_group("max_lr", optimizer, max_lr))):
            g["initial_lr"] = top / div_factor
            g["max_lr"] = top
            g["min_lr"] = g["initial_lr"] / final_div_factor
            if cycle_momentum:
                if self.use_beta1:
                    g["betas"] = (maxes[i], *g["betas"][1:])
                else:
                    g["momentum"] = maxes[i]
                g["max_momentum"], g["base_momentum"] = maxes[i], bases[i]
        super().__init__(optimizer)

    def anneal(self, start, end, pct):
        """From ``start`` at pct = 0 to ``end`` at pct = 1: half a cosine, or a line."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        """The rates at the current step (and, with cycle_momentum, the momenta written into the groups)."""
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, but total_steps is {self.total_steps}")
        lrs = []
        for g in self.optimizer.param_groups:
            start = 0.0
            for k, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
                if t <= end or k == len(self.phases) - 1:
                    pct = (t - start) / (end - start)
                    lrs.append(self.anneal(g[lr0], g[lr1], pct))
                    if self.cycle_momentum:
                        m = self.anneal(g[m0], g[m1], pct)
                        if self.use_beta1:
                            g["betas"] = (m, *g["betas"][1:])
                        else:
                            g["momentum"] = m
                    break
                start = end
        return lrs
