"""WeCom's callback crypto (the documented WXBizMsgCrypt format), with `cryptography` for the AES.

msg_signature = sha1 of the sorted strings (token, timestamp, nonce, ciphertext), hex.
The ciphertext is base64(AES-256-CBC(key, iv = key[:16], plaintext)), the key being
base64(EncodingAESKey + "="), and the plaintext random(16) + len(msg) as 4 bytes big-endian + msg +
corp_id, padded PKCS#7 to a multiple of 32 bytes (not AES's 16). Checked against wechatpy's
wechatpy/work/crypto.py and its published test vectors (tests/test_wecom_crypto.py).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeCom's PKCS#7 block, not AES's


class CryptoError(ValueError):
    """A signature that does not match, a ciphertext that does not decrypt, or another corp's message."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


class WeComCrypto:
    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("WECOM_AES_KEY must be the app's 43-character EncodingAESKey") from exc
        if len(key) != 32:
            raise ValueError("WECOM_AES_KEY must be the app's 43-character EncodingAESKey")
        self.token = token
        self.key = key
        self.corp_id = corp_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
        expected = signature(self.token, timestamp, nonce, encrypted)
        return hmac.compare_digest(expected.encode(), msg_signature.encode("utf-8", "replace"))

    def encrypt(self, plaintext: str, random16: bytes | None = None) -> str:
        data = plaintext.encode()
        framed = (random16 or os.urandom(16)) + struct.pack(">I", len(data)) + data + self.corp_id.encode()
        pad = BLOCK - len(framed) % BLOCK
        framed += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(framed) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        """The message inside; CryptoError for anything malformed or addressed to another corp."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("not base64") from exc
        if not raw or len(raw) % 16:
            raise CryptoError("not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise CryptoError("too short")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise CryptoError("bad length")
        message, receiver = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(receiver, self.corp_id.encode()):
            raise CryptoError("for another corp")
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise CryptoError("not UTF-8") from exc

    def open(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Verify, then decrypt (the GET echostr and the POST's Encrypt alike)."""
        if not self.verify(msg_signature, timestamp, nonce, encrypted):
            raise CryptoError("bad signature")
        return self.decrypt(encrypted)

    def seal(self, plaintext: str, timestamp: str, nonce: str, random16: bytes | None = None) -> tuple[str, str]:
        """(ciphertext, msg_signature): what WeCom sends, and what a passive reply would be."""
        encrypted = self.encrypt(plaintext, random16)
        return encrypted, signature(self.token, timestamp, nonce, encrypted)
