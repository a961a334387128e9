"""Set-wise writes for the scheme loader: a scheme's rows of one model, and the links of one many-to-many field, are
read in one query and written in at most one insert, one update and one delete, not a query (and a savepoint) per row.

A fresh load of the five shipped schemes went from about 4,100 queries to a few hundred (docs/PERFORMANCE.md, "Loading
the scheme files"). Bulk writes send no ``post_save`` or ``m2m_changed``: the loader says what those signals would
have said itself (``policypages.cache.invalidate`` once per load). Wagtail's reference index, which listened to every
save, does not track the rule rows (``wagtail_reference_index_ignore`` on their models): they mirror the file.
"""

from collections import defaultdict


def _stored(model, name, value):
    """(attribute name, value as stored) of a field given by name: a related object by its primary key."""
    field = model._meta.get_field(name)
    if field.is_relation:
        return field.attname, (value.pk if value is not None else None)
    return field.attname, value


def rows_upsert(model, scheme, key, rows):
    """Make ``model``'s rows of ``scheme`` say what ``rows`` (``[(key value, {field: value})]``) says, matched on
    ``key``; returns ``{key value: row}`` in the file's order. Rows the file does not list are left alone (the loader's
    ``_sync`` deletes them when nothing points at them). Only changed fields are written."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(scheme=scheme)}
    created, changed, fields, result = [], [], set(), {}
    for value, defaults in rows:
        stored = dict(_stored(model, name, v) for name, v in defaults.items())
        obj = existing.get(value)
        if obj is None:
            obj = model(scheme=scheme, **{key: value}, **defaults)
            created.append(obj)
        else:
            differ = [name for name, v in stored.items() if getattr(obj, name) != v]
            if differ:
                for name in differ:
                    setattr(obj, name, stored[name])
                changed.append(obj)
                fields.update(differ)
        result[value] = obj
    if created:
        model.objects.bulk_create(created)
    if changed:
        model.objects.bulk_update(changed, sorted(fields))
    return result


def links_set(field, wanted, *, ordered=False):
    """Make the links of the many-to-many ``field`` (``Model._meta.get_field(name)``) from each owner in ``wanted``
    (``{owner: [targets]}``) be exactly those targets. With ``ordered`` the link rows keep the list's order (an owner's
    rows are rewritten when the order differs: the first responsible unit gets the feedback); otherwise only missing
    links are added and stale ones removed."""
    through = field.remote_field.through
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    owners = {owner.pk: [t.pk for t in targets] for owner, targets in wanted.items()}
    if not owners:
        return
    current = defaultdict(list)
    for pk, owner_id, target_id in through.objects.filter(**{f"{source}__in": list(owners)}).order_by("pk").values_list(
            "pk", source, target):
        current[owner_id].append((pk, target_id))
    stale, new = [], []
    for owner_id, targets in owners.items():
        have = current.get(owner_id, [])
        if ordered:
            if [t for _pk, t in have] != targets:
                stale += [pk for pk, _t in have]
                new += [(owner_id, t) for t in targets]
        else:
            keep = set(targets)
            stale += [pk for pk, t in have if t not in keep]
            present = {t for _pk, t in have}
            new += [(owner_id, t) for t in dict.fromkeys(targets) if t not in present]
    if stale:
        through.objects.filter(pk__in=stale).delete()
    if new:
        through.objects.bulk_create([through(**{source: o, target: t}) for o, t in new])
