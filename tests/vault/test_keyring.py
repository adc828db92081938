"""The keyring on its own: AES-256-GCM seals bound to their row, failures that say nothing of the
secret, the key file (0600, written atomically, re-read when another writer changes it) and
INTERLINK_VAULT_KEYS."""

from __future__ import annotations

import base64
import json
import os
import stat
import traceback
from pathlib import Path

import pytest

from interlink.config import Settings
from interlink.vault.keyring import (
    DecryptionFailed,
    KeyMissing,
    Keyring,
    VaultError,
    decode_key,
    encode_key,
    new_key,
    new_key_id,
    parse_env_keys,
    read_key_file,
    write_key_file,
)
from interlink.vault.service import credential_aad

SECRET = b'{"api_key":"sk_live_plaintext_that_must_not_leak"}'
AAD = credential_aad("ws_one", "cred_one")
K1, K2 = bytes(range(32)), bytes(range(100, 132))


def keyring(**keys: bytes) -> Keyring:
    return Keyring(keys=dict(keys), active=list(keys)[-1])


def flip_bit(sealed: str, byte_index: int) -> str:
    version, kid, token = sealed.split(".")
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[byte_index] ^= 0x01
    return f"{version}.{kid}.{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"


# -- sealing -----------------------------------------------------------------------------------
def test_a_sealed_value_opens_to_the_plaintext_and_names_its_key() -> None:
    ring = keyring(k1=K1)

    sealed = ring.seal(SECRET, AAD)

    assert sealed.startswith("v1.k1.")
    assert b"sk_live" not in sealed.encode()
    assert "sk_live" not in sealed
    assert ring.open(sealed, AAD) == SECRET


def test_two_seals_of_the_same_plaintext_differ() -> None:
    ring = keyring(k1=K1)

    assert ring.seal(SECRET, AAD) != ring.seal(SECRET, AAD)


def test_a_value_sealed_under_an_older_key_still_opens_after_the_active_key_changes() -> None:
    old = keyring(k1=K1).seal(SECRET, AAD)
    ring = Keyring(keys={"k1": K1, "k2": K2}, active="k2")

    assert ring.seal(SECRET, AAD).startswith("v1.k2.")
    assert ring.open(old, AAD) == SECRET
    assert ring.reseal(old, AAD).startswith("v1.k2.")
    assert ring.open(ring.reseal(old, AAD), AAD) == SECRET


@pytest.mark.parametrize(
    "other_aad",
    [
        credential_aad("ws_one", "cred_two"),  # another row of the same workspace
        credential_aad("ws_two", "cred_one"),  # the same id in another workspace
        "",
    ],
)
def test_a_ciphertext_copied_to_another_row_does_not_open(other_aad: str) -> None:
    ring = keyring(k1=K1)
    sealed = ring.seal(SECRET, AAD)

    with pytest.raises(DecryptionFailed):
        ring.open(sealed, other_aad)


@pytest.mark.parametrize(
    "byte_index", [0, 11, 12, 20, -1], ids=["nonce", "nonce-end", "body", "mid", "tag"]
)
def test_one_flipped_bit_fails_cleanly_without_the_plaintext(byte_index: int) -> None:
    ring = keyring(k1=K1)
    tampered = flip_bit(ring.seal(SECRET, AAD), byte_index)

    with pytest.raises(DecryptionFailed) as caught:
        ring.open(tampered, AAD)

    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert "sk_live" not in shown
    assert encode_key(K1) not in shown


def test_a_ciphertext_relabelled_with_another_held_key_does_not_open() -> None:
    ring = Keyring(keys={"k1": K1, "k2": K2}, active="k1")
    sealed = ring.seal(SECRET, AAD)

    with pytest.raises(DecryptionFailed):
        ring.open(sealed.replace("v1.k1.", "v1.k2.", 1), AAD)


def test_an_unknown_key_id_is_key_missing_naming_the_key() -> None:
    sealed = keyring(k9=K2).seal(SECRET, AAD)

    with pytest.raises(KeyMissing, match="'k9'") as caught:
        keyring(k1=K1).open(sealed, AAD)

    assert isinstance(caught.value, VaultError)


