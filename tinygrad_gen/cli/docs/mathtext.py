"""The ops' derivations are written in plain-text math (``dz/da = 1 - tanh(a)^2``); this module finds the formula
spans in such prose, turns each into LaTeX (``e^-a`` -> ``e^{-a}``, ``sqrt(x)`` -> ``\\sqrt{x}``, ``sigma`` ->
``\\sigma``) and renders it as MathML at build time, so the site's math needs no script and no network: the browser
draws ``<math>`` itself. Prose stays prose; a span is math only if it holds an operator."""
from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eps", "lambda", "mu", "nu", "pi", "rho", "sigma", "tau",
         "theta", "phi", "psi", "omega", "Sigma", "Delta"}
FUNCTIONS = {"exp", "log", "tanh", "sin", "cos", "max", "min", "sqrt", "abs", "sign", "erf", "erfc", "sum", "mean",
             "var", "std", "sigmoid", "softmax", "relu", "gelu", "softplus", "log1p", "expm1", "cosh", "sinh", "diag",
             "clip", "prod", "Phi", "KL", "logsumexp", "argmax", "atan2", "floor", "round", "det", "tr",
             "mask", "onehot", "norm", "rsqrt", "pow", "logsigmoid", "arcsin", "arccos", "arctan", "cumsum",
             "logvar", "xhat", "rstd", "lse", "kl", "axis", "out", "inv"}
LATEX_FUNCTIONS = {"exp", "log", "tanh", "sin", "cos", "max", "min", "cosh", "sinh", "det", "arcsin", "arccos",
                   "arctan"}
# short words of English prose that must never start or extend a formula
PROSE = {"a", "an", "as", "at", "be", "by", "if", "in", "is", "it", "of", "on", "or", "so", "to", "we", "and", "the",
         "for", "not", "are", "its", "one", "two", "all", "any", "but", "can", "per", "use", "via", "was", "no", "up",
         "with", "then", "else", "from", "when", "here", "that", "this", "same", "each", "only", "both", "over"}
SYMBOLS = [("<=", r"\le "), (">=", r"\ge "), ("!=", r"\ne "), ("->", r"\to "), ("+-", r"\pm "), ("...", r"\dots "),
           ("||", r"\| "), ("~", r"\sim "), ("@", r"\mathbin{@} ")]
TOKEN = re.compile(r"\s+|\d+\.?\d*(?:e-?\d+)?|[A-Za-z_][A-Za-z0-9_]*'*|<=|>=|!=|->|\+-|\|\||\.\.\.|"
                   r"[-+*/^=<>(),\[\]|'~@]|.", re.S)
OPERATOR = re.compile(r"[=^*/<>+~@]|<=|>=|!=|->|\+-|\|\||^-$")


def _is_math_word(tok: str) -> bool:
    base = tok.rstrip("'")
    if base in GREEK or base in FUNCTIONS:
        return True
    if base.lower() in PROSE and base not in ("a",):
        return False
    if re.fullmatch(r"\d+\.?\d*(?:e-?\d+)?", base):
        return True
    head, _, sub = base.partition("_")
    if sub and re.fullmatch(r"[A-Za-z0-9]{1,3}", sub) and (_is_math_word(head) or _differential(head)):
        return True  # x_i, mu_j, logvar_j, sum_k, dy_i
    return _differential(base) or bool(re.fullmatch(r"[A-Za-z][A-Za-z]?\d*", base))  # x, dz, x1; not words


def _differential(word: str) -> bool:
    """dx, dmu, dlogvar: a d in front of a math word."""
    return len(word) > 1 and word[0] == "d" and (word[1:] in GREEK or word[1:] in FUNCTIONS or len(word) == 2)


def _mathy(tok: str) -> bool:
    return bool(tok) and (tok.isspace() or tok in "()[]|," or bool(OPERATOR.fullmatch(tok)) or tok == "-"
                          or tok in ("<=", ">=", "!=", "->", "+-", "...") or _is_math_word(tok))


