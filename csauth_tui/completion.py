"""`csauth completion bash|zsh|fish`: a static completion script generated from the
argparse parser, and `csauth _names` (hidden), which the scripts call for profile names.

Why generated here rather than with argcomplete or shtab: argcomplete hooks every start of
`csauth` (importing it cost 13.9 ms here, a quarter of a cached `csauth token`); shtab
would be a dependency for what a hundred lines do. The script is static, so a start pays
nothing; only profile names are looked up at TAB time, by `csauth _names`, which reads the
profiles file with tomllib and nothing else (standard library only, no validation).

argparse has no public API to walk a parser: `_actions` is read, as argcomplete and shtab
do; tests/e2e/test_completion.py runs the scripts, so a change there shows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from .core import paths
from .core.errors import EXIT_OK

# Arguments whose metavar does not say they take a profile name.
PROFILE_ARGS = {("rm", "name")}


@dataclass
class Option:
    flags: list[str]
    kind: str  # "" (a flag), "profile", "file", "choices:a b c", "any"
    help: str = ""


@dataclass
class Command:
    path: str  # "" for csauth itself, "token", "secret set"
    help: str = ""
    options: list[Option] = field(default_factory=list)
    positionals: list[tuple[str, bool]] = field(default_factory=list)  # (kind, repeats)
    subcommands: list[str] = field(default_factory=list)


def kind_of(path: str, action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.choices is not None and not isinstance(action.choices, dict):
        return "choices:" + " ".join(str(c) for c in action.choices)
    metavar = action.metavar or ""
    if metavar in ("PROFILE", "GLOB") or (path, action.dest) in PROFILE_ARGS:
        return "profile"
    if metavar in ("FILE", "PATH"):
        return "file"
    return "any"


def commands(parser: argparse.ArgumentParser, path: str = "", help: str = "") -> Iterator[Command]:
    """Every command of `parser`, itself first; hidden ones (named _x, or without help) left
    out."""
    command = Command(path, help)
    nested = []
    for action in parser._actions:  # noqa: SLF001 - see the module's docstring
        if isinstance(action.choices, dict):  # subcommands
            # argparse's subparsers action: no public way to list its commands' help
            subactions = action._get_subactions()  # type: ignore[attr-defined]
            helps = {a.dest: a.help or "" for a in subactions}
            for name, sub in action.choices.items():
                if name.startswith("_") or name not in helps:
                    continue
                command.subcommands.append(name)
                nested.append((sub, f"{path} {name}".strip(), helps[name]))
        elif action.option_strings:
            command.options.append(
                Option(list(action.option_strings), kind_of(path, action), action.help or "")
            )
        else:
            command.positionals.append((kind_of(path, action), action.nargs in ("*", "+")))
    yield command
    for sub, sub_path, sub_help in nested:
        yield from commands(sub, sub_path, sub_help)


def completion(args: argparse.Namespace) -> int:
    from .cli import build_parser

    found = list(commands(build_parser()))
    sys.stdout.write({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](found))
    return EXIT_OK


def names(args: argparse.Namespace) -> int:
    """The profile names of the profiles file, one a line: the ones a command line can hold
    as they are (letters, digits, - and _), so a completion never inserts anything else."""
    from .core.profiles import NAME_RE, read_toml

    path = paths.config_path(args.config)
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return EXIT_OK
    table = read_toml(path, text).get("profiles")
    if isinstance(table, dict):
        sys.stdout.write("".join(f"{name}\n" for name in table if NAME_RE.match(name)))
    return EXIT_OK


# --- bash and zsh ------------------------------------------------------------------------


def sh_word(text: str) -> str:
    """`text` in double quotes for a case pattern or a word list (only safe characters
    reach here: option names, choices, command names)."""
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        + '"'
    )


def helpers(found: list[Command]) -> str:
    """The tables both shells read, as case statements (bash 3.2 has no associative arrays);
    each sets _csauth_r."""
    subs, opts, values, positionals = [], [], [], []
    for c in found:
        if c.subcommands:
            subs.append(
                f"        {sh_word(c.path)}) _csauth_r={sh_word(' '.join(c.subcommands))};;"
            )
        opts.append(
            f"        {sh_word(c.path)}) _csauth_r="
            f"{sh_word(' '.join(f for o in c.options for f in o.flags))};;"
        )
        for o in c.options:
            if o.kind:
                for flag in o.flags:
                    values.append(
                        f"        {sh_word(c.path + ' ' + flag)}) _csauth_r={sh_word(o.kind)};;"
                    )
        for i, (kind, repeats) in enumerate(c.positionals):
            if kind and kind != "any":
                pattern = (sh_word(f"{c.path} ") + "*") if repeats else sh_word(f"{c.path} {i}")
                positionals.append(f"        {pattern}) _csauth_r={sh_word(kind)};;")

    def case(name: str, doc: str, subject: str, rows: list[str]) -> str:
        body = "\n".join(rows + ['        *) _csauth_r="";;'])
        return f"{name}() {{  # {doc}\n    case {subject} in\n{body}\n    esac\n}}\n"

    return "".join(
        [
            case("_csauth_subs", "$1: a command -> its subcommands", '"$1"', subs),
            case("_csauth_opts", "$1: a command -> its options", '"$1"', opts),
            case(
                "_csauth_value",
                "$1 $2: a command and an option -> what its value is (empty: a flag)",
                '"$1 $2"',
                values,
            ),
            case(
                "_csauth_pos",
                "$1 $2: a command and a positional's index -> what it is",
                '"$1 $2"',
                positionals,
            ),
            "_csauth_names() {  # $1: the --config typed on the line, if any\n"
            '    if [[ -n $1 ]]; then command csauth --config "$1" _names 2>/dev/null\n'
            "    else command csauth _names 2>/dev/null; fi\n}\n",
        ]
    )


# Walks the words before the cursor: which command they name (_cp), the option waiting
# for a value (_exp), how many positionals were given (_pos), the --config given (_cfg),
# and whether exec's -- was passed (_dd: words after it).
WALK = """\
    local _cp="" _exp="" _cfg="" _pos=0 _dd=-1 _w _i _csauth_r
    for ((_i = FIRST; _i < LAST; _i++)); do
        _w="${WORDS[_i]}"
        if ((_dd >= 0)); then _dd=$((_dd + 1)); continue; fi
        [[ $_w == "=" ]] && continue  # bash splits --opt=value at the =
        if [[ -n $_exp ]]; then
            [[ $_exp == --config ]] && _cfg="$_w"
            _exp=""; continue
        fi
        case "$_w" in
            --) [[ $_cp == exec ]] && _dd=0; continue;;
            --*=*) continue;;
            -*) _csauth_value "$_cp" "$_w"; [[ -n $_csauth_r ]] && _exp="$_w"; continue;;
        esac
        _csauth_subs "$_cp"
        if [[ -n $_csauth_r && $_pos -eq 0 && " $_csauth_r " == *" $_w "* ]]; then
            _cp="${_cp:+$_cp }$_w"; continue
        fi
        _pos=$((_pos + 1))
    done
    [[ $_cur == "=" ]] && _cur=""
