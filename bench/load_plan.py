"""What the load test's simulated users ask for, read from the database (bench/locustfile.py reads the plan).

Needs Django set up. ``build_plan`` also gives the chosen accounts the plan's password: the generated applicants
(bench/loadgen.py) have unusable passwords, and one password hash is written to all of them at once.
"""

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse

PUBLIC_WORDS = ["人才", "住房", "子女入学", "医疗", "落户", "补贴", "创业", "配偶就业"]
STAFF_WORDS = ["李娜", "王", "落户", "体检", "博士后", "材料不全", "张伟", "示范大学"]


def build_plan(password, applicants=100, officers=30, pages=60, cards=50, seed=11):
    from casefiles.models import Card, Dossier
    from casefiles.pdf import verification_token
    from casefiles.selectors import dossiers_actionable_page
    from policypages.models import PolicyPage, SchemeSectionPage, ServiceGuidePage, TierTablePage

    rng = random.Random(seed)
    User = get_user_model()
    paths = []
    for model in (PolicyPage, ServiceGuidePage, TierTablePage, SchemeSectionPage):
        paths += [page.get_url() for page in model.objects.live().public().order_by("path")[:pages]]
    paths = rng.sample(paths, min(len(paths), pages))

    verify = [reverse("card-verify", args=[verification_token(card)]) for card in Card.objects.order_by("pk")[:cards]]

    # Applicants who own dossiers; the generated ones first (their dossiers are among the generated load).
    owner_ids = list(
        Dossier.objects.filter(applicant__username__startswith="load.applicant.")
        .order_by("applicant_id")
        .values_list("applicant_id", flat=True)
        .distinct()[: applicants * 5]
    )
    chosen_applicants = rng.sample(owner_ids, min(len(owner_ids), applicants))
    if not chosen_applicants:
        chosen_applicants = list(Dossier.objects.values_list("applicant_id", flat=True).distinct()[:applicants])

    # Officers: active staff (not superusers) with the longest worklists (待办, counted up to 200), so that most
    # have a second keyset page; none with an empty one.
    sized = []
    for user in User.objects.filter(is_staff=True, is_superuser=False, is_active=True).order_by("username"):
        _rows, _next, count = dossiers_actionable_page(user, Dossier.objects.all(), size=1, count_cap=200)
        if count:
            sized.append((-count, user.username, user.pk))
    chosen_officers = [pk for _c, _u, pk in sorted(sized)[:officers]]

    hashed = make_password(password)
    User.objects.filter(pk__in=chosen_applicants + chosen_officers).update(password=hashed)
    names = dict(User.objects.filter(pk__in=chosen_applicants + chosen_officers).values_list("pk", "username"))
    return {
        "password": password,
        "pages": paths,
        "verify": verify,
        "applicants": [names[pk] for pk in chosen_applicants],
        "officers": [names[pk] for pk in chosen_officers],
        "public_words": PUBLIC_WORDS,
        "staff_words": STAFF_WORDS,
        "dossiers": Dossier.objects.count(),
    }
