"""The default profile: the PROFILE of a command that leaves it out. Standard library only
(the cached `csauth token` path asks it).

Where it comes from, first found wins: `$CSAUTH_PROFILE` (an empty value counts as
unset), then `default_profile` in [settings]. A default that names no profile of the file
is an error naming where it came from, never a silent fallback to another profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import NoProfileError, UnknownProfileError
from .profiles import Profile, ProfilesFile, similar_names
from .text import inert

ENV_VAR = "CSAUTH_PROFILE"
HOW_TO_SET = f"pass PROFILE, set a default with `csauth use NAME`, or export {ENV_VAR}=NAME"


@dataclass(frozen=True)
class Default:
    name: str
    origin: str  # "$CSAUTH_PROFILE" or "default_profile in [settings] of PATH"


def default_of(pf: ProfilesFile, environ: Mapping[str, str] | None = None) -> Default | None:
    """The default profile's name and where it was set, None when none is set. Not checked
    against the file: `check()` does that."""
    env = os.environ if environ is None else environ
    name = env.get(ENV_VAR, "")
    if name:
        return Default(name, f"${ENV_VAR}")
    if pf.settings.default_profile:
        return Default(pf.settings.default_profile, f"default_profile in [settings] of {pf.path}")
    return None


def check(pf: ProfilesFile, default: Default) -> Profile:
    """The profile `default` names, or an error that says where the name came from."""
    if default.name in pf.order:
        return pf.get(default.name)  # an invalid profile: its own errors
    close = similar_names(default.name, pf.order)
    suggestion = (
        "; did you mean " + " or ".join(f"'{inert(n)}'" for n in close) + "?" if close else ""
    )
    fix = (
        f"unset {ENV_VAR} or set it to a profile's name"
        if default.origin.startswith("$")
        else "run `csauth use NAME` with an existing profile, or `csauth use --clear`"
    )
    raise UnknownProfileError(
        f"the default profile '{inert(default.name)}' (from {inert(default.origin)}) is not "
        f"a profile of {pf.path}{suggestion}",
        hint=fix,
    )


def choose(
    pf: ProfilesFile, name: str | None, environ: Mapping[str, str] | None = None
) -> tuple[Profile, Default | None]:
    """The profile a command works on: `name` when given, else the default (returned too,
    so that the caller can say which one it used)."""
    if name is not None:
        return pf.get(name), None
    default = default_of(pf, environ)
    if default is None:
        raise NoProfileError(
            f"no profile given and no default profile set in {pf.path}", hint=HOW_TO_SET
        )
    return check(pf, default), default