@pytest.mark.parametrize(
    "sealed",
    [
        "garbage",
        "",
        "v1.k1",
        "v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "V1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.k1.A",  # not a whole base64 quantum
        "v1.k1.!!!!",  # not base64 at all
        "v1.k1.AAAA",  # decodes, shorter than a nonce
        "v1.k1.AAAAAAAAAAAAAAAA",  # a nonce and nothing else
        "v1.k1.é-not-ascii",
        "v1.k1.",
    ],
)
def test_a_malformed_sealed_value_is_decryption_failed(sealed: str) -> None:
    with pytest.raises(DecryptionFailed):
        keyring(k1=K1).open(sealed, AAD)


def test_the_repr_of_a_keyring_shows_key_ids_but_no_key_bytes(tmp_path: Path) -> None:
    ring = Keyring(keys={"k1": K1, "k2": K2}, active="k2", path=tmp_path / "vault.key")

    shown = repr(ring) + str(ring) + f"{ring!r}"

    assert "k1" in shown
    assert "k2" in shown
    for key in (K1, K2):
        assert encode_key(key) not in shown
        assert repr(key) not in shown
        assert key.hex() not in shown
        assert base64.urlsafe_b64encode(key).decode() not in shown


def test_a_keyring_whose_active_key_is_not_held_is_refused() -> None:
    with pytest.raises(VaultError, match="active vault key 'k2' is not in the keyring"):
        Keyring(keys={"k1": K1}, active="k2")


# -- the key file ---------------------------------------------------------------------------------
def test_the_key_file_is_written_with_mode_0600_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "vault.key"
    previous = os.umask(0)
    try:
        write_key_file(path, {"k1": K1}, "k1")
    finally:
        os.umask(previous)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path).keys == {"k1": K1}
    assert read_key_file(path).active == "k1"


def test_the_key_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    write_key_file(path, {"k1": K1}, "k1")
    path.chmod(0o644)  # a loose old file: the new one does not inherit its mode
    with path.open() as reader_of_the_old_file:
        write_key_file(path, {"k1": K1, "k2": K2}, "k2")

        # A reader that had the old file open still reads the whole old file...
        assert json.loads(reader_of_the_old_file.read())["keys"] == {"k1": encode_key(K1)}
    # ...the path names the whole new one, and no temporary file is left beside it.
    assert json.loads(path.read_text()) == {
        "active": "k2",
        "keys": {"k1": encode_key(K1), "k2": encode_key(K2)},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.key"]


def test_a_file_keyring_picks_up_a_key_another_writer_added(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    write_key_file(path, {"k1": K1}, "k1")
    ring = read_key_file(path)
    old = ring.seal(SECRET, AAD)

    write_key_file(path, {"k1": K1, "k2": K2}, "k2")  # e.g. `interlink vault rotate-key`
    sealed_elsewhere = Keyring(keys={"k2": K2}, active="k2").seal(SECRET, AAD)

    assert ring.open(sealed_elsewhere, AAD) == SECRET
    assert ring.seal(SECRET, AAD).startswith("v1.k2.")
    assert ring.open(old, AAD) == SECRET


def test_a_file_keyring_picks_up_a_new_active_key_written_within_the_same_clock_tick(
    tmp_path: Path,
) -> None:
    """Many filesystems keep mtimes at a coarse grain: a rewrite in the same tick keeps the old
    mtime. The keyring must still see the new file before it seals the next value."""
    path = tmp_path / "vault.key"
    write_key_file(path, {"k1": K1}, "k1")
    ring = read_key_file(path)
    before = path.stat()

    write_key_file(path, {"k1": K1, "k2": K2}, "k2")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    assert ring.seal(SECRET, AAD).startswith("v1.k2.")


def test_a_file_keyring_drops_a_key_another_writer_retired(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    write_key_file(path, {"k1": K1, "k2": K2}, "k2")
    ring = read_key_file(path)
    old = Keyring(keys={"k1": K1}, active="k1").seal(SECRET, AAD)

    write_key_file(path, {"k2": K2}, "k2")
    ring.refresh()

    assert set(ring.keys) == {"k2"}
    with pytest.raises(KeyMissing, match="'k1'"):
        ring.open(old, AAD)


@pytest.mark.parametrize(
    ("held", "made"),
    [(set(), "k1"), ({"k1"}, "k2"), ({"k1", "k2"}, "k3"), ({"k3"}, "k4"), ({"k9", "prod2"}, "k10")],
)
def test_a_new_key_id_is_above_every_id_held_so_a_retired_id_never_returns(
    held: set[str], made: str
) -> None:
    assert new_key_id(held) == made


def test_an_environment_keyring_cannot_be_saved() -> None:
    with pytest.raises(VaultError, match="comes from the environment"):
        keyring(k1=K1).save()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "JSONDecodeError"),
        ("[]", "TypeError"),
        ('{"active": "k1"}', "KeyError"),
        ('{"active": "k1", "keys": []}', "AttributeError"),
        ('{"active": "k1", "keys": {"k1": "short"}}', "vault key 'k1' is not valid base64"),
        (f'{{"active": "k1", "keys": {{"k1": "{encode_key(b"x" * 16)}"}}}}', "must be 32 bytes"),
        (f'{{"active": "k3", "keys": {{"k1": "{encode_key(K1)}"}}}}', "active vault key 'k3'"),
    ],
    ids=["not-json", "list", "no-keys", "keys-list", "bad-base64", "short-key", "active-unknown"],
)
def test_an_unreadable_key_file_is_a_vault_error_naming_the_file_and_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "vault.key"
    path.write_text(text)

    with pytest.raises(VaultError) as caught:
        read_key_file(path)

    assert str(caught.value).startswith(f"cannot read the vault key file {path}: ")
    assert reason in str(caught.value)
    assert encode_key(K1) not in str(caught.value)


