#!/usr/bin/env python3
"""Verifies a Users & Organizations API access token the way any Python service
can: PyJWT's PyJWKClient fetches the API's published keys and picks the one the
token's `kid` names; the signature (EdDSA), issuer and expiry are checked.

    python3 examples/verify_token.py JWKS_URL ISSUER TOKEN

Prints the claims as JSON and exits 0, or prints why and exits 1.
Needs PyJWT with its crypto extra: `pip install "PyJWT[crypto]"`.
"""
import json
import sys

import jwt


def verify(token: str, jwks_url: str, issuer: str) -> dict:
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=["EdDSA"],
        issuer=issuer,
        options={"require": ["sub", "exp", "iat", "iss"]},
    )


def main(argv: list) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    jwks_url, issuer, token = argv[1:]
    try:
        claims = verify(token, jwks_url, issuer)
    except jwt.PyJWTError as e:
        print(f"refused: {type(e).__name__}: {e}")
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
