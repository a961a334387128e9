"""Development signing keys: a development CA and a key + certificate per department (issue #22 item 4).

Files go to ``HUICAI_SIGNING_DIR`` (default ``PRIVATE_ROOT/signing``), keys readable by their owner only. Existing
keys are kept unless ``--replace``. Refused under the ``pkcs12`` backend: production keys come from the bureau's CA.
"""

from django.core.management.base import BaseCommand, CommandError

from casefiles.models import Department, DepartmentKind
from casefiles.seals import keys


class Command(BaseCommand):
    help = "Create a development CA and a signing key and certificate for every department (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--replace", action="store_true", help="Issue new keys even where some exist.")

    def handle(self, *args, replace=False, **options):
        if keys.backend() != keys.DEV_BACKEND:
            raise CommandError("HUICAI_SIGNING_BACKEND is not 'dev': production keys are PKCS#12 files from the "
                               "bureau's CA (docs/DEPLOYMENT.md).")
        keys.dev_ca()
        made = 0
        departments = Department.objects.exclude(kind=DepartmentKind.EMPLOYER).select_related("jurisdiction")
        for department in departments:
            made += keys.make_dev_department_key(department, replace=replace)
        # paths and counts only: never key material
        self.stdout.write(f"Development CA: {keys.signing_dir() / keys.CA_CERT}")
        self.stdout.write(f"Department keys made: {made}, kept: {departments.count() - made}")