def _word(tok: str) -> str:
    """One identifier in LaTeX."""
    primes = tok[len(tok.rstrip("'")):]
    base = tok.rstrip("'")
    if base == "eps":
        base = "epsilon"
    if base in GREEK:
        return "\\" + base + primes
    if base in LATEX_FUNCTIONS:
        return "\\" + base + " " + primes
    if "_" not in base and len(base) > 2 and _differential(base) and base not in FUNCTIONS:
        return "d" + _word(base[1:]) + primes  # dmu -> d\mu
    if base in FUNCTIONS or len(base) > 1 and "_" not in base and not re.fullmatch(r"[A-Za-z]\d+", base):
        if len(base) == 2 and base[0] == "d":  # dz, da: a differential reads better upright-free
            return base + primes
        return r"\operatorname{" + base.replace("_", r"\_") + "}" + primes
    if "_" in base:
        head, sub = base.split("_", 1)
        return f"{_word(head)}_{{{sub}}}" + primes
    m = re.fullmatch(r"([A-Za-z])(\d+)", base)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}" + primes
    return base + primes


def _group(tokens, i):
    """The LaTeX of the operand starting at ``tokens[i]`` (a bracketed group without its brackets, a signed word, a
    word) and the index after it; for exponents and square roots."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return "", i
    if tokens[i] == "(":
        depth, j = 0, i
        while j < len(tokens):
            depth += tokens[j] == "("
            depth -= tokens[j] == ")"
            if depth == 0:
                break
            j += 1
        return to_latex_tokens(tokens[i + 1:j]), j + 1
    if tokens[i] == "-" and i + 1 < len(tokens):
        inner, j = _group(tokens, i + 1)
        return "-" + inner, j
    return to_latex_tokens([tokens[i]]), i + 1


def to_latex_tokens(tokens) -> str:
    """The LaTeX of a list of tokens (see ``to_latex``)."""
    out, i = [], 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "^":
            inner, i = _group(tokens, i + 1)
            out.append("^{" + inner + "}")
            continue
        if tok == "sqrt" and i + 1 < len(tokens) and tokens[i + 1] == "(":
            inner, i = _group(tokens, i + 1)
            out.append(r"\sqrt{" + inner + "}")
            continue
        if tok.isspace():
            out.append(" ")
        elif tok == "*":
            out.append(r"\, ")
        elif tok in dict(SYMBOLS):
            out.append(dict(SYMBOLS)[tok])
        elif tok == "|":
            out.append(r"\vert ")
        elif tok[0].isalpha() or tok[0] == "_":
            out.append(_word(tok))
        elif tok in "{}":
            out.append("\\" + tok)
        else:
            out.append(tok)
        i += 1
    return "".join(out).strip()


def to_latex(text: str) -> str:
    """A plain-text formula as LaTeX: ``1 / (1 + exp(-a))`` -> ``1 / (1 + \\exp (-a))``."""
    return to_latex_tokens(TOKEN.findall(text))


def mathml(latex: str, display: bool = False) -> str:
    """LaTeX as a MathML element (``display="block"`` for a formula on its own line). Inline math is wrapped in a
    ``<span>``: Markdown reads a line that starts with an unknown tag such as ``<math>`` as a block of its own."""
    if display:
        return convert(latex, display="block")
    return '<span class="math">' + convert(latex, display="inline") + "</span>"


def _balanced_prefix(tokens) -> int:
    """How many leading tokens form a span whose brackets all match: cut before a closer that opens nothing, or at
    the first opener that is never closed."""
    opened = []
    for i, t in enumerate(tokens):
        if t in "([":
            opened.append(i)
        elif t in ")]":
            if not opened:
                return i
            opened.pop()
    return opened[0] if opened else len(tokens)


def _trim(span):
    while span and (span[-1].isspace() or span[-1] in ",(" or OPERATOR.fullmatch(span[-1])):
        span.pop()  # a formula never ends on an operator, a comma or an opening bracket
    return span


def prose_with_math(text: str) -> str:
    """HTML of a line of prose in which every formula span (math words and operators, at least one operator) is
    MathML and the rest is escaped text."""
    tokens = TOKEN.findall(text)
    out, i = [], 0
    while i < len(tokens):
        if not _mathy(tokens[i]) or tokens[i].isspace() or tokens[i] in "),]":
            out.append(html.escape(tokens[i]))
            i += 1
            continue
        j = i
        while j < len(tokens) and _mathy(tokens[j]):
            j += 1
        span = _trim(tokens[i:j])
        span = _trim(span[:_balanced_prefix(span)])
        ops = [t for t in span if OPERATOR.fullmatch(t) and t != "-" or t == "^"]
        words = [t for t in span if t[:1].isalnum()]
        if ops and words:
            try:
                out.append(mathml(to_latex_tokens(span)))
            except Exception:  # a span latex2mathml cannot read stays as written
                out.append(html.escape("".join(span)))
            i += len(span)
        else:
            out.append(html.escape(tokens[i]))
            i += 1
    return "".join(out)
