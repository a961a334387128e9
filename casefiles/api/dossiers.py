"""Dossier API: the same selectors and services as the portal and the admin.

Listing and detail only ever show dossiers the caller may see (404 otherwise, so that existence is not
revealed); transitions map the services' typed errors to 400 / 403 / 409.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from huicai.api.pagination import paginated, paginated_schema
from identity.selectors import verified_identity

from ..exceptions import CaseFileError, TransitionDenied
from ..masking import mask_id_number, mask_phone
from ..models import OTHER_MATERIAL, Attachment, Criterion, Department, Dossier, IdType, JournalEntry, Scheme, Tier
from ..selectors import dossier_for, dossiers_visible_to, transitions_available
from ..services.attachments import attachment_add, attachment_for, attachment_open
from ..services.dossiers import dossier_create, dossier_transition
from ..services.journal import journal_write
from ..validation import dossier_input_problem
from ..views_portal import attachment_response


class DossierSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tier = serializers.SerializerMethodField()
    stage = serializers.CharField(source="state.name", read_only=True)
    state = serializers.CharField(source="state.code", read_only=True)
    employer = serializers.CharField(source="employer.name", default=None, read_only=True)

    class Meta:
        model = Dossier
        fields = ["id", "reference", "scheme", "tier", "stage", "state", "applicant_name", "employer", "due_date", "submitted_at", "created_at"]

    def get_tier(self, obj) -> str:
        return (obj.granted_tier or obj.requested_tier).code


class OpinionSerializer(serializers.Serializer):
    decision = serializers.CharField()
    transition = serializers.CharField()
    department = serializers.CharField(source="department.name", default=None)
    comment = serializers.CharField()
    article = serializers.CharField()
    created_at = serializers.DateTimeField()


class MaterialStatusSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    article = serializers.CharField(help_text="条款；为空且 setting 为 true 时是管理设置")
    setting = serializers.BooleanField(help_text="管理设置（非政策原文要求）")
    optional = serializers.BooleanField()
    attached = serializers.BooleanField()
    waived = serializers.BooleanField()
    waiver_reason = serializers.CharField(allow_null=True)
    missing = serializers.BooleanField(help_text="必需且既未上传也未免于提交")


def materials_payload(dossier):
    """The dossier's materials checklist as the API answers it (one row per applicable material)."""
    from ..selectors_materials import materials_status

    return [
        {
            "code": row["material"].code, "name": row["material"].name, "article": row["material"].article,
            "setting": row["material"].setting, "optional": row["material"].optional, "attached": row["attached"],
            "waived": row["waiver"] is not None, "waiver_reason": row["waiver"].reason if row["waiver"] else None,
            "missing": row["missing"],
        }
        for row in materials_status(dossier)
    ]


class DossierDetailSerializer(DossierSerializer):
    criteria = serializers.SlugRelatedField(slug_field="ref", many=True, read_only=True)
    id_type = serializers.CharField()
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    opinions = OpinionSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()
    missing_items = serializers.CharField()
    materials = serializers.SerializerMethodField()

    class Meta(DossierSerializer.Meta):
        fields = DossierSerializer.Meta.fields + ["criteria", "facts", "id_type", "id_number", "phone", "nationality", "opinions", "attachments", "transitions", "missing_items", "materials"]

    @extend_schema_field(MaterialStatusSerializer(many=True))
    def get_materials(self, obj):
        return materials_payload(obj)

    def _is_applicant(self, obj):
        return self.context["request"].user.pk == obj.applicant_id

    # The applicant sees their own numbers; staff see them masked through the API (full numbers only
    # in the admin detail, where each view is journaled).
    def get_id_number(self, obj) -> str:
        return obj.id_number if self._is_applicant(obj) else mask_id_number(obj.id_number)

    def get_phone(self, obj) -> str:
        return obj.phone if self._is_applicant(obj) else mask_phone(obj.phone)

    def get_attachments(self, obj) -> list[dict]:
        return [
            {"id": a.pk, "kind": a.kind, "name": a.original_name, "size": a.size, "content_type": a.content_type,
             "document": a.document_id, "version": a.version}
            for a in obj.attachments.all()
        ]

    def get_transitions(self, obj) -> list[dict]:
        return [{"code": t.code, "name": t.name, "requires_comment": t.requires_comment} for t in transitions_available(self.context["request"].user, obj)]


class DossierCreateSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    tier = serializers.CharField()
    criteria = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    facts = serializers.DictField(required=False, default=dict)
    # Optional for an applicant signed in through the identity provider: the verified values are taken (and a
    # different value is refused); required for everyone else (validate).
    applicant_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    id_type = serializers.ChoiceField(choices=IdType.choices, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    nationality = serializers.CharField(max_length=60, default="中国")
    phone = serializers.CharField(max_length=30)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    contract_end = serializers.DateField(required=False, allow_null=True, default=None)
    employer = serializers.IntegerField(required=False, allow_null=True, default=None)
    authority = serializers.IntegerField(required=False, allow_null=True, default=None)

    def validate(self, data):
        # Facts and dates are checked here for an early, field-named 400, and again by the service (one function).
        problem = dossier_input_problem(data)
        if problem:
            raise ValidationError({problem[0]: problem[1]})
        if verified_identity(self.context["request"].user) is None:
            missing = {f: _("This field is required.") for f in ("applicant_name", "id_number") if not data[f].strip()}
            if missing:
                raise ValidationError(missing)
            data["id_type"] = data["id_type"] or IdType.RESIDENT_ID
        try:
            scheme = Scheme.objects.get(slug=data["scheme"])
        except Scheme.DoesNotExist:
            raise ValidationError({"scheme": _("Unknown scheme: %(slug)s") % {"slug": data["scheme"]}}) from None
        try:
            data["tier"] = Tier.objects.get(scheme=scheme, code=data["tier"])
        except Tier.DoesNotExist:
            raise ValidationError({"tier": _("Unknown tier: %(code)s") % {"code": data["tier"]}}) from None
        criteria = list(Criterion.objects.filter(scheme=scheme, ref__in=data["criteria"]))
        unknown = sorted(set(data["criteria"]) - {c.ref for c in criteria})
        if unknown:
            raise ValidationError({"criteria": _("Unknown criterion id: %(ids)s") % {"ids": "、".join(unknown)}})
        data["criteria"], data["scheme"] = criteria, scheme
        for field in ("employer", "authority"):
            if data[field] is not None:
                department = Department.objects.filter(pk=data[field]).first()
                if department is None:
                    raise ValidationError({field: _("Unknown department: %(id)s") % {"id": data[field]}})
                data[field] = department
        return data


class DossierListCreate(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = DossierSerializer

    def get_queryset(self):
        queryset = dossiers_visible_to(self.request.user).select_related("scheme", "state", "requested_tier", "granted_tier", "employer")
        for param, lookup in (("scheme", "scheme__slug"), ("state", "state__code"), ("tier", "requested_tier__code")):
            if self.request.query_params.get(param):
                queryset = queryset.filter(**{lookup: self.request.query_params[param]})
        return queryset.order_by("-created_at", "-pk")

    @extend_schema(request=DossierCreateSerializer, responses={201: DossierDetailSerializer})
    def post(self, request):
        serializer = DossierCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            dossier = dossier_create(
                applicant=request.user,
                scheme=data.pop("scheme"),
                requested_tier=data.pop("tier"),
                criteria=data.pop("criteria"),
                facts=data.pop("facts"),
                employer=data.pop("employer"),
                authority=data.pop("authority"),
                **data,
            )
        except CaseFileError as exc:
            raise ValidationError({exc.code: exc.message}) from None
        return Response(DossierDetailSerializer(dossier, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _visible_or_404(user, pk):
    try:
        return dossier_for(user, pk)
    except Dossier.DoesNotExist:
        raise NotFound(_("Not found.")) from None


class DossierDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: DossierDetailSerializer})
    def get(self, request, pk):
        dossier = _visible_or_404(request.user, pk)
        if request.user.pk != dossier.applicant_id:
            journal_write(action="casefiles.dossier.view", actor=request.user, dossier=dossier, data={"via": "api"})
        return Response(DossierDetailSerializer(dossier, context={"request": request}).data)


class TransitionRequestSerializer(serializers.Serializer):
    transition = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    expected_state = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.CharField(required=False, allow_blank=True, default="")


class DossierTransition(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TransitionRequestSerializer,
        responses={200: inline_serializer("TransitionResult", {"id": serializers.IntegerField(), "state": serializers.CharField(), "stage": serializers.CharField()})},
    )
    def post(self, request, pk):
        dossier = _visible_or_404(request.user, pk)
        serializer = TransitionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The service's errors become 400 / 403 / 409 in huicai/api/exceptions.py (casefiles/errors.py).
        dossier = dossier_transition(
            dossier=dossier,
            transition=data["transition"],
            user=request.user,
            comment=data["comment"],
            expected_state=data["expected_state"] or None,
            minutes=data["minutes"],
        )
        return Response({"id": dossier.pk, "state": dossier.state.code, "stage": dossier.state.name, "reference": dossier.reference})


class WaiverRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="免于提交的理由（必填）")


class DossierMaterialWaive(APIView):
    """Staff waive one required material of a dossier, with the reason on record (免于提交)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="dossiers_materials_waive_create",
        request=WaiverRequestSerializer,
        responses={
            201: inline_serializer("MaterialWaived", {
                "code": serializers.CharField(), "name": serializers.CharField(), "reason": serializers.CharField(),
                "waived_at": serializers.DateTimeField(), "materials": MaterialStatusSerializer(many=True)}),
            409: None,
        },
    )
    def post(self, request, pk, code):
        from ..services.materials import material_waive

        dossier = _visible_or_404(request.user, pk)
        serializer = WaiverRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        waiver = material_waive(dossier=dossier, code=code, reason=serializer.validated_data["reason"], user=request.user)
        names = {m["code"]: m["name"] for m in materials_payload(dossier)}
        return Response(
            {"code": waiver.code, "name": names.get(waiver.code, waiver.code), "reason": waiver.reason,
             "waived_at": waiver.waived_at, "materials": materials_payload(dossier)},
            status=status.HTTP_201_CREATED,
        )


class DossierAttachments(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("AttachmentUpload", {"file": serializers.FileField(), "kind": serializers.CharField(max_length=40, help_text="申请材料代码（见方案的 materials），或 other"),
                                                                     "document": serializers.IntegerField(required=False, help_text="已有文件的 id：上传其新版本"),
                                                                     "note": serializers.CharField(required=False, help_text="新版本的原因")})},
        responses={201: inline_serializer("AttachmentCreated", {"id": serializers.IntegerField(), "name": serializers.CharField()})},
    )
    def post(self, request, pk):
        dossier = _visible_or_404(request.user, pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError(_("No file was uploaded."))
        try:
            document = None
            if request.data.get("document"):
                try:
                    document = dossier.documents.get(pk=int(request.data["document"]))
                except (ObjectDoesNotExist, ValueError, TypeError):
                    raise NotFound(_("Not found.")) from None
            attachment = attachment_add(
                dossier=dossier, user=request.user, uploaded_file=upload, kind=request.data.get("kind") or OTHER_MATERIAL,
                document=document, note=request.data.get("note", ""), title=request.data.get("title", ""),
                issuing_body=request.data.get("issuing_body", ""), issue_date=request.data.get("issue_date") or None,
            )
        except CaseFileError as exc:
            raise ValidationError({"file": exc.message}) from None
        except TransitionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response({"id": attachment.pk, "name": attachment.original_name, "content_type": attachment.content_type,
                         "document": attachment.document_id, "version": attachment.version}, status=status.HTTP_201_CREATED)


@extend_schema(responses={(200, "application/octet-stream"): bytes})
class AttachmentDownload(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, pk):
        try:
            attachment = attachment_for(request.user, pk)
            handle = attachment_open(attachment=attachment, user=request.user)
        except Attachment.DoesNotExist:
            raise NotFound(_("Not found.")) from None
        return attachment_response(attachment, handle)


class JournalEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)
    department = serializers.CharField(source="department.name", default=None)

    class Meta:
        model = JournalEntry
        fields = ["id", "action", "actor", "department", "data", "created_at"]


class DossierJournal(APIView):
    """The journal of one dossier, for staff who may view it (not for the applicant)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="dossiers_journal_list", responses={200: paginated_schema(JournalEntrySerializer)})
    def get(self, request, pk):
        dossier = _visible_or_404(request.user, pk)
        if not (request.user.is_superuser or request.user.memberships.exclude(department__kind="employer").exists()):
            raise NotFound(_("Not found."))
        entries = JournalEntry.objects.filter(dossier=dossier).select_related("actor", "department").order_by("pk")
        return paginated(request, self, entries, lambda page: JournalEntrySerializer(page, many=True).data)
