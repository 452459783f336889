#!/usr/bin/env python3
"""A small token server for the bearer-token flow (the one ghcr.io, Docker
Hub and GitLab use), for tests/e2e_cache_registry.sh: Debian's
docker-registry with `auth: token:` sends clients here; this answers GET
/token?service=S&scope=repository:NAME:ACTIONS with a JWT (RS256, the
signing certificate in its x5c header, the registry trusting that
certificate through its rootcertbundle), only to the Basic credentials
given. Signing is openssl's (no Python package needed). One line per
request in the log: the scopes asked and whether the credentials were right.

Usage: token_server.py PORT KEY CERT USER PASSWORD ISSUER LOG
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

port, key, cert, user, password, issuer, log = sys.argv[1:8]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        ok = self.headers.get("Authorization", "") == want
        scopes = q.get("scope", [])
        with open(log, "a") as f:
            f.write(f"{'ok' if ok else 'refused'} {' '.join(scopes)}\n")
        if url.path != "/token" or not ok:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) == 3:
                access.append({"type": parts[0], "name": parts[1], "actions": parts[2].split(",")})
        now = int(time.time())
        claims = {"iss": issuer, "sub": user, "aud": q.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": b64u(os.urandom(12)), "access": access}
        head = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
        signing = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(), check=True,
                             capture_output=True).stdout
        token = signing + "." + b64u(sig)
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
