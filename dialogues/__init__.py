"""The channel-agnostic conversation: messages, state, flows and the engine that runs them."""

from dialogues.engine import Engine
from dialogues.messages import (
    Button,
    ChannelName,
    ClientKey,
    CounselorAlert,
    Incoming,
    InputKind,
    Outgoing,
    Reply,
)
from dialogues.settings import DialogueSettings

__all__ = ["Button", "ChannelName", "ClientKey", "CounselorAlert", "DialogueSettings", "Engine",
           "Incoming", "InputKind", "Outgoing", "Reply"]
