"""One mechanism that scopes the Wagtail admin to the records a user may see (issue #15 item 2).

A :class:`ScopedPolicy` per model answers the two questions of Wagtail's permission policies: which actions a
user holds on the model at all (``model_actions``) and which rows they hold them on (``scope``). It is registered
for the model with ``wagtail.permissions.register_permission_policy``; every admin view then fetches through it:

- :class:`ScopedModelViewSet` wraps *every* view its ModelViewSet builds (index and results, export, edit, delete,
  history and history results, usage, inspect, copy, and any view added later) so that the object is looked up in
  the policy's scoped queryset, for the actions the view itself requires;
- hand-written admin pages call :func:`scoped_object` / :func:`scoped_queryset` with the same policy.

An id outside the user's scope answers 404 exactly like an id that does not exist — for users without any
permission on the model too, so that guessing ids reveals nothing.
"""

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.contrib.admin.utils import unquote
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry

ALL_ACTIONS = ("add", "change", "delete", "view")


class ScopedPolicy(ModelPermissionPolicy):
    """Permission policy of a model whose rows belong to schemes, units or people.

    Subclasses define ``scope(user, queryset)`` (the rows the user may act on) and, if the model-level grant is not
    the Django model permissions, ``model_actions(user)``. Superusers hold every action on every row unless
    ``model_actions`` says otherwise.
    """

    read_only = False  # True: only "view", for everyone (changes go through services, not model forms)

    def model_actions(self, user):
        """The actions the user holds on the model as a whole (before the scope narrows the rows)."""
        if not (user.is_authenticated and user.is_active):
            return set()
        if user.is_superuser:
            held = set(ALL_ACTIONS)
        else:
            held = {a for a in ALL_ACTIONS if user.has_perm(self._get_permission_name(a))}
        return held & {"view"} if self.read_only else held

    def scope(self, user, queryset):
        raise NotImplementedError

    # --- Wagtail's questions, all answered through model_actions and scope --------------------------------

    def user_has_permission(self, user, action):
        return action in self.model_actions(user)

    def user_has_any_permission(self, user, actions):
        held = self.model_actions(user)
        return any(a in held for a in actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.scope(user, self.model._default_manager.all())

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if instance.pk is None:
            return self.user_has_any_permission(user, actions)
        return self.instances_user_has_any_permission_for(user, actions).filter(pk=instance.pk).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)


def policy_for(model):
    policy = policy_registry.get_by_type(model)
    if not isinstance(policy, ScopedPolicy):
        raise ImproperlyConfigured(f"{model._meta.label} has no ScopedPolicy registered (huicai.admin_scope)")
    return policy


def scoped_queryset(user, model, actions=("view",)):
    return policy_for(model).instances_user_has_any_permission_for(user, list(actions))


def scoped_object(user, model, pk, actions=("view",), queryset=None):
    """The row ``pk`` if the user holds one of ``actions`` on it, else 404 (the same as for a missing id)."""
    rows = scoped_queryset(user, model, actions)
    if queryset is not None:
        rows = queryset.filter(pk__in=rows.values("pk"))
    try:
        return rows.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def view_actions(view):
    """The actions a Wagtail view requires (its own permission_required / any_permission_required)."""
    if getattr(view, "permission_required", None):
        return [view.permission_required]
    return list(getattr(view, "any_permission_required", None) or ALL_ACTIONS)


class ScopedObjectMixin:
    """Fetch the view's object through the policy, for the actions the view requires — in ``setup``, before
    Wagtail's model-level permission check, so that every user who may not use the page on this object (with or
    without permissions on the model) gets the 404 of a missing id."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if self.pk_url_kwarg in self.kwargs:  # (a create view shares the machinery but has no object yet)
            self.object = self.get_object()

    def get_object(self, queryset=None):
        cached = self.__dict__.get("object")
        if cached is not None:
            return cached
        pk = unquote(str(self.kwargs[self.pk_url_kwarg]))
        return scoped_object(self.request.user, self.model, pk, view_actions(self))


class ScopedIndexMixin:
    """Listings, their results fragment and their CSV/XLSX export hold only rows in the user's scope."""

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        return queryset.filter(pk__in=scoped_queryset(self.request.user, self.model, view_actions(self)).values("pk"))


_wrapped = {}


def scoped_view_class(view_class):
    """``view_class`` with the scope mixed in (object views and listings); other views unchanged."""
    if issubclass(view_class, (ScopedObjectMixin, ScopedIndexMixin)):
        return view_class
    if view_class not in _wrapped:
        if issubclass(view_class, IndexView):
            mixin = ScopedIndexMixin
        elif hasattr(view_class, "get_object") and hasattr(view_class, "pk_url_kwarg"):
            mixin = ScopedObjectMixin
        else:
            return view_class
        _wrapped[view_class] = type(f"Scoped{view_class.__name__}", (mixin, view_class), {"__module__": __name__})
    return _wrapped[view_class]


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose every view is scoped by the model's registered :class:`ScopedPolicy`."""

    def construct_view(self, view_class, **kwargs):
        policy_for(self.model)  # fail at start-up, not on the first request, when the policy is missing
        return super().construct_view(scoped_view_class(view_class), **kwargs)
