"""WeCom's callback crypto against wechatpy's published vectors (tests/test_crypto.py there, the WeCom
case), and the XML reader against hostile input."""
from __future__ import annotations

import pytest

from bot.wecom import xmltext
from bot.wecom.crypto import CryptoError, WeComCrypto, signature

# wechatpy's WeCom vectors
TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
CORP_ID = "wx49f0ab532d5d035a"
ECHO = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
MESSAGE = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8X"
    "zaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTK"
    "e7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
REPLY_SEALED = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbC"
    "FM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0n"
    "TYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)


def test_known_echostr_verifies_and_decrypts():
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    echo = crypto.open("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374425", ECHO)
    assert echo.isdigit()  # WeCom's echostr is a random number, answered in clear


def test_known_echostr_with_another_nonce_is_refused():
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    with pytest.raises(CryptoError):
        crypto.open("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374424", ECHO)


def test_known_message_decrypts():
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    fields = xmltext.parse(crypto.open("74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294", MESSAGE))
    assert fields["Content"] == "test" and fields["FromUserName"] == "messense"


def test_sealing_matches_the_known_ciphertext_and_signature():
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    encrypted, signed = crypto.seal(REPLY, "1411525903", "461056294", random16=b"1234567890123456")
    assert encrypted == REPLY_SEALED
    assert signed == "407518b7649e86ef23978113f92d27afa9296533"


def test_round_trip_of_chinese_text_of_every_padding_length():
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    for n in range(70):
        text = "拜访了李娜" + "x" * n
        assert crypto.decrypt(crypto.encrypt(text)) == text


def test_a_message_for_another_corp_or_tampered_is_refused():
    ours, theirs = WeComCrypto(TOKEN, AES_KEY, CORP_ID), WeComCrypto(TOKEN, AES_KEY, "ww_other")
    with pytest.raises(CryptoError):
        ours.decrypt(theirs.encrypt("<xml/>"))
    sealed = bytearray(ours.encrypt("<xml><Content>hi</Content></xml>").encode())
    for bad in ("", "not base64!", "AAAA", bytes(sealed[:-8]).decode()):
        with pytest.raises(CryptoError):
            ours.decrypt(bad)
    assert signature("a", "b", "c", "d") == signature("d", "c", "b", "a")  # sorted before hashing


def test_a_wrong_encoding_aes_key_is_a_configuration_error():
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WeComCrypto(TOKEN, "short", CORP_ID)


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
        b"<xml><Content>unclosed</xml>",
        b"<xml>" + b"<a>" * 20 + b"</a>" * 20 + b"</xml>",
        b"<xml><Content>" + b"x" * (300 * 1024) + b"</Content></xml>",
    ],
)
def test_hostile_xml_is_refused(hostile):
    with pytest.raises(xmltext.BadXML):
        xmltext.parse(hostile)


def test_xml_of_a_card_event_reads_nested_and_repeated_elements():
    fields = xmltext.parse(
        "<xml><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[p:1&2]]></EventKey>"
        "<SelectedItems><SelectedItem><QuestionKey>q</QuestionKey></SelectedItem><SelectedItem><QuestionKey>r</QuestionKey></SelectedItem></SelectedItems></xml>"
    )
    assert fields["EventKey"] == "p:1&2"
    assert [i["QuestionKey"] for i in fields["SelectedItems"]["SelectedItem"]] == ["q", "r"]
    assert xmltext.parse(xmltext.message({"Content": "<王伟> & 李娜]]>"}))["Content"] == "<王伟> & 李娜]]>"
