"""Every action of the main screen, in one table: its id, default keys, the word the key
bar shows, the line the help screen shows, whether it needs a selected profile, and where
it is offered. The main screen's BINDINGS, the command palette, the help screen and the
enabled checks are all built from it, and a [keys] remapping is checked against it.

Plain Python (no Textual): keys are Textual's key names ("slash", "ctrl+r").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Action:
    id: str  # the binding id, the action's name, and the name a [keys] remapping uses
    keys: str  # default keys, comma separated
    short: str  # the key bar's word
    long: str  # the help screen's line
    needs_profile: bool = False
    key_bar: bool = True  # shown in the key bar (when there is room)
    palette: str = ""  # the command palette's label ("" = not in the palette)
    where: str = "main"  # "main": bound on the main screen; "table": the profile table's own


ACTIONS: tuple[Action, ...] = (
    Action(
        "get_token",
        "enter,g",
        "Get token",
        "get a token for the selected profile, scopes and project",
        needs_profile=True,
        palette="Get token",
    ),
    Action("renew", "r", "Renew", "renew the token now", needs_profile=True, palette="Renew token"),
    Action(
        "copy_token",
        "c",
        "Copy",
        "copy the token (cleared after clipboard_clear_seconds)",
        needs_profile=True,
        palette="Copy token",
    ),
    Action(
        "copy_header",
        "h",
        "Copy header",
        "copy the Authorization: Bearer ... header",
        needs_profile=True,
        key_bar=False,
        palette="Copy Authorization header",
    ),
    Action(
        "copy_curl",
        "u",
        "Copy curl",
        "copy a curl command that tests the token",
        needs_profile=True,
        key_bar=False,
        palette="Copy curl probe command",
    ),
    Action(
        "copy_base_url",
        "b",
        "Copy base URL",
        "copy the API base URL returned with the token",
        needs_profile=True,
        key_bar=False,
        palette="Copy base URL",
    ),
    Action(
        "reveal",
        "v",
        "Reveal",
        "reveal / mask the token",
        needs_profile=True,
        palette="Reveal / mask token",
    ),
    Action(
        "me",
        "m",
        "/me",
        "load /me: what Contentsquare says about the credential",
        needs_profile=True,
        palette="Load /me",
    ),
    Action(
        "test_token",
        "t",
        "Test",
        "test the token (GET /v1/segments)",
        needs_profile=True,
        palette="Test token",
    ),
    Action(
        "focus_scopes",
        "s",
        "Focus scopes",
        "focus the scope list",
        needs_profile=True,
        key_bar=False,
    ),
    Action(
        "focus_project",
        "p",
        "Focus project",
        "focus the project field",
        needs_profile=True,
        key_bar=False,
    ),
    Action(
        "filter",
        "slash",
        "Filter",
        "filter the profile list",
        needs_profile=True,
        palette="Filter profiles",
    ),
    Action(
        "sort",
        "o",
        "Sort (next column)",
        "sort by the next column",
        needs_profile=True,
        key_bar=False,
        palette="Sort profiles",
    ),
    Action(
        "cancel",
        "escape",
        "Cancel request / close filter",
        "cancel a request / close the filter",
        key_bar=False,
    ),
    Action("add_profile", "a", "Add", "add a profile", palette="Add a profile"),
    Action(
        "edit_profile",
        "e",
        "Edit",
        "edit (or rename) the selected profile",
        needs_profile=True,
        palette="Edit profile",
    ),
    Action(
        "duplicate_profile",
        "d",
        "Duplicate",
        "duplicate the selected profile",
        needs_profile=True,
        key_bar=False,
        palette="Duplicate profile",
    ),
    Action(
        "delete_profile",
        "delete,x",
        "Delete",
        "delete the selected profile",
        needs_profile=True,
        key_bar=False,
        palette="Delete profile",
    ),
    Action(
        "import_profiles",
        "i",
        "Import",
        "import profiles from a TOML, JSON or CSV file",
        key_bar=False,
        palette="Import profiles",
    ),
    Action(
        "audit",
        "A",
        "Audit all",
        "audit every profile: secrets, tokens, /me, age, duplicates",
        key_bar=False,
        palette="Audit every profile",
    ),
    Action("help", "question_mark", "Help", "this help", palette="Help: keys"),
    Action("quit", "q", "Quit", "quit (clears the clipboard if it holds a token)"),
    # the profile table's own keys: not the screen's, but a remapping must not take them
    Action("cursor_down", "j", "Down", "down in the profile list", key_bar=False, where="table"),
    Action("cursor_up", "k", "Up", "up in the profile list", key_bar=False, where="table"),
)

BY_ID = {action.id: action for action in ACTIONS}
MAIN = tuple(a for a in ACTIONS if a.where == "main")
NEEDS_A_PROFILE = frozenset(a.id for a in ACTIONS if a.needs_profile)
# single keys that an input box needs for typing: off while an input has the focus
TYPING_KEYS_OFF = frozenset(a.id for a in MAIN) - {"cancel", "quit", "help"}
# keys Textual itself binds app-wide: a remapping that takes one of them is refused
TEXTUAL_KEYS = {
    "ctrl+p": "the command palette",
    "ctrl+q": "quit",
    "tab": "the next field",
    "shift+tab": "the previous field",
}

# the characters a user may type in [keys] for a key Textual names by word
CHARACTER_KEYS = {
    "/": "slash",
    "?": "question_mark",
    " ": "space",
    "!": "exclamation_mark",
    ",": "comma",
    ".": "full_stop",
    "-": "minus",
    "+": "plus",
    "=": "equals_sign",
    ":": "colon",
    ";": "semicolon",
    "#": "number_sign",
    "*": "asterisk",
    "esc": "escape",
    "del": "delete",
}
SHOWN = {"slash": "/", "question_mark": "?", "escape": "esc"}


def split_keys(keys: str) -> list[str]:
    return [CHARACTER_KEYS.get(k.strip(), k.strip()) for k in keys.split(",") if k.strip()]


def pretty(keys: str) -> str:
    """'enter,g' as the help screen shows it: 'enter / g'."""
    return " / ".join(SHOWN.get(k, k) for k in split_keys(keys))


@dataclass
class KeyPlan:
    """The keys in force after [keys]: per action id, and what was refused and why."""

    keys: dict[str, str] = field(default_factory=dict)  # action id -> keys in force
    remapped: dict[str, str] = field(default_factory=dict)  # for App.set_keymap
    problems: list[str] = field(default_factory=list)


def plan_keys(wanted: dict[str, str]) -> KeyPlan:
    """Apply [keys] to the defaults. A remapping is refused (the default kept, a problem
    reported) when its id is unknown, its key holds control characters, it names no key,
    or it leaves two actions on one key: both sides of a clash keep their defaults, so
    no action is left unreachable, whichever binding Textual would have let win."""
    from ..core.text import control_characters, inert

    plan = KeyPlan()
    remap: dict[str, list[str]] = {}
    for action_id, keys in wanted.items():
        shown = f'[keys] {inert(action_id)} = "{inert(keys)}"'
        if action_id not in BY_ID:
            plan.problems.append(f"{shown}: no such action (the help lists the ids)")
        elif control_characters(keys) or control_characters(action_id):
            plan.problems.append(
                f"{shown}: a key holds control characters; the default key is kept"
            )
        elif not split_keys(keys):
            plan.problems.append(f"{shown}: names no key; the default key is kept")
        else:
            remap[action_id] = split_keys(keys)
    while True:
        in_force = {a.id: remap.get(a.id, split_keys(a.keys)) for a in ACTIONS}
        owners: dict[str, list[str]] = {}
        for action_id, bound in in_force.items():
            for key in dict.fromkeys(bound):
                owners.setdefault(key, []).append(action_id)
        refused: set[str] = set()
        for key, ids in owners.items():
            if len(ids) > 1 and any(i in remap for i in ids):
                who = " and ".join(ids)
                for i in ids:
                    if i in remap:
                        refused.add(i)
                        plan.problems.append(
                            f'[keys] {i} = "{",".join(remap[i])}": {SHOWN.get(key, key)} '
                            f"would be the key of both {who}; {i} keeps "
                            f"{pretty(BY_ID[i].keys)}"
                        )
        for action_id, bound in remap.items():
            for key in bound:
                if key in TEXTUAL_KEYS and action_id not in refused:
                    refused.add(action_id)
                    plan.problems.append(
                        f'[keys] {action_id} = "{",".join(bound)}": {key} is '
                        f"{TEXTUAL_KEYS[key]}; {action_id} keeps {pretty(BY_ID[action_id].keys)}"
                    )
        if not refused:
            break
        for action_id in refused:
            del remap[action_id]
    plan.keys = {a.id: ",".join(remap.get(a.id, split_keys(a.keys))) for a in ACTIONS}
    plan.remapped = {i: ",".join(keys) for i, keys in remap.items()}
    return plan
