"""Who should be able to do what, computed from the scheme data files and the organisation rows — never
from the permission code under test (casefiles.permissions, selectors, selectors_cards, services).

Inputs: ``casefiles/schemes/<slug>.yaml`` (each workflow state's ``view`` list and ``actor``, each transition's
``from``/``by``, revocation reasons' ``requested_by``, the loss rule) and the rows that say who works where
(Membership: user → department) and whose dossier or card it is (applicant, holder, employer, authority).
Card-management rules that the YAML does not carry are restated here from the policy articles.
"""

from functools import lru_cache
from pathlib import Path

import yaml

SCHEME_DIR = Path(__file__).resolve().parents[2] / "casefiles" / "schemes"

# Departments that manage issued cards, restated from the articles (通化 第十四、十五条; 吉林 第十条; 楚雄 第四、九条;
# 白云 第六条; 聊城 第三十四条). 白云 第六条第（一）项 also lets the holder's competent authority act on cards.
CARD_DEPARTMENTS = {
    "tonghua": {"service-center", "hr-bureau", "org-dept"},
    "jilin": {"hr-bureau"},
    "chuxiong": {"talent-office"},
    "baiyun": {"hr-bureau", "talent-office"},
    "liaocheng": {"hr-bureau"},
}
AUTHORITY_ACTS_ON_CARDS = {"baiyun"}
# Departments that run a programme (its "office"): joint meetings, statistics, catalogue changes.
OFFICE_KINDS = {"talent_office", "org_dept", "leading_group", "hr_bureau", "joint_meeting"}
EDITABLE = ("returned",)  # plus the start state: the applicant may change and add files (补正)


@lru_cache(maxsize=None)
def scheme_data(slug):
    return yaml.safe_load((SCHEME_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))


def state_spec(slug, code):
    return next(s for s in scheme_data(slug)["workflow"]["states"] if s["code"] == code)


def transitions_from(slug, code):
    return [t for t in scheme_data(slug)["workflow"].get("transitions", []) if code in t["from"]]


def _four_eyes(slug, transition):
    if transition.get("four_eyes") is not None:
        return bool(transition["four_eyes"])
    return bool((scheme_data(slug)["workflow"].get("four_eyes") or {}).get("default", True))


def editable(slug, code):
    return state_spec(slug, code)["kind"] == "start" or code in EDITABLE


