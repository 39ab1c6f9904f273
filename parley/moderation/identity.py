"""Neutral sentences that name an identity: a model that learned "gay" or "Muslim" as a
sign of abuse (because abuse names identities) scores them as toxic, and silences the
people it should protect. Every one of these must stay below the policy's lowest
threshold (``parley eval`` reports the worst; a test checks it).

The set crosses identity terms with templates in the manner of Dixon et al. (2018),
"Measuring and Mitigating Unintended Bias in Text Classification". No model learns
these sentences: they are for measuring only.
"""

from __future__ import annotations

IDENTITIES: tuple[str, ...] = (
    "gay", "lesbian", "bisexual", "transgender", "trans", "queer", "straight", "LGBTQ",
    "Muslim", "Christian", "Jewish", "Hindu", "Buddhist", "Sikh", "Catholic", "atheist",
    "Black", "white", "Asian", "Latino", "Hispanic", "Arab", "African", "African American",
    "Native American", "Indigenous", "Mexican", "Chinese", "Indian", "Canadian", "Russian", "Ukrainian",
    "immigrant", "refugee", "disabled", "deaf", "blind", "elderly", "young", "feminist",
)

TEMPLATES: tuple[str, ...] = (
    "I am a {x} man.",
    "I am a {x} woman.",
    "I am {x}.",
    "My Black neighbours and my {x} neighbours came to the meeting.",
    "My {x} neighbours helped us move house.",
    "We are {x} and proud of our community.",
    "Being {x} is part of who I am.",
    "She is a {x} journalist who covered the summit.",
    "Many {x} readers commented on this story.",
    "As a {x} voter I think the aid package should pass.",
    "The {x} community held a vigil last night.",
    "My best friend is {x}.",
)


def sentences() -> list[str]:
    return [t.format(x=x) for x in IDENTITIES for t in TEMPLATES]
