"""Fixed queries for ``pulserec_bench.search``, judged by the genre or category they paraphrase.

The item texts name their genres (ml-100k) and categories (synthetic e-commerce), so a query that
used those words would make word matching an oracle. No query here contains a word of ANY label
name of its data set, nor a near form of one (see :func:`clashes`: "romantic" for Romance,
"west" for Western, "toy" for Toys). Queries were written once, before any system ran on them;
:func:`split` sends every other query of each label to ``held_out`` (reported) and the rest to
``tuning`` (the only set anyone may look at while choosing anything).
"""

from __future__ import annotations

import re

Queries = dict[str, tuple[str, ...]]

MOVIE_QUERIES: Queries = {
    "Action": ("car chases and explosions", "a hero fighting terrorists with guns blazing",
               "martial arts fights and stunts", "shootouts and high speed pursuits",
               "an ex cop takes down the bad guys", "big budget fistfights and explosions"),
    "Adventure": ("a treasure hunt in the jungle", "explorers on a perilous quest",
                  "sailing the seas in search of lost gold", "pirates and buried treasure",
                  "a daring expedition to an uncharted island", "a journey across distant lands"),
    "Animation": ("a hand drawn cartoon", "a cartoon where toys talk",
                  "stop motion clay figures", "computer generated cartoon characters",
                  "a feature length disney cartoon", "drawn characters brought to life"),
    "Children's": ("a movie for kids and families", "a story for young kids about a lost puppy",
                   "talking critters for little ones", "wholesome family entertainment for kids",
                   "a boy and his dog", "a fairy tale for the little ones"),
    "Comedy": ("laugh out loud funny", "hilarious slapstick gags", "a witty and silly farce",
               "jokes and pranks", "a goofy buddy movie", "wisecracks and humor"),
    "Crime": ("mob bosses and gangsters", "a bank heist gone wrong",
              "drug dealers and corrupt cops", "a con artist pulls off a swindle",
              "the mafia and organized racketeering", "hitmen and hoodlums"),
    "Documentary": ("a nonfiction look at real events", "real footage and interviews",
                    "an investigative nonfiction feature", "behind the scenes of a real rock band",
                    "a true account told through archival footage", "wildlife footage from africa"),
    "Drama": ("a moving story about family struggles", "an emotional tale of loss and grief",
              "a serious character study", "a tearjerker about illness",
              "a poignant story of a troubled marriage", "a heartfelt tale of redemption"),
    "Fantasy": ("wizards and dragons", "a magical kingdom with elves", "sword and sorcery",
                "an enchanted realm of spells and witches", "a quest for a magic ring",
                "mythical creatures and sorcerers"),
    "Film-Noir": ("a hard boiled private eye in shadowy streets",
                  "a femme fatale lures a detective", "cynical detectives in 1940s black and white",
                  "a double cross and a shady dame", "a moody 1940s detective story",
                  "a doomed man and a treacherous woman"),
    "Horror": ("ghosts haunting a house", "a slasher stalking teenagers", "zombies and the undead",
               "vampires and werewolves", "a terrifying demon possession",
               "gory monsters that scare you"),
    "Musical": ("singing and dancing on stage", "a broadway show with show tunes",
                "characters burst into song", "a song and dance extravaganza",
                "toe tapping numbers and choreography", "a singer and chorus line on broadway"),
    "Mystery": ("a whodunit with clues and suspects", "a sleuth solves a puzzling case",
                "who killed the victim", "an amateur detective unravels a riddle",
                "a puzzling disappearance investigated", "secrets uncovered clue by clue"),
    "Romance": ("falling in love", "a love story", "lovers separated by fate",
                "a courtship and a wedding", "star crossed lovers", "a passionate affair"),
    "Sci-Fi": ("spaceships and alien worlds", "robots and artificial intelligence",
               "a time travel paradox", "futuristic technology and cyborgs",
               "an interstellar voyage to distant planets",
               "a space station and extraterrestrials"),
    "Thriller": ("edge of your seat suspense", "a tense cat and mouse chase with a killer",
                 "a psychological game of paranoia", "a race against time to stop a bomb",
                 "a stalker and a terrified victim", "a conspiracy and a hunted man"),
    "War": ("soldiers on the battlefield", "trench combat in 1917", "a platoon in vietnam",
            "the normandy landings", "army troops behind enemy lines",
            "bombers over germany in 1944"),
    "Western": ("cowboys on the frontier", "gunslingers and outlaws",
                "a sheriff and a showdown at high noon", "cattle drives and saloons",
                "a posse on horseback", "homesteaders on the prairie"),
}  # fmt: skip