"""


def bash(found: list[Command]) -> str:
    walk = WALK.replace("WORDS", "COMP_WORDS").replace("FIRST", "1").replace("LAST", "COMP_CWORD")
    return f"""\
# bash completion for csauth: generated by `csauth completion bash`. Install it with
#   csauth completion bash > ~/.local/share/bash-completion/completions/csauth
# or add `eval "$(csauth completion bash)"` to ~/.bashrc.
{helpers(found)}
_csauth() {{
    local _cur="${{COMP_WORDS[COMP_CWORD]}}"
{walk}    COMPREPLY=()
    if ((_dd == 0)); then COMPREPLY=($(compgen -c -- "$_cur")); return; fi
    if ((_dd > 0)); then COMPREPLY=($(compgen -f -- "$_cur")); return; fi
    local _kind=""
    if [[ -n $_exp ]]; then
        _csauth_value "$_cp" "$_exp"; _kind=$_csauth_r
    elif [[ $_cur == -* ]]; then
        _csauth_opts "$_cp"; COMPREPLY=($(compgen -W "$_csauth_r" -- "$_cur")); return
    else
        _csauth_subs "$_cp"
        if [[ -n $_csauth_r && $_pos -eq 0 ]]; then
            COMPREPLY=($(compgen -W "$_csauth_r" -- "$_cur")); return
        fi
        _csauth_pos "$_cp" "$_pos"; _kind=$_csauth_r
    fi
    case "$_kind" in
        profile) COMPREPLY=($(compgen -W "$(_csauth_names "$_cfg")" -- "$_cur"));;
        file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$_cur"));;
        choices:*) COMPREPLY=($(compgen -W "${{_kind#choices:}}" -- "$_cur"));;
    esac
}}
complete -F _csauth csauth
"""


def zsh(found: list[Command]) -> str:
    walk = WALK.replace("WORDS", "words").replace("FIRST", "2").replace("LAST", "CURRENT")
    return f"""\
