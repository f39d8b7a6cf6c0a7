#!/usr/bin/python3
"""Join tokens for tests/unit/test_auth.cpp, minted by an independent JWT
implementation (PyJWT, Debian's python3-jwt) so that the C++ verifier is not
only tested against tokens it minted itself.

Regenerate (only when adding a case; the committed tokens.json is the fixture):

    /usr/bin/python3 tests/unit/data/auth/mint_tokens.py > tests/unit/data/auth/tokens.json

Use Debian's /usr/bin/python3: python3-jwt and python3-cryptography live there,
not in a pyenv python3 that may come first on PATH. Every time is fixed (NOW
below is the `now` the test passes to verify), so the tokens never expire and
the tests stay deterministic. Tokens with an RS256 signature use a fresh RSA
key each run, so those bytes change on regeneration; nothing checks them.
The expected outcome of each case lives in the C++ table, keyed by name.
"""

import base64
import hashlib
import hmac
import json
import sys

import jwt

SECRET = "mixcast-test-secret-0123456789abcdef"  # kSecret in test_auth.cpp
WRONG_SECRET = "not-the-mixcast-secret-0123456789ab"
NOW = 1_700_000_000  # kNow in test_auth.cpp
HOUR = 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def hand_signed(header, claims, key=SECRET, digest=hashlib.sha256) -> str:
    """A token with exactly this header (PyJWT rewrites "alg" to the algorithm
    it signs with, so headers that lie about the algorithm are built here with
    the standard library's HMAC)."""
    signing_input = b64url_json(header) + "." + b64url_json(claims)
    mac = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(mac)


def unsigned(header, claims, signature="") -> str:
    return b64url_json(header) + "." + b64url_json(claims) + "." + signature


def claims(**overrides):
    base = {
        "room": "studio-a",
        "sub": "alice",
        "name": "Alice",
        "can_publish": True,
        "can_subscribe": True,
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "exp": NOW + HOUR,
    }
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def hs256(payload, key=SECRET) -> str:
    return jwt.encode(payload, key, algorithm="HS256")


def tampered_room() -> str:
    header, _, signature = hs256(claims()).split(".")
    return header + "." + b64url_json(claims(room="studio-b")) + "." + signature


def rs256() -> str:
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        sys.exit("python3-cryptography is needed for the RS256 case")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims(), key, algorithm="RS256")


TOKENS = {
    "valid_publisher": hs256(claims()),
    "valid_viewer": hs256(claims(sub="bob", name="Bob", can_publish=False)),
    "defaults_without_can_claims": hs256(
        claims(name=None, nbf=None, can_publish=None, can_subscribe=None)),
    "unicode_name": hs256(claims(name="Zoë 🎤 \"quoted\"")),
    "subscribe_false": hs256(claims(can_publish=True, can_subscribe=False)),
    "expired": hs256(claims(exp=NOW - HOUR)),
    "expired_within_leeway": hs256(claims(exp=NOW - 10)),
    "expired_at_leeway_edge": hs256(claims(exp=NOW - 30)),
    "not_yet_valid": hs256(claims(nbf=NOW + HOUR)),
    "not_before_within_leeway": hs256(claims(nbf=NOW + 20)),
    "not_before_at_leeway_edge": hs256(claims(nbf=NOW + 30)),
    "alg_none_pyjwt": jwt.encode(claims(), None, algorithm="none"),
    "alg_none_empty_signature": unsigned({"alg": "none"}, claims()),
    "alg_none_bogus_signature": unsigned({"alg": "none"}, claims(), b64url(b"bogus")),
    "alg_none_uppercase_hmac_signed": hand_signed({"alg": "NONE", "typ": "JWT"}, claims()),
    "alg_lowercase_hs256": hand_signed({"alg": "hs256", "typ": "JWT"}, claims()),
    "alg_hs384_right_key": jwt.encode(claims(), SECRET, algorithm="HS384"),
    "alg_hs512_right_key": jwt.encode(claims(), SECRET, algorithm="HS512"),
    "alg_rs256": rs256(),
    "alg_rs256_header_hmac_signed": hand_signed({"alg": "RS256", "typ": "JWT"}, claims()),
    "alg_missing": hand_signed({"typ": "JWT"}, claims()),
    "wrong_key": hs256(claims(), WRONG_SECRET),
    "tampered_room": tampered_room(),
    "room_missing": hs256(claims(room=None)),
    "sub_missing": hs256(claims(sub=None)),
    "exp_missing": hs256(claims(exp=None)),
    "room_empty": hs256(claims(room="")),
    "room_not_string": hs256(claims(room=42)),
    "sub_not_string": hs256(claims(sub=["alice"])),
    "name_not_string": hs256(claims(name=7)),
    "can_publish_string": hs256(claims(can_publish="true")),
    "can_subscribe_number": hs256(claims(can_subscribe=1)),
    "exp_string": hs256(claims(exp=str(NOW + HOUR))),
    "exp_fraction": hs256(claims(exp=NOW + HOUR + 0.5)),
    "nbf_string": hs256(claims(nbf="yesterday")),
    "payload_array": hand_signed({"alg": "HS256", "typ": "JWT"}, ["studio-a", "alice"]),
}

json.dump({"secret": SECRET, "now": NOW, "tokens": TOKENS}, sys.stdout, indent=2,
          ensure_ascii=True)
sys.stdout.write("\n")