SHOP_QUERIES: Queries = {
    "Footwear": ("sneakers for running", "waterproof hiking boots", "sandals for summer",
                 "leather loafers", "something comfy on my feet for trail runs",
                 "trainers with a cushioned sole"),
    "Outerwear": ("warm winter parka", "a rain jacket with a hood", "down puffer to stay warm",
                  "windbreaker for blustery days", "wool coat for the city",
                  "something to keep me dry in a storm"),
    "Kitchen": ("cast iron skillet", "a sharp chef's knife", "pots and pans for cooking dinner",
                "dutch oven for stews", "nonstick frying pan", "a stand mixer for baking bread"),
    "Audio": ("noise cancelling headphones", "wireless earbuds for the gym",
              "bluetooth speaker for the living room", "record player for vinyl",
              "soundbar for my tv", "something to listen to music on a flight"),
    "Computers": ("a laptop for programming", "mechanical keyboard", "gaming mouse",
                  "a 4k monitor for photo editing", "external ssd storage",
                  "usb-c dock for my desk"),
    "Phones & Tablets": ("unlocked smartphone with a great camera",
                         "a case to protect my mobile", "e-reader for books",
                         "smartwatch to track my runs", "wireless charger for my mobile",
                         "a power bank for travel"),
    "Furniture": ("mid century sofa", "a solid oak dining set", "bookshelf for a small apartment",
                  "an ergonomic office chair", "a velvet armchair",
                  "a wardrobe with soft close drawers"),
    "Bedding": ("soft duvet cover", "cooling sheets for hot nights", "a weighted blanket",
                "hypoallergenic pillows", "egyptian cotton percale sheets",
                "a cosy quilt for winter"),
    "Toys": ("building blocks for kids", "a board game for family night", "remote control car",
             "plush teddy", "jigsaw puzzle", "science kit for curious children"),
    "Beauty": ("vitamin c face serum", "moisturiser for dry skin", "vegan lip balm",
               "sunscreen spf 50", "an eyeshadow palette", "skincare for sensitive skin"),
    "Fitness": ("yoga mat", "adjustable dumbbells", "resistance bands for home workouts",
                "kettlebell for strength training", "foam roller for recovery",
                "pull up bar for a doorway"),
    "Camping": ("a tent for backpacking trips", "sleeping bag for cold nights outdoors",
                "portable stove for the backcountry", "headlamp",
                "water filter for hiking", "ultralight gear for a thru hike"),
    "Gardening": ("pruning shears for roses", "raised beds for growing vegetables",
                  "watering can", "compost bin", "seed starter kit",
                  "terracotta planters for herbs"),
    "Pet Supplies": ("orthopedic dog cushion", "dog leash that stops pulling",
                     "cat tree for indoor cats", "automatic feeder for my cat",
                     "chew bone for a teething puppy", "litter box that cleans itself"),
    "Jewelry": ("sterling silver necklace", "gold hoop earrings", "a dainty bracelet as a gift",
                "engraved signet ring", "pearl earrings for a wedding", "rose gold pendant"),
    "Tools": ("cordless drill", "socket set", "circular saw for woodworking",
              "impact driver with batteries", "laser level", "a multitool for diy projects"),
    "Baby": ("stroller that folds with one hand", "a carrier for newborns", "high chair",
             "video monitor for the nursery", "anti colic bottles",
             "swaddle blankets for an infant"),
    "Coffee & Tea": ("espresso beans", "pour over kettle", "french press",
                     "loose leaf darjeeling", "matcha whisk set", "burr grinder"),
}  # fmt: skip

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words, possessive ``'s`` dropped: "Children's" -> ["children"]."""
    return _WORD.findall(text.lower().replace("'s", "").replace("\u2019s", ""))


def clashes(word: str, name_word: str) -> bool:
    """Whether a query ``word`` is ``name_word`` or a near form of it: a plural, a word sharing
    its first five letters (its singular when it is shorter), or a prefix of it of 4+ letters."""
    if word in (name_word, f"{name_word}s", f"{name_word}es", f"{name_word[:-1]}ies"):
        return True
    if len(name_word) <= 3:
        return False
    stem = name_word[:5] if len(name_word) > 5 else name_word.removesuffix("s")
    return word.startswith(stem) or (len(word) >= 4 and name_word.startswith(word))


def shared_words(query: str, names: list[str] | tuple[str, ...]) -> list[str]:
    """The words of ``query`` that clash with a word of any of ``names`` (empty: the query is
    fair)."""
    forbidden = {w for name in names for w in words(name)}
    return [w for w in words(query) if any(clashes(w, f) for f in forbidden)]


def violations(queries: Queries) -> list[tuple[str, str, list[str]]]:
    """Every (label, query, clashing words) where a query shares a word with any label name."""
    names = list(queries)
    out = []
    for label, texts in queries.items():
        for text in texts:
            if found := shared_words(text, names):
                out.append((label, text, found))
    return out


def split(queries: Queries) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(tuning, held_out)`` as (label, query) pairs: per label, the 1st, 3rd, ... query tunes
    and the 2nd, 4th, ... is held out."""
    tuning: list[tuple[str, str]] = []
    held_out: list[tuple[str, str]] = []
    for label, texts in queries.items():
        for n, text in enumerate(texts):
            (held_out if n % 2 else tuning).append((label, text))
    return tuning, held_out
