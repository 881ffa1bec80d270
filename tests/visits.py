"""Visits shared by the tests."""

from __future__ import annotations

from policyengine import merge_patch
from policyengine.packs import witness as _witness

#: A fully prepared, paired, authorised, daytime repeat visit with no animals: every built-in pack
#: must permit it (the witness search builds on it too).
PREPARED = _witness.PREPARED

#: The same visit at the door, with everything as it should be.
AT_THE_DOOR = {
    "on_arrival": {
        "parents_present": True,
        "minutes_waited": 0,
        "responsible_adult_present": True,
        "invited_in_by": "responsible_adult",
        "animal_request_refused": False,
        "occupant_concern": False,
        "staff_feel_unsafe": False,
        "meeting_room": "ground_floor",
        "upstairs_escort": False,
    }
}

ONE_STAFF = {"staff": [PREPARED["staff"][0]]}


def visit(*patches: dict) -> dict:
    """PREPARED with each patch applied in turn (JSON merge patches)."""
    result = PREPARED
    for patch in patches:
        result = merge_patch(result, patch)
    return result


def arrived(patch: dict | None = None) -> dict:
    """PREPARED at the door, with ``patch`` applied to ``on_arrival``."""
    return visit(AT_THE_DOOR, {"on_arrival": patch or {}})


def at_door(patch: dict | None = None) -> dict:
    """The patch that brings a visit to the door (``AT_THE_DOOR`` with ``patch`` applied to
    ``on_arrival``), to combine with other patches: ``visit(ANIMALS, at_door({...}))``. (``arrived``
    returns a whole visit, which as a patch would undo the patches before it.)"""
    return merge_patch(AT_THE_DOOR, {"on_arrival": patch or {}})
