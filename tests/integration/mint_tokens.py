#!/usr/bin/python3
"""Join tokens for tests/integration/test_auth.cpp from PyJWT (Debian's
python3-jwt, so run it with /usr/bin/python3): the second independent
implementation beside mint_tokens.mjs, with the same input and output.

    /usr/bin/python3 mint_tokens.py SPEC.json

SPEC.json: {"tokens": [{"name", "claims", "key", "alg": "HS256" | "HS384" |
"none"}]}. Prints "name<TAB>token" per token.
"""

import json
import sys

import jwt

with open(sys.argv[1], encoding="utf-8") as f:
    spec = json.load(f)
for t in spec["tokens"]:
    alg = t.get("alg", "HS256")
    key = None if alg == "none" else t["key"]
    token = jwt.encode(t["claims"], key, algorithm=alg)
    print(f"{t['name']}\t{token}")