class World:
    """The organisation as data: memberships, departments, superusers."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        from casefiles.models import Department, Membership, Scheme

        User = get_user_model()
        self.superusers = set(User.objects.filter(is_superuser=True).values_list("pk", flat=True))
        self.members = {}  # department id -> {user ids}
        self.departments_of = {}  # user id -> {department ids}
        for user_id, department_id in Membership.objects.values_list("user_id", "department_id"):
            self.members.setdefault(department_id, set()).add(user_id)
            self.departments_of.setdefault(user_id, set()).add(department_id)
        self.department = {d.pk: d for d in Department.objects.all()}
        self.scheme_departments = {}  # slug -> {code: department id}
        for scheme in Scheme.objects.prefetch_related("departments"):
            self.scheme_departments[scheme.slug] = {d.code: d.pk for d in scheme.departments.all()}
        self.scheme_jurisdiction = dict(Scheme.objects.values_list("slug", "jurisdiction_id"))
        # people asked for an opinion on a dossier by an open request of its current stage (matrix_opinions.py)
        from .matrix_opinions import viewers_by_dossier

        self.opinion_viewers = viewers_by_dossier(self)

    # --- people behind principals -------------------------------------------------------------------------

    def members_of(self, department_id):
        return set(self.members.get(department_id, ())) if department_id else set()

    def principal_users(self, dossier, principal):
        if principal == "applicant":
            return {dossier.applicant_id}
        if principal == "employer":
            return self.members_of(dossier.employer_id)
        if principal == "authority":
            return self.members_of(dossier.authority_id)
        return self.members_of(self.scheme_departments[dossier.scheme.slug].get(principal))

    def is_case_staff(self, user_id):
        """Works for a reviewing department (not an employer) or is an administrator."""
        if user_id in self.superusers:
            return True
        return any(self.department[d].kind != "employer" for d in self.departments_of.get(user_id, ()))

    def has_admin_access(self, user):
        return user is not None and (user.is_superuser or user.has_perm("wagtailadmin.access_admin"))

    # --- dossiers --------------------------------------------------------------------------------------------

    def dossier_viewers(self, dossier):
        spec = state_spec(dossier.scheme.slug, dossier.state.code)
        principals = set(spec.get("view") or [])
        if spec.get("actor"):
            principals.add(spec["actor"])
        users = set(self.superusers)
        for principal in principals:
            users |= self.principal_users(dossier, principal)
        return users | self.opinion_viewers.get(dossier.pk, set())

    def transition_actors(self, dossier, transition):
        spec = state_spec(dossier.scheme.slug, dossier.state.code)
        if dossier.state.code not in transition["from"]:
            return set()
        users = set()
        for principal in (p.strip() for p in transition["by"].split(",")):
            users |= self.principal_users(dossier, spec.get("actor") if principal == "actor" else principal)
        by_applicant = {p.strip() for p in transition["by"].split(",")} == {"applicant"}
        if not by_applicant and _four_eyes(dossier.scheme.slug, transition):
            users -= self.previous_decider(dossier)
        return users

    def previous_decider(self, dossier):
        """Who made the dossier's last decision, when that decision itself was under four eyes (the workflow's
        ``four_eyes`` default, a step's own ``four_eyes`` overriding it; the applicant's steps never count)."""
        from casefiles.models import Opinion

        last = Opinion.objects.filter(dossier_id=dossier.pk).order_by("-created_at", "-pk").first()
        if last is None:
            return set()
        previous = next((t for t in scheme_data(dossier.scheme.slug)["workflow"].get("transitions", [])
                         if t["code"] == last.transition), None)
        if previous is None or "applicant" in previous["by"] or not _four_eyes(dossier.scheme.slug, previous):
            return set()
        return {last.actor_id}

    def dossier_editors(self, dossier):
        """The applicant, while the dossier is a draft or returned for supplement."""
        return {dossier.applicant_id} if editable(dossier.scheme.slug, dossier.state.code) else set()

    # --- cards -----------------------------------------------------------------------------------------------

    def card_department_ids(self, card):
        slug = card.scheme.slug
        ids = {self.scheme_departments[slug][c] for c in CARD_DEPARTMENTS[slug] if c in self.scheme_departments[slug]}
        if slug in AUTHORITY_ACTS_ON_CARDS and card.dossier.authority_id:
            ids.add(card.dossier.authority_id)
        return ids

    def bank_ids(self, slug):
        return {pk for pk in self.scheme_departments[slug].values() if self.department[pk].kind == "bank"}

    def card_managers(self, card):
        """Staff who keep the scheme's registry: card departments (and the bank that produces the cards)."""
        return self.card_managers_of(card.scheme.slug)

    def card_managers_of(self, slug):
        ids = {self.scheme_departments[slug][c] for c in CARD_DEPARTMENTS[slug] if c in self.scheme_departments[slug]}
        users = set(self.superusers)
        for department_id in ids | self.bank_ids(slug):
            users |= self.members_of(department_id)
        return users

    def card_department_users(self, card):
        users = set(self.superusers)
        for department_id in self.card_department_ids(card):
            users |= self.members_of(department_id)
        return users

    def card_viewers(self, card):
        users = self.card_managers(card) | self.card_department_users(card) | {card.holder_id}
        users |= self.members_of(card.employer_id or card.dossier.employer_id)
        return users

    def card_requesters(self, card, reason):
        """Holder or employer, as the reason's article allows (revocation requests); the managing department's officers
        too where the scheme's exits need a second officer (``cards.exit_approval``)."""
        users = set()
        if "holder" in (reason.get("requested_by") or []):
            users.add(card.holder_id)
        if "employer" in (reason.get("requested_by") or []):
            users |= self.members_of(card.employer_id or card.dossier.employer_id)
        if "department" in (reason.get("requested_by") or []) and (scheme_data(card.scheme.slug).get("cards") or {}).get(
                "exit_approval"):  # the department's exits need a second officer: one requests, a colleague approves
            users |= self.card_department_users(card) - {card.holder_id}
        return users

    def batch_handlers(self, slug):
        """Card production files: the scheme's bank and card departments."""
        ids = {self.scheme_departments[slug][c] for c in CARD_DEPARTMENTS[slug] if c in self.scheme_departments[slug]}
        users = set(self.superusers)
        for department_id in ids | self.bank_ids(slug):
            users |= self.members_of(department_id)
        return users

    def notice_handlers(self, slug):
        ids = {self.scheme_departments[slug][c] for c in CARD_DEPARTMENTS[slug] if c in self.scheme_departments[slug]}
        users = set(self.superusers)
        for department_id in ids:
            users |= self.members_of(department_id)
        return users

    def programme_office(self, slug):
        users = set(self.superusers)
        for department_id in self.scheme_departments[slug].values():
            if self.department[department_id].kind in OFFICE_KINDS:
                users |= self.members_of(department_id)
        return users


