"""A client generated from icnode's /openapi.json (openapi-python-client) used as a client
author would: make a meeting, add a guest, page the list, read a typed error.

Run by crates/icnode/tests/cli/contract.rs with PYTHONPATH holding the generated package and
ICNODE_URL and ICNODE_KEY in the environment; exits non-zero on the first broken promise.
"""

import os

from icnode_client import AuthenticatedClient
from icnode_client.api.meetings import add_guests, create_meeting, list_meetings
from icnode_client.models import AddLinks, CreateMeeting, ErrorBody, Meeting
from icnode_client.types import UNSET

client = AuthenticatedClient(base_url=os.environ["ICNODE_URL"], token=os.environ["ICNODE_KEY"])

made = create_meeting.sync(
    client=client,
    body=CreateMeeting(chat_id="generated-1", guests=1, ttl_seconds=3600),
)
assert isinstance(made, Meeting), made
assert made.chat_id == "generated-1", made
assert len(made.hosts) == 1 and len(made.guests) == 1, made
assert made.guests[0].url.startswith("http"), made.guests[0]

for n in range(2, 4):
    other = create_meeting.sync(client=client, body=CreateMeeting(chat_id=f"generated-{n}"))
    assert isinstance(other, Meeting), other

added = add_guests.sync(client=client, chat_id="generated-1", body=AddLinks(count=2))
assert len(added.guests) == 2, added
assert added.expires_at == made.expires_at, (added.expires_at, made.expires_at)

seen = []
cursor = UNSET
while True:
    # By prefix: `up` makes a meeting of its own at start.
    page = list_meetings.sync(client=client, limit=2, cursor=cursor, chat_id_prefix="generated-")
    seen += [item.chat_id for item in page.items]
    if isinstance(page.next_cursor, str):
        cursor = page.next_cursor
    else:
        break
assert sorted(seen) == ["generated-1", "generated-2", "generated-3"], seen

taken = create_meeting.sync_detailed(client=client, body=CreateMeeting(chat_id="generated-1"))
assert taken.status_code == 409, taken.status_code
assert isinstance(taken.parsed, ErrorBody), taken.parsed
assert taken.parsed.error.code == "meeting_exists", taken.parsed
assert taken.parsed.error.field == "chatId", taken.parsed

wrong = create_meeting.sync_detailed(client=client, body=CreateMeeting(hosts=30))
assert wrong.status_code == 422, wrong.status_code
assert wrong.parsed.error.field == "hosts", wrong.parsed
print("generated client: meeting made, guests added, list paged, errors typed")
