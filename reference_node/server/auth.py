"""Caller identity from the mutual-TLS client certificate (docs/spec.md REQ-ACC-001).

The TLS layer has already checked that the client certificate chains to one of
the configured partner TLS CAs. Here the node takes the calling country from
the certificate's URI subject alternative name ``urn:wco:eco:node:CC`` and
re-checks that the certificate was issued by the TLS CA configured for *that*
country (so one partner's CA cannot vouch for another country), that it is
within its validity period and, when it has an ExtendedKeyUsage, that it
allows clientAuth. Anything else is ``UNAUTHENTICATED``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID

from reference_node.core.errors import Unauthenticated

__all__ = ["CallerAuthenticator", "load_pem_certificates"]

logger = logging.getLogger(__name__)

_NODE_URI = re.compile(r"urn:wco:eco:node:([A-Z]{2})")
_CACHE_LIMIT = 1024


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Parse a PEM bundle.

    Raises:
        ValueError: The bundle holds no certificate or is not PEM.
    """
    certs = x509.load_pem_x509_certificates(data)
    if not certs:
        raise ValueError("no certificate in PEM data")
    return certs


class CallerAuthenticator:
    """Decides the calling country of an RPC (REQ-ACC-001).

    Thread-safe; partner CAs may be replaced at run time (:meth:`set_country_cas`).
    """

    def __init__(
        self,
        *,
        tls_cas: Mapping[str, Sequence[x509.Certificate]],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._lock = threading.Lock()
        self._cas: dict[str, tuple[x509.Certificate, ...]] = {
            country: tuple(cas) for country, cas in tls_cas.items()
        }
        self._clock = clock
        self._cache: dict[bytes, tuple[str, dt.datetime, dt.datetime]] = {}

    def set_country_cas(self, country: str, cas: Sequence[x509.Certificate]) -> None:
        """Replace the TLS CAs trusted for ``country``'s client certificates."""
        with self._lock:
            self._cas[country] = tuple(cas)
            self._cache.clear()

    def countries(self) -> tuple[str, ...]:
        """Countries with configured TLS CAs."""
        with self._lock:
            return tuple(self._cas)

    def all_cas(self) -> list[x509.Certificate]:
        """Every configured TLS CA, for the server's client-certificate roots."""
        with self._lock:
            return [ca for cas in self._cas.values() for ca in cas]

    def caller_country(self, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        """Return the country of the caller of ``context``.

        Raises:
            Unauthenticated: No client certificate, or it does not name a country
                whose configured TLS CA issued it (REQ-ACC-001).
        """
        auth = context.auth_context()
        pems = auth.get("x509_pem_cert") if auth else None
        if not pems:
            raise Unauthenticated("a client certificate is required")
        return self.country_of_pem(next(iter(pems)))

    def country_of_pem(self, pem: bytes) -> str:
        """Return the country a PEM client certificate authenticates (REQ-ACC-001).

        Raises:
            Unauthenticated: As for :meth:`caller_country`.
        """
        now = self._clock()
        with self._lock:
            cached = self._cache.get(pem)
        if cached is not None:
            country, not_before, not_after = cached
            if not_before <= now <= not_after:
                return country
            raise Unauthenticated("client certificate is not within its validity period")
        try:
            cert = x509.load_pem_x509_certificate(pem)
        except ValueError as exc:
            raise Unauthenticated("client certificate is not parsable") from exc
        country = self._check(cert, now)
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[pem] = (country, cert.not_valid_before_utc, cert.not_valid_after_utc)
        return country

    def _check(self, cert: x509.Certificate, now: dt.datetime) -> str:
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (x509.ExtensionNotFound, ValueError) as exc:
            raise Unauthenticated("client certificate has no subject alternative name") from exc
        countries = {
            m.group(1)
            for uri in san.get_values_for_type(x509.UniformResourceIdentifier)
            if (m := _NODE_URI.fullmatch(uri)) is not None
        }
        if len(countries) != 1:
            raise Unauthenticated("client certificate must name exactly one urn:wco:eco:node:CC")
        (country,) = countries
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise Unauthenticated("client certificate is not within its validity period")
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            eku = None
        if eku is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
            raise Unauthenticated("client certificate does not allow clientAuth")
        with self._lock:
            cas = self._cas.get(country, ())
        for ca in cas:
            try:
                cert.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return country
        logger.info("client certificate for %s not issued by its configured TLS CA", country)
        raise Unauthenticated(f"client certificate is not issued by the TLS CA of {country}")
