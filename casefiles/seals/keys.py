"""Where each department's signing key and certificate come from, and which roots a verifier trusts.

Backends (``HUICAI_SIGNING_BACKEND``):

- ``dev``: the files ``manage.py make_signing_keys`` writes under ``HUICAI_SIGNING_DIR`` (default
  ``PRIVATE_ROOT/signing``): a development CA and, per department, an EC P-256 key and a certificate the CA issued.
  Not in git, not under media: ``PRIVATE_ROOT`` has no URL.
- ``pkcs12``: one PKCS#12 file per department, at ``HUICAI_SIGNING_PKCS12_<LABEL>`` or else
  ``HUICAI_SIGNING_PKCS12_DIR/<label>.p12``, its passphrase in ``HUICAI_SIGNING_PASSPHRASE_<LABEL>`` — read from the
  environment when the key is loaded, never copied into settings (Django's error pages print settings) and never
  logged. ``<label>`` is the department's group name (``chuxiong.talent-office``); ``<LABEL>`` the same upper-cased
  with every other character than A–Z and 0–9 as ``_`` (``CHUXIONG_TALENT_OFFICE``).

A PKCS#11 token (a bureau's USB key or HSM) is the option for keys that must not leave hardware: docs/DEPLOYMENT.md
says how, and that it is not tested here.
"""

import datetime
import functools
import os
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CA_KEY, CA_CERT = "ca.key.pem", "ca.cert.pem"
DEV_BACKEND, PKCS12_BACKEND = "dev", "pkcs12"


class SigningUnavailable(ImproperlyConfigured):
    """A document must be signed (``HUICAI_SIGNING_REQUIRED``) and its department has no usable key. The message
    names the department and the setting, never a passphrase."""


def signing_dir():
    return Path(getattr(settings, "HUICAI_SIGNING_DIR", None) or Path(settings.PRIVATE_ROOT) / "signing")


def backend():
    return getattr(settings, "HUICAI_SIGNING_BACKEND", DEV_BACKEND)


def signing_required():
    return bool(getattr(settings, "HUICAI_SIGNING_REQUIRED", False))


def department_label(department):
    return department.group_name_for(department.jurisdiction.code, department.code)


def environment_name(label):
    return re.sub(r"[^A-Z0-9]", "_", label.upper())


# --- the development CA ----------------------------------------------------------------------------------


def _new_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())  # ~0.1 ms; an RSA key would take ~50 ms per department


def _name(common_name, organisation):
    from cryptography.x509 import Name, NameAttribute
    from cryptography.x509.oid import NameOID

    return Name([NameAttribute(NameOID.COUNTRY_NAME, "CN"), NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                 NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(*, subject, issuer, public_key, signing_key, ca, years):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=not ca, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    return builder.sign(signing_key, hashes.SHA256())


def _write(path, data, private=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")  # per process: two workers may write it at once
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def _pem_key(key):
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert):
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def dev_ca(directory=None, *, create=True):
    """(key, certificate) of the development CA in ``directory``, made on first use."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    directory = Path(directory or signing_dir())
    key_path, cert_path = directory / CA_KEY, directory / CA_CERT
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    if not create:
        return None
    key = _new_key()
    name = _name("Huicai development CA (not for production)", "Huicai development")
    cert = _certificate(subject=name, issuer=name, public_key=key.public_key(), signing_key=key, ca=True, years=10)
    _write(key_path, _pem_key(key), private=True)
    _write(cert_path, _pem_cert(cert))
    return key, cert


def dev_department_paths(department, directory=None):
    base = Path(directory or signing_dir()) / "departments"
    label = department_label(department)
    return base / f"{label}.key.pem", base / f"{label}.cert.pem"


def make_dev_department_key(department, directory=None, *, replace=False):
    """Key and certificate of ``department`` issued by the development CA; kept unless ``replace``. Returns True
    when it made them."""
    ca_key, ca_cert = dev_ca(directory)
    key_path, cert_path = dev_department_paths(department, directory)
    if key_path.exists() and cert_path.exists() and not replace:
        return False
    key = _new_key()
    subject = _name(department.name, department.jurisdiction.name)
    cert = _certificate(subject=subject, issuer=ca_cert.subject, public_key=key.public_key(), signing_key=ca_key,
                        ca=False, years=3)
    _write(key_path, _pem_key(key), private=True)
    _write(cert_path, _pem_cert(cert))
    _signer_from_files.cache_clear()
    return True


# --- loading signers -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _signer_from_files(key_path, cert_path, ca_path, _mtime):
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    registry = SimpleCertificateStore()
    if Path(ca_path).exists():
        registry.register(load_cert_from_pemder(ca_path))
    return signers.SimpleSigner(signing_cert=load_cert_from_pemder(cert_path),
                                signing_key=load_private_key_from_pemder(key_path, None), cert_registry=registry)


@functools.lru_cache(maxsize=256)
def _signer_from_pkcs12(path, _mtime, label):
    from pyhanko.sign import signers

    passphrase = os.environ.get(f"HUICAI_SIGNING_PASSPHRASE_{environment_name(label)}")
    try:
        return signers.SimpleSigner.load_pkcs12_data(Path(path).read_bytes(), other_certs=(),
                                                     passphrase=passphrase.encode() if passphrase else None)
    except ValueError:
        # the passphrase stays out of the message
        raise SigningUnavailable(
            f"The PKCS#12 file of {label} could not be opened: wrong passphrase "
            f"(HUICAI_SIGNING_PASSPHRASE_{environment_name(label)}) or not a PKCS#12 file."
        ) from None


def pkcs12_path(department):
    label = department_label(department)
    explicit = os.environ.get(f"HUICAI_SIGNING_PKCS12_{environment_name(label)}")
    if explicit:
        return Path(explicit)
    directory = getattr(settings, "HUICAI_SIGNING_PKCS12_DIR", None)
    return Path(directory) / f"{label}.p12" if directory else None


def signer_for(department):
    """The pyHanko signer of ``department``, or None when it has no key. Loaded once per process (and again when
    the file changes)."""
    if backend() == PKCS12_BACKEND:
        path = pkcs12_path(department)
        if path is None or not path.exists():
            return None
        return _signer_from_pkcs12(str(path), path.stat().st_mtime_ns, department_label(department))
    key_path, cert_path = dev_department_paths(department)
    if not (key_path.exists() and cert_path.exists()):
        return None
    return _signer_from_files(str(key_path), str(cert_path), str(signing_dir() / CA_CERT),
                              (key_path.stat().st_mtime_ns, cert_path.stat().st_mtime_ns))


def trust_roots():
    """The certificates a verifier accepts as roots: ``HUICAI_SIGNING_TRUST_ROOTS`` (a PEM file, the bureau's CA or
    the national root), else the development CA when there is one."""
    from pyhanko.keys import load_certs_from_pemder

    configured = getattr(settings, "HUICAI_SIGNING_TRUST_ROOTS", None)
    path = Path(configured) if configured else signing_dir() / CA_CERT
    if not path.exists():
        return []
    return list(load_certs_from_pemder([str(path)]))
