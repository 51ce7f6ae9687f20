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
