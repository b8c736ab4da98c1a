"""The `tracker` command's help pages and usage errors in Swedish, Typer's own words included.

Typer carries its own copy of Click, whose words ("Usage:", "Show this message and exit.",
"Missing argument", ...) are plain English strings rather than gettext calls, so no
translation catalogue reaches them. Instead every group and command of `tracker` is built
with the classes below (Typer's documented `cls=` hook, set once by `CommandGroup`): they
write the help page with Click's plain HelpFormatter in Swedish, and turn the parser's usage
errors into Swedish ones before Typer prints them. Typer's rich output is switched off for
the same reason: its panel titles and type placeholders (`<str>`, `<bool>`) are fixed English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import IO, Any

import typer

# The parser's exceptions and Click's help formatter live in Typer's copy of Click; they are
# not re-exported, and these classes have to catch and extend them.
from typer._click import Command, Context, HelpFormatter, Parameter
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

USAGE_PREFIX = "Användning: "
OPTIONS_METAVAR = "[FLAGGOR]"
SUBCOMMAND_METAVAR = "KOMMANDO [ARGUMENT]..."
HELP_OPTION_HELP = "Visa den här hjälpen och avsluta."
VALUE_METAVAR = "VÄRDE"


class CommandGroup(typer.Typer):
    """A `typer.Typer` whose group and commands speak Swedish; every module of `tracker.cli`
    makes its group with this, so a new command needs nothing more."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", SwedishGroup)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("add_completion", False)
        super().__init__(rich_markup_mode=None, **kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", SwedishCommand)
        return super().command(name, **kwargs)


class SwedishCommand(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        return _swedish_help_option(super().get_help_option(ctx))

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_usage(self, ctx, formatter)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_help(self, ctx, formatter)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with _errors_in_swedish():
            return super().parse_args(ctx, args)


class SwedishGroup(TyperGroup):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        return _swedish_help_option(super().get_help_option(ctx))

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar]

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_usage(self, ctx, formatter)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_help(self, ctx, formatter, commands=_command_rows(self, ctx, formatter))

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with _errors_in_swedish():
            return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        with _errors_in_swedish():
            return super().resolve_command(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        # A group called without a command fails here, and a command's own
        # typer.BadParameter passes through here.
        with _errors_in_swedish():
            return super().invoke(ctx)


# --- the help page ---------------------------------------------------------------------------


def _swedish_help_option(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = HELP_OPTION_HELP
    return option


def _usage_pieces(command: TyperCommand | TyperGroup, ctx: Context) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = metavar_of(param) + ("..." if param.nargs != 1 else "")
            pieces.append(name if param.required else f"[{name}]")
    return pieces


def _write_usage(command: TyperCommand | TyperGroup, ctx: Context, fmt: HelpFormatter) -> None:
    pieces = command.collect_usage_pieces(ctx)
    fmt.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)


def _write_help(
    command: TyperCommand | TyperGroup,
    ctx: Context,
    fmt: HelpFormatter,
    commands: Sequence[tuple[str, str]] = (),
) -> None:
    command.format_usage(ctx, fmt)
    command.format_help_text(ctx, fmt)
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    sections = (
        ("Argument", [_help_record(p, ctx) for p in params if isinstance(p, TyperArgument)]),
        ("Flaggor", [_help_record(p, ctx) for p in params if isinstance(p, TyperOption)]),
        ("Kommandon", commands),
    )
    for title, rows in sections:
        if rows:
            with fmt.section(title):
                fmt.write_dl(rows)
    command.format_epilog(ctx, fmt)


def _command_rows(group: TyperGroup, ctx: Context, fmt: HelpFormatter) -> list[tuple[str, str]]:
    shown = [(n, c) for n in group.list_commands(ctx) if (c := group.get_command(ctx, n))]
    shown = [(n, c) for n, c in shown if not c.hidden]
    if not shown:
        return []
    limit = fmt.width - 6 - max(len(n) for n, _ in shown)
    return [(n, c.get_short_help_str(limit)) for n, c in shown]


def _help_record(param: Parameter, ctx: Context) -> tuple[str, str]:
    extras = [_default(param, ctx), "krävs" if param.required else ""]
    extras = [e for e in extras if e]
    help_text = getattr(param, "help", None) or ""
    if extras:
        help_text = f"{help_text}  [{'; '.join(extras)}]".strip()
    return _names(param), help_text


def _names(param: Parameter) -> str:
    if isinstance(param, TyperArgument):
        return metavar_of(param)
    names = ", ".join(param.opts)
    if param.secondary_opts:
        names += " / " + ", ".join(param.secondary_opts)
    if isinstance(param, TyperOption) and param.is_flag:
        return names
    return f"{names} {metavar_of(param)}"


def metavar_of(param: Parameter) -> str:
    """The placeholder shown for a value: the parameter's own metavar, else a Swedish word for
    its type (never Typer's `<str>` or Click's TEXT)."""
    if param.metavar:
        return param.metavar
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None)
    if choices:
        return "|".join(str(c.value if isinstance(c, Enum) else c) for c in choices)
    if getattr(descriptor, "is_path", False):
        return "SÖKVÄG"
    return _TYPE_WORDS.get(getattr(descriptor, "annotation", None), VALUE_METAVAR)


_TYPE_WORDS: dict[Any, str] = {
    int: "TAL",
    float: "TAL",
    date: "DATUM",
    datetime: "TIDPUNKT",
}


def _default(param: Parameter, ctx: Context) -> str:
    if not isinstance(param, TyperOption) or not param.show_default:
        return ""
    value = param.get_default(ctx, call=False)
    if param.is_flag:
        # A switch pair shows which side is on; a lone flag is off unless given.
        chosen = param.opts if value else param.secondary_opts
        return f"standard: {chosen[0]}" if param.secondary_opts and chosen else ""
    if value is None or value == "" or callable(value):
        return ""
    shown = value.value if isinstance(value, Enum) else value
    return f"standard: {shown}"


# --- usage errors ----------------------------------------------------------------------------


class SwedishUsageError(UsageError):
    """A usage error as the user sees it: the usage line, where help is, and what is wrong."""

    def show(self, file: IO[Any] | None = None) -> None:
        ctx = self.ctx
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = f"Skriv '{ctx.command_path} {ctx.help_option_names[0]}' för hjälp.\n"
            typer.echo(f"{ctx.get_usage()}\n{hint}", file=file, err=True, color=ctx.color)
        typer.echo(f"Fel: {self.format_message()}", file=file, err=True)


@contextmanager
def _errors_in_swedish() -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        swedish = in_swedish(exc)
        if swedish is exc:
            raise
        raise swedish from None


def in_swedish(exc: UsageError) -> UsageError:
    """The same usage error with a Swedish message; a help page (no arguments) stays as it is."""
    if isinstance(exc, NoArgsIsHelpError | SwedishUsageError):
        return exc
    error = SwedishUsageError(_message(exc), exc.ctx)
    error.exit_code = exc.exit_code
    return error


def _message(exc: UsageError) -> str:
    if isinstance(exc, MissingParameter):
        kind = "Argumentet" if isinstance(exc.param, TyperArgument) else "Flaggan"
        return f"{kind} {_hint(exc)} saknas."
    if isinstance(exc, BadParameter):
        return f"Ogiltigt värde för {_hint(exc)}: {_detail(exc.message)}"
    if isinstance(exc, NoSuchOption):
        return f"Det finns ingen flagga {exc.option_name}." + _did_you_mean(exc.possibilities)
    if isinstance(exc, BadOptionUsage):
        needs = "tar inget värde" if "does not take" in exc.message else "behöver ett värde"
        return f"Flaggan {exc.option_name} {needs}."
    return _rewrite(exc.message, _PLAIN_MESSAGES)


def _hint(exc: BadParameter) -> str:
    param = exc.param
    if isinstance(param, TyperArgument):
        return f"'{metavar_of(param)}'"
    if isinstance(param, TyperOption):
        return " / ".join(f"'{o}'" for o in param.opts)
    hint = exc.param_hint
    return hint if isinstance(hint, str) else " / ".join(f"'{h}'" for h in hint or ())


def _did_you_mean(possibilities: Sequence[str] | None) -> str:
    if not possibilities:
        return ""
    return f" Menade du {' eller '.join(sorted(possibilities))}?"


def _detail(message: str) -> str:
    # pydantic puts "Value error, " before a validator's own message.
    return _rewrite(message.removeprefix("Value error, "), _VALUE_MESSAGES)


def _rewrite(message: str, table: Sequence[tuple[re.Pattern[str], str]]) -> str:
    for pattern, swedish in table:
        found = pattern.fullmatch(message.strip())
        if found:
            return found.expand(swedish).replace("' or '", "' eller '")
    return message


_NO_SUCH_COMMAND = r"Det finns inget kommando '\1'."
_PLAIN_MESSAGES = [
    (re.compile(r"Got unexpected extra argument\(s\) \((.*)\)"), r"För många argument: \1."),
    (
        re.compile(r"No such command '(.*)'\. Did you mean (.*)\?"),
        _NO_SUCH_COMMAND + r" Menade du \2?",
    ),
    (re.compile(r"No such command '(.*)'\."), _NO_SUCH_COMMAND),
    (re.compile(r"Missing command\."), "Ange ett kommando."),
    (re.compile(r"Argument '(.*)' takes (\d+) values\."), r"Argumentet '\1' tar \2 värden."),
]

# Typer checks values with pydantic and reports its first message.
_VALUE_MESSAGES = [
    (re.compile(r"Input should be a valid integer.*"), "ska vara ett heltal."),
    (re.compile(r"Input should be a valid number.*"), "ska vara ett tal."),
    (re.compile(r"Input should be a valid date.*"), "ska vara ett datum (ÅÅÅÅ-MM-DD)."),
    (re.compile(r"Input should be a valid datetime.*"), "ska vara en tidpunkt."),
    (re.compile(r"Input should be less than or equal to (.+)"), r"får vara högst \1."),
    (re.compile(r"Input should be greater than or equal to (.+)"), r"ska vara minst \1."),
    (re.compile(r"Input should be less than (.+)"), r"ska vara mindre än \1."),
    (re.compile(r"Input should be greater than (.+)"), r"ska vara större än \1."),
    (re.compile(r"Input should be (.+)"), r"ska vara \1."),
    (re.compile(r"(.+) is not one of (.+)\."), r"\1 är inte något av \2."),
    (re.compile(r"\w+ (.+) does not exist\."), r"\1 finns inte."),
    (re.compile(r"\w+ (.+) is a file\."), r"\1 är en fil."),
    (re.compile(r"\w+ (.+) is a directory\."), r"\1 är en mapp."),
    (re.compile(r"\w+ (.+) is not readable\."), r"\1 går inte att läsa."),
    (re.compile(r"\w+ (.+) is not writable\."), r"\1 går inte att skriva till."),
]
