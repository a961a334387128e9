"""``sees_dossier`` (one dossier's grants, read in one statement) answers exactly as the listing's
``dossiers_visible_to`` for every demo user and every demo dossier, for both codenames, and for ids no dossier has;
``dossier_for``, ``attachment_for`` and ``document_for`` follow it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from casefiles.actions.documents import document_for
from casefiles.models import Attachment, Document, Dossier
from casefiles.permissions import ACT, VIEW
from casefiles.selectors import _granted, dossier_for, dossiers_visible_to, sees_dossier
from casefiles.services.attachments import attachment_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]


def test_every_user_and_dossier_agrees_with_the_listing():
    users = [*get_user_model().objects.order_by("username"), AnonymousUser()]
    pks = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
    assert len(users) > 50 and len(pks) > 50
    missing = max(pks) + 1000
    compared = granted = 0
    for user in users:
        for codename in (VIEW, ACT):
            if user.is_authenticated and not user.is_superuser:
                listed = set(Dossier.objects.filter(_granted(user, codename)).values_list("pk", flat=True))
            else:
                listed = set(dossiers_visible_to(user).values_list("pk", flat=True))
            answered = {pk for pk in pks if sees_dossier(user, pk, codename)}
            assert answered == listed, (getattr(user, "username", "anonymous"), codename, answered ^ listed)
            assert not sees_dossier(user, missing, codename)
            compared += len(pks)
            granted += len(listed)
    assert 0 < granted < compared, "some pairs granted, some not: the sweep can fail either way"
    for wrong in ("not-a-number", 0, -1, 2**63, 14084567635549585670144):  # the last one the API fuzzer sent
        assert not sees_dossier(users[0], wrong), wrong
        assert not sees_dossier(users[-2], wrong), wrong


def test_dossier_attachment_and_document_reads_answer_a_hidden_row_as_a_missing_one():
    staff = get_user_model().objects.filter(is_superuser=False, memberships__isnull=False).distinct().order_by("username")
    attachments = list(Attachment.objects.order_by("pk"))
    documents = list(Document.objects.order_by("pk"))
    assert attachments and documents
    checked = 0
    for user in staff[:12]:
        visible = set(dossiers_visible_to(user).values_list("pk", flat=True))
        for attachment in attachments:
            if attachment.dossier_id in visible:
                assert dossier_for(user, attachment.dossier_id).pk == attachment.dossier_id
                assert attachment_for(user, attachment.pk).pk == attachment.pk
            else:
                with pytest.raises(Dossier.DoesNotExist):
                    dossier_for(user, attachment.dossier_id)
                with pytest.raises(Attachment.DoesNotExist):
                    attachment_for(user, attachment.pk)
            checked += 1
        for document in documents:
            if document.dossier_id in visible:
                assert document_for(user, document.pk).pk == document.pk
            else:
                with pytest.raises(Document.DoesNotExist):
                    document_for(user, document.pk)
        with pytest.raises(Dossier.DoesNotExist):
            dossier_for(user, 10_000_000)
    assert checked
