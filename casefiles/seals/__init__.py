"""Sealed documents (issue #22 item 4): certificates, public notices and exit announcements are PDFs signed
(PAdES baseline B, pyHanko) under the key and certificate of each issuing department, carry the department's seal
image where the seal goes, and hold the electronic licence metadata (GB/T 36901–36905) in their XMP.

- ``keys``: where a department's signing key comes from — the development CA (``manage.py make_signing_keys``,
  files under ``PRIVATE_ROOT/signing``) or a PKCS#12 file per department (PKCS#11 tokens: documented, not
  built) — and the trust roots.
- ``licence``: the five licence fields and their XMP form.
- ``signing``: signs a rendered PDF.
- ``verification``: says whether an uploaded PDF's signatures hold and which card it is.

The seal image is a field of the department (``Department.seal_image``), uploaded by superusers in the admin
(``casefiles/adminviews/seals.py``).
"""
