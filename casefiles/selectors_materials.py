"""Required materials (申请材料) of a scheme and how a dossier stands against them (read side)."""

from django.utils.translation import gettext as _

from .models import OTHER_MATERIAL, MaterialRequirement


def material_kinds(scheme):
    """(code, name) of every kind of material a dossier of this scheme may carry, ``other`` last."""
    kinds = [(m.code, m.name) for m in MaterialRequirement.objects.filter(scheme=scheme).order_by("order", "pk")]
    return [*kinds, (OTHER_MATERIAL, _("Other material"))]


def materials_for(dossier, criteria=None, tier=None):
    """The scheme's materials that apply to this dossier (by requested tier and claimed criteria), in order."""
    tier_id = (tier or dossier.requested_tier).pk if (tier or dossier.requested_tier_id) else None
    if criteria is None:
        criteria = list(dossier.criteria.all()) if dossier.pk else []
    claimed = {c.pk for c in criteria}
    result = []
    for material in MaterialRequirement.objects.filter(scheme_id=dossier.scheme_id).prefetch_related("tiers", "criteria").order_by("order", "pk"):
        tiers = {t.pk for t in material.tiers.all()}
        wanted = {c.pk for c in material.criteria.all()}
        if tiers and tier_id not in tiers:
            continue
        if wanted and not (wanted & claimed):
            continue
        result.append(material)
    return result


def materials_status(dossier):
    """Each applicable material with whether it is attached, waived (with the waiver) or missing."""
    attached = set(dossier.documents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True))
    waivers = {w.code: w for w in dossier.material_waivers.select_related("waived_by")}
    rows = []
    for material in materials_for(dossier):
        rows.append({
            "material": material,
            "attached": material.code in attached,
            "waiver": waivers.get(material.code),
            "missing": not material.optional and material.code not in attached and material.code not in waivers,
        })
    return rows


def materials_missing(dossier):
    """The required materials neither attached nor waived."""
    return [row["material"] for row in materials_status(dossier) if row["missing"]]
