"""core/store.py edits the profiles file with tomlkit's public API and text edits only
(issue 14 §2): a new key after a table's last key, a new [settings] table before the
first table and an inline-table profile renamed in place keep the user's formatting."""

from __future__ import annotations

from csauth_tui.core.store import ProfileStore


def test_a_new_key_goes_after_a_multi_line_last_key_with_the_first_keys_indent(tmp_path):
    path = tmp_path / "profiles.toml"
    text = (
        '[profiles.a]\n    client_id = "a"\n    scopes = [\n        "metrics",\n'
        '    ]  # kept\n\n# about b\n[profiles.b]\nclient_id = "b"\n'
    )
    path.write_text(text)
    ProfileStore(path).update("a", {"project_id": 7})
    assert path.read_text() == text.replace(
        "    ]  # kept\n", "    ]  # kept\n    project_id = 7\n"
    )


def test_crlf_files_and_files_without_a_final_newline_stay_so(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_bytes(b'[profiles.a]\r\nclient_id = "a"\r\n# end\r\n')
    ProfileStore(path).update("a", {"description": "x"})
    assert path.read_bytes() == (
        b'[profiles.a]\r\nclient_id = "a"\r\ndescription = "x"\r\n# end\r\n'
    )
    path.write_text('[profiles.a]\nclient_id = "a"')
    ProfileStore(path).update("a", {"project_id": 3})
    assert path.read_text() == '[profiles.a]\nclient_id = "a"\nproject_id = 3\n'


def test_a_line_that_only_looks_like_a_comment_inside_a_string_is_not_cut(tmp_path):
    """The text edit would put the key inside the multi-line string: the faithful check
    refuses it and tomlkit's plainer edit writes it."""
    path = tmp_path / "profiles.toml"
    text = '[profiles.a]\nclient_id = "a"\ndescription = """two\n# lines"""\n'
    path.write_text(text)
    store = ProfileStore(path)
    store.update("a", {"project_id": 9})
    profile = store.load().profiles["a"]
    assert (profile.description, profile.project_id) == ("two\n# lines", 9)
    assert path.read_text().startswith(text)


def test_a_new_settings_table_goes_before_an_array_of_tables_too(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text('# top\n\n[[extra]]\nx = 1\n\n[profiles.a]\nclient_id = "a"\n')
    ProfileStore(path).set_setting("token_cache", False)
    assert path.read_text() == (
        "# top\n\n[settings]\ntoken_cache = false\n\n[[extra]]\nx = 1\n"
        '\n[profiles.a]\nclient_id = "a"\n'
    )


def test_a_file_with_no_table_gets_settings_at_the_end(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text('keys = { copy = "y" }  # mine\n')
    ProfileStore(path).set_setting("clipboard_clear_seconds", 5)
    text = path.read_text()
    assert text.startswith('keys = { copy = "y" }  # mine\n')
    assert "[settings]\nclipboard_clear_seconds = 5\n" in text


def test_an_inline_profile_with_a_quoted_name_is_renamed_in_place(tmp_path):
    path = tmp_path / "profiles.toml"
    text = (
        '[profiles]\n"old.one" = { client_id = "o" }  # quoted\n'
        'other = { client_id = "x", description = "old.one = {" }\n'
    )
    path.write_text(text)
    store = ProfileStore(path)
    store.rename("old.one", "new-one")
    assert path.read_text() == text.replace('"old.one" = {', "new-one = {")
    assert list(store.load().order) == ["new-one", "other"]
