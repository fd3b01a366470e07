"""Command lines for the CLI fuzz tests (test_fuzz_cli.py): the real subcommands and
options with likely values, now and then junk; and working command lines, slightly bent."""

from __future__ import annotations

from hypothesis import strategies as st

HARMLESS = (["true"], ["echo", "hi"], ["env"], ["printenv", "CS_ACCESS_TOKEN"])
COMMANDS = [
    "demo",
    "list",
    "token",
    "me",
    "exec",
    "add",
    "rm",
    "forget",
    "import",
    "export",
    "audit",
    "doctor",
]

# junk as a shell could pass it: no NUL (argv cannot hold one), no '/', '\\' or '~' (so no
# path leaves the scratch directory), and undecodable bytes as Python sees them (surrogates)
plain_junk = st.text(
    st.characters(blacklist_characters="\x00/\\~", blacklist_categories=("Cs",)), max_size=12
)
UNDECODABLE = ["\udcff", "a\udc80b", "\udcff.toml"]
junk = plain_junk | st.sampled_from([*UNDECODABLE, "-", "--", "-x", "--nope"])


def likely(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """A good value three times in four, so that whole command lines often get through."""
    return st.one_of(*[st.sampled_from(good)] * 3, st.sampled_from(bad))


# each value: a likely one, and now and then junk (see `pick`)
PATHS = [
    "profiles.toml",
    "team.json",
    "team.csv",
    "team.toml",
    "missing.json",
    "subdir",
    "",
    ".",
    "new/deeper/p.toml",
]
numbers = likely(["1", "7", "42", "١٢"], ["0", "-1", "²", "1.5", "9" * 5000, "", "0x10"])
names = likely(["prod", "acct", "shop", "new"], ["bad name", "x\n", "", "-"])
VALUES = {
    "--scope": likely(["metrics", "data-export"], ["enrichment", "nope", ""]),
    "--project-id": numbers,
    "--min-ttl": numbers,
    "--concurrency": numbers,
    "--level": likely(["project", "account"], ["galaxy"]),
    "--client-id": likely(["fuzz-new", "fuzz-new2"], ["fuzz-prod", " "]),
    "--secret": likely(
        ["keyring", "plaintext", "env:CSAUTH_FUZZ_SECRET"],
        ["env:", "env:1X", "cmd:", "cmd:fuzz-no-such-program", "junk"],
    ),
    "--description": st.just("fuzzed"),
    "--created": likely(["2026-01-15"], ["2026-02-30", "x"]),
    "--auth-url": likely(
        ["https://api.contentsquare.com", "http://127.0.0.1:9"],
        ["http://evil.example", "https://[::1", ""],
    ),
    "--secrets": likely(["keyring", "skip", "plaintext"], ["all"]),
    "--profile": likely(["*", "p*", "prod"], ["["]),
}
OPTIONS = {
    "list": ["--json"],
    "me": ["--json"],
    "doctor": [],
    "demo": [],
    "rm": ["--keep-secret"],
    "token": ["--scope", "--project-id", "--min-ttl", "--no-cache", "--format"],
    "exec": ["--scope", "--project-id"],
    "add": [
        "--level",
        "--client-id",
        "--project-id",
        "--scope",
        "--secret",
        "--description",
        "--created",
        "--auth-url",
        "--replace-secret",
        "--no-verify",
    ],
    "forget": [],
    "import": [
        "--format",
        "--dry-run",
        "--overwrite",
        "--secrets",
        "--allow-secret-sources",
        "--allow-auth-url",
        "--replace-secret",
    ],
    "export": ["--format", "--profile", "--output"],
    "audit": [
        "--profile",
        "--json",
        "--csv",
        "--markdown",
        "--output",
        "--concurrency",
        "--cached",
    ],
}
FORMATS = {
    "token": likely(["token", "header", "json", "curl", "env"], ["xml"]),
    "import": likely(["toml", "json", "csv"], ["xml"]),
    "export": likely(["toml", "json", "csv"], ["xml"]),
}
POSITIONAL = {
    "token": names,
    "me": names,
    "exec": names,
    "add": names,
    "rm": names,
    "forget": names,
}
PATH_OPTIONS = ("--config", "--output")


@st.composite
def argvs(draw, wild: int = 3, odd_paths: bool = True) -> list[str]:
    """argv for csauth; about one value in `wild` is junk instead of a likely one. Without
    `odd_paths`, no path holds an undecodable byte (see test_a_path_that_is_not_utf8...)."""
    paths = likely(PATHS[:5], PATHS[5:] + (UNDECODABLE[2:] if odd_paths else []))

    def pick(likely: st.SearchStrategy, path: bool = False) -> str:
        if draw(st.integers(1, wild)) > 1:
            return draw(likely)
        return draw(plain_junk if path and not odd_paths else junk)

    argv: list[str] = []
    if draw(st.integers(0, 3)) == 0:
        argv += ["--config", pick(paths, path=True)]
    argv += draw(st.lists(st.sampled_from(["-v", "--verbose"]), max_size=1))
    if draw(st.integers(0, 30)) == 0:
        argv.append(draw(st.sampled_from(["--version", "-h", "--help"])))
    # the commands that do the most are drawn twice as often
    command = pick(st.sampled_from([*COMMANDS, None, "token", "add", "import", "exec", "me"]))
    if command is not None:
        argv.append(command)
    flags = OPTIONS.get(command, [])
    pieces = []
    if command == "add" and draw(st.integers(0, 4)):  # mostly with what add requires
        pieces += [
            ["--level", pick(VALUES["--level"])],
            ["--client-id", pick(VALUES["--client-id"])],
        ]
    for flag in draw(st.lists(st.sampled_from(flags), max_size=3)) if flags else []:
        value = (
            FORMATS[command]
            if flag == "--format"
            else paths
            if flag in PATH_OPTIONS
            else VALUES.get(flag)
        )
        if value is None:
            pieces.append([flag])
        elif draw(st.integers(0, 5)) == 0:
            pieces.append([f"{flag}={pick(value, flag in PATH_OPTIONS)}"])
        else:
            pieces.append(
                [flag, pick(value, flag in PATH_OPTIONS)] if draw(st.integers(0, 19)) else [flag]
            )
    if command == "exec":  # all after PROFILE is the command: only a harmless one goes there
        argv += [word for piece in draw(st.permutations(pieces)) for word in piece]
        argv += [draw(names)] + (
            ["--", *draw(st.sampled_from(HARMLESS))] if draw(st.integers(0, 5)) else []
        )
        return argv
    if command in POSITIONAL and draw(st.integers(0, 9)):
        pieces.append([pick(POSITIONAL[command])])
    if command == "import" and draw(st.integers(0, 9)):
        pieces.append([pick(paths, path=True)])
    if draw(st.integers(1, 2 * wild)) == 1:  # a stray word or option
        pieces.append([draw((junk if odd_paths else plain_junk) | st.sampled_from(sorted(VALUES)))])
    argv += [word for piece in draw(st.permutations(pieces)) for word in piece]
    return argv


GOOD_LINES = [
    ["token", "prod"],
    ["token", "prod", "--format", "json"],
    ["token", "acct", "--project-id", "7", "--no-cache"],
    ["me", "prod", "--json"],
    ["exec", "prod", "--", "env"],
    ["rm", "prod"],
    ["forget", "prod"],
    ["add", "new", "--level", "project", "--client-id", "fuzz-new"],
    [
        "add",
        "new",
        "--level",
        "account",
        "--client-id",
        "fuzz-new",
        "--project-id",
        "7",
        "--secret",
        "plaintext",
        "--created",
        "2026-01-15",
    ],
    ["import", "team.json", "--secrets", "skip"],
    ["import", "team.csv", "--dry-run"],
    ["import", "team.toml", "--overwrite", "--secrets", "plaintext"],
    ["export", "--format", "csv", "--output", "out.csv"],
    ["audit", "--json"],
    ["list", "--json"],
]


@st.composite
def near_good_lines(draw) -> list[str]:
    """A command line that works, perhaps with one word dropped, doubled or replaced."""
    argv = list(draw(st.sampled_from(GOOD_LINES)))
    cut = argv.index("--") if "--" in argv else len(argv)  # never touch exec's command
    at = draw(st.integers(0, cut - 1))
    edit = draw(st.sampled_from(["none", "none", "drop", "double", "replace"]))
    if edit == "drop":
        del argv[at]
    elif edit == "double":
        argv.insert(at, argv[at])
    elif edit == "replace":
        argv[at] = draw(plain_junk | st.sampled_from([*VALUES, *COMMANDS, *PATHS]))
    return argv