#compdef csauth
# zsh completion for csauth: generated by `csauth completion zsh`. Install it with
#   csauth completion zsh > "${{fpath[1]}}/_csauth"   (a directory of your $fpath)
# or add `eval "$(csauth completion zsh)"` to ~/.zshrc after compinit.
{helpers(found)}
_csauth() {{
    local _cur="${{words[CURRENT]}}"
{walk}    if ((_dd == 0)); then _command_names; return; fi
    if ((_dd > 0)); then _files; return; fi
    local _kind=""
    if [[ -n $_exp ]]; then
        _csauth_value "$_cp" "$_exp"; _kind=$_csauth_r
    elif [[ $_cur == -* ]]; then
        _csauth_opts "$_cp"; compadd -- ${{=_csauth_r}}; return
    else
        _csauth_subs "$_cp"
        if [[ -n $_csauth_r && $_pos -eq 0 ]]; then compadd -- ${{=_csauth_r}}; return; fi
        _csauth_pos "$_cp" "$_pos"; _kind=$_csauth_r
    fi
    case "$_kind" in
        profile) compadd -- ${{(f)"$(_csauth_names "$_cfg")"}};;
        file) _files;;
        choices:*) compadd -- ${{=_kind#choices:}};;
    esac
}}
if [[ "${{funcstack[1]}}" == "_csauth" ]]; then _csauth "$@"; else compdef _csauth csauth; fi
"""


# --- fish ------------------------------------------------------------------------------


def fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def short(help_text: str) -> str:
    """The first clause of a help text, for fish's description column."""
    first = help_text.split(";")[0].split(" (")[0].strip()
    return first[:60]


def fish(found: list[Command]) -> str:
    lines = [
        "# fish completion for csauth: generated by `csauth completion fish`. Install it with",
        "#   csauth completion fish > ~/.config/fish/completions/csauth.fish",
        "function __csauth_names",
        "    set -l words (commandline -opc)",
        "    set -l config",
        "    for i in (seq (count $words))",
        '        if test "$words[$i]" = --config; and test $i -lt (count $words)',
        "            set config --config $words[(math $i + 1)]",
        "        end",
        "    end",
        "    command csauth $config _names 2>/dev/null",
        "end",
        "complete -c csauth -f",
    ]
    by_path = {c.path: c for c in found}

    def condition(path: str) -> str:
        if not path:
            return "__fish_use_subcommand"
        parts = path.split()
        test = "; and ".join(f"__fish_seen_subcommand_from {p}" for p in parts)
        children = by_path[path].subcommands
        if children:
            test += f"; and not __fish_seen_subcommand_from {' '.join(children)}"
        return test

    def values(kind: str) -> str:
        if kind == "profile":
            return "-x -a '(__csauth_names)'"
        if kind == "file":
            return "-r -F"
        if kind.startswith("choices:"):
            return f"-x -a {fish_quote(kind[8:])}"
        return "-x" if kind else ""

    for c in found:
        when = f"-n {fish_quote(condition(c.path))}"
        for name in c.subcommands:
            sub = by_path[f"{c.path} {name}".strip()]
            lines.append(f"complete -c csauth {when} -a {name} -d {fish_quote(short(sub.help))}")
        for o in c.options:
            flags = " ".join(
                f"-l {f[2:]}" if f.startswith("--") else f"-s {f[1:]}" for f in o.flags
            )
            described = f" -d {fish_quote(short(o.help))}" if o.help else ""
            lines.append(f"complete -c csauth {when} {flags} {values(o.kind)}".rstrip() + described)
        for kind, _ in c.positionals:
            if kind and kind != "any" and not c.subcommands:
                lines.append(
                    f"complete -c csauth {when} {values(kind)}".replace(" -x ", " ").replace(
                        " -r -F", " -F"
                    )
                )
    return "\n".join(lines) + "\n"
