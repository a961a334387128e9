"""Start the test OpenID provider: ``python -m tests.oidc_provider.serve`` with OIDC_TEST_RSA_KEY (PEM),
OIDC_TEST_PEOPLE (JSON) and OIDC_TEST_CLIENT (JSON: client_id, client_secret, redirect_uri) in the environment.

Binds a free port on 127.0.0.1, makes its in-memory database, prints one JSON line ({"issuer": ...}) when it is
ready and serves until it is terminated."""

import json
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the standard library's signature)
        pass


def main():
    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], handler_class=QuietHandler)
    issuer = f"http://127.0.0.1:{server.server_port}/o"
    os.environ["OIDC_TEST_ISSUER"] = issuer
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for username, person in settings.TEST_PEOPLE.items():
        get_user_model().objects.create_user(username, password=person["password"])
    client = json.loads(os.environ["OIDC_TEST_CLIENT"])
    Application.objects.create(
        name="Huicai",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,  # no consent page: the region's platform has agreed with the site once
    )
    server.set_app(WSGIHandler())
    print(json.dumps({"issuer": issuer}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
