"""Putting text we did not write (server answers, file values, error messages) into
Textual markup. textual.markup.escape only escapes lower-case tags, so "[FR] Shop" would
still lose its "[FR]": escape every opening bracket instead."""


def escape(text: object) -> str:
    return str(text).replace("[", "\\[")
