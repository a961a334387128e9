"""Jurisdictions, the departments that belong to them, and the people who work for departments.

A department maps one-to-one to a Django ``Group``: object permissions on dossiers are granted to
groups, so adding a person to a department is all it takes for them to see its worklist.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class JurisdictionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    PREFECTURE = "prefecture", _("Prefecture")
    DISTRICT = "district", _("District")


class Jurisdiction(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=JurisdictionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return self.short_name or self.name

    def clean(self):
        # A jurisdiction may not contain itself, however far up the chain.
        node = self.parent
        while node is not None:
            if node.pk == self.pk:
                raise ValidationError({"parent": _("A jurisdiction cannot be inside itself.")})
            node = node.parent

    def ancestors(self):
        """From the top-level province down to the direct parent."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def descendants(self):
        found, frontier = [], list(self.children.all())
        while frontier:
            node = frontier.pop()
            found.append(node)
            frontier.extend(node.children.all())
        return found


class DepartmentKind(models.TextChoices):
    ORG_DEPT = "org_dept", _("Organisation department")
    TALENT_OFFICE = "talent_office", _("Talent office")
    LEADING_GROUP = "leading_group", _("Talent leading group")
    JOINT_MEETING = "joint_meeting", _("Joint meeting")
    HR_BUREAU = "hr_bureau", _("HR bureau")
    COMPETENT_AUTHORITY = "competent_authority", _("Competent authority")
    SUPERVISING_HR = "supervising_hr", _("Supervising HR department")
    BANK = "bank", _("Bank")
    RESPONSIBLE_UNIT = "responsible_unit", _("Responsible unit")
    EMPLOYER = "employer", _("Employer")


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


SEAL_IMAGE_MAX_BYTES = 1024 * 1024
SEAL_IMAGE_MIN_PX, SEAL_IMAGE_MAX_PX = 120, 2000


def validate_seal_image(value):
    """A seal image is a PNG (transparent background) or JPEG, at most 1 MB, 120–2000 pixels a side."""
    from django.core.files.images import get_image_dimensions

    if value.size > SEAL_IMAGE_MAX_BYTES:
        raise ValidationError(_("The seal image may be at most 1 MB."), code="seal_size")
    width, height = get_image_dimensions(value)
    if not width or not height:
        raise ValidationError(_("The seal image is not a PNG or JPEG image."), code="seal_image")
    if min(width, height) < SEAL_IMAGE_MIN_PX or max(width, height) > SEAL_IMAGE_MAX_PX:
        raise ValidationError(
            _("The seal image must be between %(min)s and %(max)s pixels on each side."),
            code="seal_dimensions", params={"min": SEAL_IMAGE_MIN_PX, "max": SEAL_IMAGE_MAX_PX},
        )


class Department(models.Model):
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=30, choices=DepartmentKind.choices)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    group = models.OneToOneField(
        Group, verbose_name=_("group"), on_delete=models.PROTECT, related_name="department", editable=False
    )
    seal_image = models.ImageField(
        _("seal image"), storage=_private_storage, upload_to="seals/", blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"]), validate_seal_image],
        help_text=_("The department's official seal as a PNG with a transparent background (or a JPEG). It is the "
                    "visible seal of the documents the department signs; without it they are signed without a "
                    "visible seal."),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["jurisdiction__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="department_unique_code_per_jurisdiction")
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def group_name_for(jurisdiction_code, code):
        return f"{jurisdiction_code}.{code}"

    def save(self, *args, **kwargs):
        # The group is the department's grantee for object permissions; keep its name in step
        # with the department's identity so that admins can tell groups apart.
        name = self.group_name_for(self.jurisdiction.code, self.code)
        if self.group_id is None:
            self.group, _created = Group.objects.get_or_create(name=name)
        elif self.group.name != name:
            self.group.name = name
            self.group.save(update_fields=["name"])
        super().save(*args, **kwargs)
        self.sync_admin_access()

    def sync_admin_access(self):
        """Staff of every department but employers work in the Wagtail admin (worklists, registry)."""
        from ..permissions import admin_access_permission_id

        access = admin_access_permission_id()
        if access is None:  # before wagtailadmin's migrations ran
            return
        granted = Group.permissions.through.objects
        if self.kind == DepartmentKind.EMPLOYER:
            granted.filter(group_id=self.group_id, permission_id=access).delete()
        else:
            granted.bulk_create([granted.model(group_id=self.group_id, permission_id=access)], ignore_conflicts=True)


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    EMPLOYER_CONTACT = "employer_contact", _("Employer contact")
    REVIEWER = "reviewer", _("Department reviewer")
    HEAD = "head", _("Department head")
    OFFICIAL = "official", _("Official")
    ADMINISTRATOR = "administrator", _("Administrator")


class Membership(models.Model):
    """A person working for a department in a role. Membership puts the person in the department's group."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["department", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} · {self.department} · {self.get_role_display()}"

    def clean(self):
        if self.role in (Role.APPLICANT, Role.ADMINISTRATOR):
            raise ValidationError({"role": _("This role is not held through a department.")})
        is_employer = self.department.kind == DepartmentKind.EMPLOYER
        if is_employer != (self.role == Role.EMPLOYER_CONTACT):
            raise ValidationError({"role": _("Employers have employer contacts; departments have staff.")})
