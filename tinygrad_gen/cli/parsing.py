"""What the ``tgg`` subcommands' parsers share: errors as one line, and every option's default in ``--help``."""
import argparse


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints the whole usage first) and exit 2."""

    def error(self, message):
        """Exit 2 with one line naming the problem (argparse's hook for usage errors)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def description(doc):
    """The first paragraph of a docstring (all of its lines, not just the first) as one line."""
    first = (doc or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in first.splitlines())


def show_defaults(parser):
    """Append "(default: X)" to the help of every option that has a default and does not show it yet, including
    options added without a help text (argparse's ArgumentDefaultsHelpFormatter skips those)."""
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS or isinstance(
                action, (argparse._HelpAction, argparse._StoreTrueAction, argparse._StoreFalseAction)):
            continue
        if action.default is None or "%(default)" in (action.help or "") or "default" in (action.help or ""):
            continue
        action.help = f"{action.help} (default: %(default)s)" if action.help else "(default: %(default)s)"