# --- Wagtail admin object pages (issue #15 item 2) ------------------------------------------------------------------
# Every admin URL with an object id whose view names a model of ours is swept against one object of every scheme.
# Who may do what to such a record is restated here from the organisation rows and the articles — never read from
# the policies under test (huicai.admin_scope, programmes.permissions, casefiles.adminviews).

# the path from a record to its scheme's slug
SLUG_PATH = {
    "casefiles.scheme": "slug",
    "casefiles.revocationrequest": "card__scheme__slug",
    "casefiles.exitcandidate": "card__scheme__slug",
    "programmes.meeting": "joint_meeting__scheme__slug",
}
RULE_MODELS = {"casefiles.scheme", "casefiles.tier", "casefiles.criterion", "casefiles.precondition",
               "casefiles.serviceitem", "casefiles.revocationreason", "casefiles.workflowstate",
               "casefiles.workflowtransition", "casefiles.recognition"}
CARD_RECORDS = {"casefiles.card", "casefiles.revocationrequest", "casefiles.exitcandidate", "casefiles.productionbatch"}
OFFICE_RECORDS = {"programmes.servicecommissioner", "programmes.servicechangerequest", "programmes.meeting"}
FEEDBACK = {"programmes.feedback"}
# Which of Wagtail's actions a view of a viewset (by URL name) performs; hand-written pages read ("view")
VIEW_ACTION = {"edit": "change", "delete": "delete", "history": "change", "history_results": "change",
               "usage": "change", "inspect": "view", "copy": "add"}


def family(label):
    """Records kept under the same rule are sampled together (one of them per user and scheme, in turn)."""
    for name, labels in (("scheme rules", RULE_MODELS), ("card records", CARD_RECORDS),
                         ("programme office", OFFICE_RECORDS), ("feedback", FEEDBACK)):
        if label in labels:
            return name
    return None


def slug_path(label):
    return SLUG_PATH.get(label, "scheme__slug")


def admin_object_audience(world, user, label, obj, slug, action):
    """May ``user`` (with admin access) do ``action`` on ``obj`` (of scheme ``slug``) in the admin?"""
    if user is None or not user.is_active:
        return False
    uid = user.pk
    if label in RULE_MODELS:
        # scheme rules are kept by administrators; anyone else needs the Django model permission and a reviewing
        # department in the scheme (no group holds such permissions today)
        if uid in world.superusers:
            return True
        model = label.split(".")[1]
        perm = {"view": "view", "change": "change", "delete": "delete", "add": "add"}[action]
        scheme_departments = set(world.scheme_departments[slug].values())
        own = {d for d in world.departments_of.get(uid, ()) if world.department[d].kind != "employer"}
        return user.has_perm(f"casefiles.{perm}_{model}") and bool(own & scheme_departments)
    if label in CARD_RECORDS:
        # read-only records (changes go through the card services): the scheme's card registry keepers read them
        return action == "view" and (user.is_staff or uid in world.superusers) and uid in world.card_managers_of(slug)
    if label in OFFICE_RECORDS:
        return uid in world.programme_office(slug)  # includes the administrators
    if label in FEEDBACK:
        return uid in world.superusers or uid in world.members_of(obj.unit_id)
    raise KeyError(label)