# -- INTERLINK_VAULT_KEYS -------------------------------------------------------------------------
def test_environment_keys_are_parsed_and_the_last_is_active_unless_named() -> None:
    text = f" k1:{encode_key(K1)} , k2:{encode_key(K2)} ,"

    assert parse_env_keys(text, None).keys == {"k1": K1, "k2": K2}
    assert parse_env_keys(text, None).active == "k2"
    assert parse_env_keys(text, "k1").active == "k1"
    assert parse_env_keys(text, "k1").path is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1:not*base64!", "vault key 'k1' is not valid base64"),
        (f"k1:{encode_key(b'x' * 16)}", r"vault key 'k1' must be 32 bytes \(AES-256\), got 16"),
        (f"k1:{encode_key(b'x' * 33)}", r"vault key 'k1' must be 32 bytes \(AES-256\), got 33"),
        ("", "INTERLINK_VAULT_KEYS holds no key"),
        (" , ,", "INTERLINK_VAULT_KEYS holds no key"),
        (encode_key(K1), "INTERLINK_VAULT_KEYS must read 'keyid:base64key"),
        (f":{encode_key(K1)}", "INTERLINK_VAULT_KEYS must read 'keyid:base64key"),
    ],
)
def test_bad_environment_keys_are_a_vault_error_that_says_what_is_wrong(
    text: str, message: str
) -> None:
    with pytest.raises(VaultError, match=message) as caught:
        parse_env_keys(text, None)

    assert "not*base64" not in str(caught.value)
    assert encode_key(K1) not in str(caught.value)


def test_an_active_key_missing_from_the_environment_keys_is_refused() -> None:
    with pytest.raises(VaultError, match="active vault key 'k3' is not in the keyring"):
        parse_env_keys(f"k1:{encode_key(K1)}", "k3")


def test_the_environment_variables_reach_the_settings_without_showing_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = encode_key(new_key())
    monkeypatch.setenv("INTERLINK_VAULT_KEYS", f"k7:{key}")
    monkeypatch.setenv("INTERLINK_VAULT_ACTIVE_KEY", "k7")

    settings = Settings()

    assert settings.vault.keys is not None
    ring = parse_env_keys(settings.vault.keys.get_secret_value(), settings.vault.active_key)
    assert ring.active == "k7"
    assert set(ring.keys) == {"k7"}
    assert key not in repr(settings)
    assert key not in str(settings.model_dump())


@pytest.mark.parametrize("key_id", ["a.b", "x" * 41, "", "k 1", "k:1"])
def test_a_key_id_that_cannot_live_in_a_ciphertext_is_refused(key_id: str) -> None:
    with pytest.raises(VaultError, match="must be 1 to 40 letters"):
        decode_key(key_id, encode_key(new_key()))
