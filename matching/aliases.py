"""A short readable name for a masked candidate ("Amber Falcon"), for people to say and
remember while the candidate's identity is hidden from a lead.

It is read off the candidate's handle, which is already a keyed hash of (lead, posting,
person): so it is stable for one candidate on one posting, differs across postings, and says
nothing the handle does not (without the server's key it cannot be traced to anyone). Two
candidates of one posting share an alias with a chance of about 1 in 16,000 per pair; the
handle stays the reference the API acts on.
"""

from __future__ import annotations

# fmt: off
ADJECTIVES = (
    "Amber", "Aqua", "Azure", "Bold", "Brave", "Bright", "Brisk", "Bronze",
    "Calm", "Candid", "Cedar", "Cherry", "Clever", "Cloudy", "Cobalt", "Copper",
    "Coral", "Cosmic", "Crimson", "Crisp", "Curious", "Dapper", "Dawn", "Deft",
    "Eager", "Early", "Ember", "Emerald", "Even", "Fair", "Fern", "Fleet",
    "Frosty", "Gentle", "Gilded", "Glad", "Golden", "Granite", "Green", "Hardy",
    "Hazel", "Honest", "Indigo", "Ivory", "Jade", "Jolly", "Keen", "Kind",
    "Lapis", "Lively", "Lucky", "Lunar", "Maple", "Marble", "Mellow", "Merry",
    "Mint", "Misty", "Modest", "Mossy", "Nimble", "Noble", "Oak", "Ocean",
    "Olive", "Opal", "Patient", "Pearl", "Pine", "Plum", "Polar", "Proud",
    "Quick", "Quiet", "Rapid", "Ready", "Rosy", "Royal", "Ruby", "Russet",
    "Sage", "Sandy", "Scarlet", "Serene", "Silver", "Sky", "Slate", "Snowy",
    "Solar", "Spry", "Steady", "Stone", "Stormy", "Sturdy", "Sunny", "Swift",
    "Tawny", "Teal", "Tidy", "Topaz", "True", "Twilight", "Umber", "Valiant",
    "Velvet", "Vivid", "Warm", "Wavy", "Willow", "Windy", "Wise", "Witty",
    "Zesty", "Breezy", "Cheery", "Dusky", "Fiery", "Flint", "Hushed", "Jovial",
    "Lilac", "Mighty", "Nifty", "Peppy", "Rustic", "Sable", "Tranquil", "Upbeat",
)
ANIMALS = (
    "Albatross", "Antelope", "Badger", "Beaver", "Bison", "Bobcat", "Buffalo", "Camel",
    "Caribou", "Cheetah", "Condor", "Cormorant", "Coyote", "Crane", "Dolphin", "Dove",
    "Eagle", "Egret", "Elk", "Falcon", "Ferret", "Finch", "Flamingo", "Fox",
    "Gazelle", "Gecko", "Gibbon", "Giraffe", "Goose", "Gull", "Hare", "Hawk",
    "Hedgehog", "Heron", "Ibex", "Ibis", "Jackal", "Jaguar", "Jay", "Kestrel",
    "Kingfisher", "Kite", "Koala", "Lark", "Lemur", "Leopard", "Lion", "Llama",
    "Lynx", "Magpie", "Marmot", "Marten", "Meerkat", "Mink", "Moose", "Narwhal",
    "Newt", "Ocelot", "Orca", "Oriole", "Osprey", "Otter", "Owl", "Panda",
    "Panther", "Parrot", "Pelican", "Penguin", "Petrel", "Pheasant", "Plover", "Puffin",
    "Puma", "Quail", "Rabbit", "Raccoon", "Raven", "Reindeer", "Robin", "Salmon",
    "Sandpiper", "Seal", "Shrike", "Sparrow", "Starling", "Stoat", "Stork", "Swallow",
    "Swan", "Bluebird", "Tapir", "Tern", "Thrush", "Tiger", "Toucan", "Trout",
    "Turtle", "Walrus", "Warbler", "Weasel", "Whale", "Wolf", "Wombat", "Wren",
    "Yak", "Zebra", "Alpaca", "Bittern", "Curlew", "Dunlin", "Gannet", "Grouse",
    "Hornbill", "Jacana", "Kiwi", "Loon", "Mallard", "Nightjar", "Pipit", "Redstart",
    "Skylark", "Gopher", "Vireo", "Wagtail", "Avocet", "Bunting", "Dipper", "Merlin",
)
# fmt: on
assert len(ADJECTIVES) == len(set(ADJECTIVES)) == 128 and len(ANIMALS) == len(set(ANIMALS)) == 128


def candidate_alias(handle: str) -> str:
    """'cand-9f3a61c2d4e0' -> 'Candidate Ruby Heron': the handle's hex digits pick the words."""
    digits = handle.removeprefix("cand-")
    number = int(digits, 16) if digits and all(c in "0123456789abcdef" for c in digits) else 0
    adjective = ADJECTIVES[number % len(ADJECTIVES)]
    animal = ANIMALS[(number // len(ADJECTIVES)) % len(ANIMALS)]
    return f"Candidate {adjective} {animal}"
