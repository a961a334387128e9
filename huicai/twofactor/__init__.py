"""Officers' second factor: TOTP (an authenticator app) with recovery codes, on django-otp.

With ``HUICAI_STAFF_SECOND_FACTOR`` on (production), an account that may enter the admin (staff, superuser, or holding
``wagtailadmin.access_admin``) must pass a second step after its password before any page but the steps themselves:
:mod:`.middleware` sends it to enrolment (no authenticator yet) or to verification. Devices are django-otp's
``TOTPDevice`` (the authenticator) and ``StaticDevice`` (single-use recovery codes); the session remembers the device
that verified it (``django_otp.login``), and a new sign-in starts unverified.
"""
