"""Replay facts applied to a proposal's windows: an occurrence that started late or was cut short is
planned as it happened (violated occurrences stay open: the road was usable, people's response is what
changes, in the departure model)."""

from __future__ import annotations

import datetime as dt

from safepassage.scenario.model import Proposal, Window

__all__ = ["replayed_proposal"]


def replayed_proposal(proposal: Proposal) -> Proposal:
    """The proposal with each window occurrence that has a replay fact shortened as it happened.

    Repeating windows are expanded into single occurrences only where a fact applies; an occurrence cut
    to nothing is dropped. Without replay facts the proposal is returned unchanged."""
    if not proposal.replay:
        return proposal
    facts = {r.date: r for r in proposal.replay}
    windows: list[Window] = []
    for window in proposal.windows:
        if not any(start.date() in facts for start, _ in window.occurrences()):
            windows.append(window)
            continue
        for start, end in window.occurrences():
            fact = facts.get(start.date())
            if fact is not None:
                start = start + dt.timedelta(minutes=fact.started_late_minutes)
                end = end - dt.timedelta(minutes=fact.cut_short_minutes)
            if end > start:
                windows.append(window.model_copy(update={"start": start, "end": end, "repeat_days": 1}))
    return proposal.model_copy(update={"windows": windows})
