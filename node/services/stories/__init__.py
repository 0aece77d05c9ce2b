"""Stories: 24-hour image or video posts with overlays and interactive stickers (node/models/story.py).

One module per thing it owns: `media` (what a story may show), `stickers` (sticker and overlay specs,
results), `audience` (who may see a story; close friends), `posting` (create, delete, expiry),
`answers` (sticker answers and countdown subscriptions), `viewing` (views, viewers, insights, replies,
reactions), `tray` (the tray, an account's stories, the archive) and `highlights`. Federation is in
node/activitypub/stories.py; it hears the `story.*` events these modules record with their writes.
"""

from __future__ import annotations

from datetime import timedelta

LIFETIME = timedelta(hours=24)
