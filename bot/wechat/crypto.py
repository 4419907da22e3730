"""WeChat "safe mode" message encryption (the WXBizMsgCrypt scheme).

AES-256-CBC with key = base64(EncodingAESKey + "="), IV = key[:16], PKCS#7
padding to a 32-byte block. Plaintext layout: 16 random bytes, 4-byte
big-endian XML length, XML, AppID. Every way a payload can be broken maps to
DecryptError (or AppIdMismatch) so the webhook never leaks a stack trace.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import AppIdMismatch, DecryptError, MalformedMessage
from .messages import parse_fields
from .replies import cdata
from .signature import check_signature, msg_signature

PAD_BLOCK = 32
RANDOM_LEN = 16
_LENGTH = struct.Struct(">I")


def _pad(data: bytes) -> bytes:
    n = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    n = data[-1]
    if not 1 <= n <= PAD_BLOCK or n > len(data) or data[-n:] != bytes([n]) * n:
        raise DecryptError("bad padding")
    return data[:-n]


class MessageCrypto:
    """Encrypts replies and decrypts callbacks for one Official Account."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        """Validate the configuration now, so a typo fails at start-up, not per message."""
        if not token:
            raise ValueError("WeChat token must not be empty")
        if not appid:
            raise ValueError("WeChat appid must not be empty")
        if not encoding_aes_key or len(encoding_aes_key) != 43:
            raise ValueError(f"EncodingAESKey must be 43 characters, got {len(encoding_aes_key or '')}")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:  # also catches a "=" inside the key, which decodes short
            raise ValueError("EncodingAESKey must be 43 base64 characters (A-Z, a-z, 0-9)")
        self.token = token
        self.appid = appid
        self._appid_bytes = appid.encode("utf-8")
        self._key = key

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def decrypt(self, encrypt_b64: str) -> str:
        """Decrypt an Encrypt field to the inner XML text (signature NOT checked here)."""
        try:
            raw = base64.b64decode(encrypt_b64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise DecryptError("Encrypt is not valid base64") from None
        if not raw or len(raw) % 16:
            raise DecryptError("ciphertext length is not a multiple of the AES block")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        body = plain[RANDOM_LEN:]
        if len(body) < _LENGTH.size:
            raise DecryptError("plaintext too short")
        (xml_len,) = _LENGTH.unpack_from(body)
        if xml_len > len(body) - _LENGTH.size:
            raise DecryptError("declared XML length exceeds the plaintext")
        xml = body[_LENGTH.size : _LENGTH.size + xml_len]
        appid = body[_LENGTH.size + xml_len :]
        if not hmac.compare_digest(appid, self._appid_bytes):
            raise AppIdMismatch("message was encrypted for another AppID")
        try:
            return xml.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptError("decrypted XML is not UTF-8") from None

    def encrypt(self, xml: str, random_bytes: bytes | None = None) -> str:
        """Encrypt ``xml`` to a base64 Encrypt value.

        ``random_bytes`` (16 bytes) exists only so tests are reproducible; in
        production leave it None and fresh ``os.urandom`` bytes are used.
        """
        prefix = os.urandom(RANDOM_LEN) if random_bytes is None else random_bytes
        if len(prefix) != RANDOM_LEN:
            raise ValueError(f"random_bytes must be {RANDOM_LEN} bytes")
        data = xml.encode("utf-8")
        plain = _pad(prefix + _LENGTH.pack(len(data)) + data + self._appid_bytes)
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def encrypt_reply(self, xml: str, timestamp: int | str, nonce: str) -> str:
        """Wrap a rendered reply in the signed, encrypted envelope WeChat expects in safe mode."""
        ts = str(timestamp)
        if not (ts.isascii() and ts.isdigit()):
            raise ValueError("timestamp must be a decimal number")
        encrypt = self.encrypt(xml)
        signature = msg_signature(self.token, ts, nonce, encrypt)
        return (
            f"<xml><Encrypt>{cdata(encrypt)}</Encrypt>"
            f"<MsgSignature>{cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{ts}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
        )

    def decrypt_message(
        self, body_xml: str | bytes, msg_signature: str | None, timestamp: str | None, nonce: str | None
    ) -> str:
        """Verify and decrypt a safe-mode callback body; return the inner message XML.

        The signature is checked over the Encrypt field before any AES work, so
        forged or tampered bodies are refused cheaply with InvalidSignature.
        """
        encrypt = parse_fields(body_xml).get("Encrypt")
        if not encrypt:
            raise MalformedMessage("no Encrypt element in an encrypted callback")
        check_signature(msg_signature, self.token, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)
