"""The forbidden-address table: every refusal the fetcher depends on."""

import ipaddress

import pytest

from reelbase.net import forbidden_reason, is_forbidden_address

FORBIDDEN = [
    ("10.0.0.1", "private"),
    ("192.168.1.10", "private"),
    ("172.16.5.4", "private"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("100.64.0.1", "carrier-grade NAT"),  # is_private is False for this one
    ("64:ff9b::a00:1", "NAT64"),  # 10.0.0.1 behind NAT64, is_global True
    ("64:ff9b:1::a00:1", "NAT64"),
    ("2002:a00:1::1", "6to4"),  # 6to4 wrapping 10.0.0.1, is_global True
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("::8.8.8.8", "IPv4-compatible"),  # deprecated form, refused outright
    ("::ffff:0:a00:1", "IPv4-translated"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),  # is_global True in Python 3.11
    ("ff0e::1", "multicast"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"),
    ("fec0::1", "site-local"),
    ("198.18.0.1", "private"),
    ("240.0.0.1", ""),
    ("255.255.255.255", ""),
    ("192.0.2.1", ""),  # TEST-NET-1
    ("2001:db8::1", ""),  # documentation
]

ALLOWED = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "2a00:1450:4001::200e"]


@pytest.mark.parametrize(("address", "reason_part"), FORBIDDEN)
def test_forbidden(address, reason_part):
    assert is_forbidden_address(address) is True
    reason = forbidden_reason(address)
    assert reason and reason_part in reason


@pytest.mark.parametrize("address", ALLOWED)
def test_allowed(address):
    assert is_forbidden_address(address) is False
    assert forbidden_reason(address) is None


def test_accepts_ipaddress_objects():
    assert is_forbidden_address(ipaddress.ip_address("10.0.0.1")) is True
    assert is_forbidden_address(ipaddress.ip_address("8.8.8.8")) is False


@pytest.mark.parametrize("value", ["localhost", "", "10.0.0.256", "example.com"])
def test_not_an_address_raises(value):
    with pytest.raises(ValueError):
        is_forbidden_address(value)
