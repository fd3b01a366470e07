"""The baseline for `csauth token` without a cache: the same token request, made by the
shortest honest httpx script (secret from the environment, token printed)."""

import os
import sys

import httpx

url, client_id, scope, project_id = sys.argv[1:5]
response = httpx.post(
    f"{url}/v1/oauth/token",
    json={
        "client_id": client_id,
        "client_secret": os.environ["CSAUTH_BENCH_SECRET"],
        "grant_type": "client_credentials",
        "scope": scope,
        "project_id": int(project_id),
    },
)
response.raise_for_status()
print(response.json()["access_token"])
