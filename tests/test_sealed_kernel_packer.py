"""The sealed kernel of stock ``nbgrader autograde`` sends what a student printed even when it
holds a lone surrogate (half an emoji): ipykernel's packer could not, and the error it logged to
the kernel's stderr came out in the next cell, a test cell, whose points were lost (corpus 41,
1 run in ~10 under load)."""

from __future__ import annotations

import pytest
from jupyter_client.session import Session, json_packer, json_unpacker

from graders.kernel.sealed_kernel import safe_packer


def test_a_lone_surrogate_is_sent_as_its_escape_written_out():
    message = {"content": {"name": "stdout", "text": "y is \ude00 ok é 😀"}, "n": [1, ("\ud83d",)]}
    with pytest.raises(ValueError):
        json_packer(message)  # what ipykernel did
    assert json_unpacker(safe_packer(message)) == {
        "content": {"name": "stdout", "text": "y is \\ude00 ok é 😀"}, "n": [1, ["\\ud83d"]]}


def test_other_messages_are_packed_as_jupyter_client_packs_them():
    message = {"content": {"text": "plain é 😀", "data": {"text/plain": "1"}}}
    assert safe_packer(message) == json_packer(message)


def test_the_kernel_session_takes_it_by_name():
    session = Session(packer="graders.kernel.sealed_kernel.safe_packer")
    assert session.pack is safe_packer
    assert session.unpack(session.pack({"a": 1})) == {"a": 1}
