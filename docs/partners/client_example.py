"""Lists your ADMISSIBLE candidacies (recevables), page by page, with the generated client.

make client && pip install ./clients/python
VAE_GATEWAY_URL=https://<gateway> VAE_API_KEY=vae_… python client_example.py
"""

import os

from vae_platform_client import AuthenticatedClient
from vae_platform_client.api.candidacies import candidacies_list_candidacies
from vae_platform_client.models import Problem

url, key = os.environ["VAE_GATEWAY_URL"], os.environ["VAE_API_KEY"]
with AuthenticatedClient(base_url=url, token=key) as client:
    cursor = None
    while True:
        page = candidacies_list_candidacies.sync(
            client=client, state="ADMISSIBLE", limit=100, cursor=cursor
        )
        if isinstance(page, Problem) or page is None:
            raise SystemExit(f"refused: {page}")
        for candidacy in page.items:
            print(candidacy.id, candidacy.rncp_code, candidacy.target_block_codes)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
