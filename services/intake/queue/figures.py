"""The queue's figures for one MPP and day, from its tickets (:mod:`shared.queue_figures`):
worked out from ``queue_tickets`` when asked; a large MPP's day is a few thousand
tickets, read in one query.
"""

from shared.queue_figures import figures

__all__ = ["figures"]
