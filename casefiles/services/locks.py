"""Row locks a mutation takes on dossiers, in one place.

A mutation locks its dossier ``FOR NO KEY UPDATE``, not ``FOR UPDATE``. Every journal entry, opinion, attachment
or grant written for a dossier checks its foreign key with a ``FOR KEY SHARE`` lock on the dossier's row; a
``FOR UPDATE`` lock blocks that check and a ``FOR NO KEY UPDATE`` lock does not. With ``FOR UPDATE``, an officer
who opens a dossier (the view is journaled: the journal's head first, then the entry) while another officer
moves it on (the dossier first, then the journal's head) waited on each other until PostgreSQL broke the deadlock
and the reader got a 409 (seen in the load test in CI). Two mutations of one dossier still queue behind each other:
``FOR NO KEY UPDATE`` conflicts with itself. SQLite has no row locks and ignores both.

Lock first, then read with the joins: a row locked by a query with joins that another transaction has just moved
to a new state is re-checked by PostgreSQL against the old joined state and dropped."""

from ..models import Dossier


def lock_dossier(pk):
    """Lock the dossier ``pk`` until the transaction ends; Dossier.DoesNotExist if there is none."""
    Dossier.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk", flat=True).get()


def lock_dossiers(pks):
    """Lock the dossiers ``pks`` (in id order, so that two transactions locking overlapping sets cannot deadlock)
    until the transaction ends; returns them."""
    return list(Dossier.objects.select_for_update(no_key=True).filter(pk__in=list(pks)).order_by("pk"))
