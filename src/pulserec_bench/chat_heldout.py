"""Held-out conversational requests over real catalogs, with what a careful reader takes.

Written before the extractor of issue 12 was tuned, and never tuned on (the tuning examples are
``tests/llm`` and the older set in :mod:`pulserec_bench.chat_requests`). The catalogs are
ml-100k and the synthetic ``ecommerce``, ``news`` and ``music`` domains as
``pulserec_bench.chat`` builds them (2,000 items, seed 0).

The reading, in the catalog's own vocabulary: a phrase naming a category (its name, a plural, an
everyday synonym, or the leaf ``B`` of a path ``A > B``) is a category; else a tag the catalog
uses; else a value of a string attribute (brand, colour, source, author, artist). "like X",
"similar to X", "loved X" name an item by its title (``similar_to``), whose words are then not
read as anything else. A negated category is excluded (and with it items tagged so); a negated
tag or attribute value is excluded as such; a negated word that only relates to a category
("no robots" in a movie catalog) excludes nothing (it only demotes items about it).
``relaxed`` (scored for the ``relaxations`` rows only): fewer than 10 items meet every included
category, tag and attribute together, so the answer must loosen one and say so.

Row: ``(kind, message, expected)``; ``expected`` keys: ``include``, ``exclude``, ``tags``,
``exclude_tags`` (sets of names), ``attributes`` ({name: value}), ``exclude_attributes``
({(name, value)}), ``similar_to`` (titles), ``years`` and ``price`` ((min, max)), ``relaxed``.
"""

from __future__ import annotations

from typing import Any

Y = None
Row = tuple[str, str, dict[str, Any]]
KINDS = (
    "titles", "categories", "tags", "attributes", "negations", "years", "prices", "relaxations",
)  # fmt: skip

ML100K: list[Row] = [
    ("titles", "something like Star Wars but not too long", {"similar_to": {"Star Wars"}}),
    ("titles", "movies like Toy Story", {"similar_to": {"Toy Story"}}),
    (
        "titles",
        "a comedy like The Birdcage",
        {"include": {"Comedy"}, "similar_to": {"The Birdcage"}},
    ),
    ("titles", "films similar to Apollo 13", {"similar_to": {"Apollo 13"}}),
    ("titles", "I loved Fargo, what else?", {"similar_to": {"Fargo"}}),
    (
        "titles",
        "something in the vein of Taxi Driver from the 70s",
        {"similar_to": {"Taxi Driver"}, "years": (1970, 1979)},
    ),
    ("titles", "like Braveheart but no war", {"similar_to": {"Braveheart"}, "exclude": {"War"}}),
    ("titles", "horror films like Alien", {"include": {"Horror"}, "similar_to": {"Alien"}}),
    ("titles", "like Twelve Monkeys", {"similar_to": {"Twelve Monkeys"}}),
    ("titles", "movies like the Godfather", {"similar_to": {"The Godfather"}}),
    (
        "relaxations",
        "a funny animated film for kids but nothing with romance",
        {"include": {"Comedy", "Animation", "Children's"}, "exclude": {"Romance"}, "relaxed": True},
    ),
    ("categories", "a scary movie set in space", {"include": {"Horror", "Sci-Fi"}}),
    ("categories", "a documentary about music", {"include": {"Documentary"}}),
    ("negations", "something with spaceships but not about robots", {"include": {"Sci-Fi"}}),
    (
        "negations",
        "a thriller without any horror",
        {"include": {"Thriller"}, "exclude": {"Horror"}},
    ),
    ("negations", "comedy, not romantic", {"include": {"Comedy"}, "exclude": {"Romance"}}),
    (
        "negations",
        "an adventure but nothing for children",
        {"include": {"Adventure"}, "exclude": {"Children's"}},
    ),
    (
        "negations",
        "no musicals, something dramatic",
        {"include": {"Drama"}, "exclude": {"Musical"}},
    ),
    (
        "negations",
        "not a western, but a crime story",
        {"include": {"Crime"}, "exclude": {"Western"}},
    ),
    ("negations", "sci-fi without aliens", {"include": {"Sci-Fi"}}),
    ("negations", "fantasy but no dragons or wizards", {"include": {"Fantasy"}}),
    ("negations", "anything except horror and thrillers", {"exclude": {"Horror", "Thriller"}}),
    ("years", "a comedy from the eighties", {"include": {"Comedy"}, "years": (1980, 1989)}),
    (
        "years",
        "dramas made after 1990 but before 1995",
        {"include": {"Drama"}, "years": (1991, 1994)},
    ),
    ("years", "a horror film, not older than 1985", {"include": {"Horror"}, "years": (1985, Y)}),
    ("years", "sci-fi from 1982", {"include": {"Sci-Fi"}, "years": (1982, 1982)}),
    ("years", "action movies of the 90s", {"include": {"Action"}, "years": (1990, 1999)}),
    ("years", "a film noir from the forties", {"include": {"Film-Noir"}, "years": (1940, 1949)}),
    (
        "years",
        "a romance released between 1960 and 1969",
        {"include": {"Romance"}, "years": (1960, 1969)},
    ),
    ("years", "crime films, nothing before 1980", {"include": {"Crime"}, "years": (1980, Y)}),
    ("relaxations", "a western musical", {"include": {"Western", "Musical"}, "relaxed": True}),
    (
        "relaxations",
        "a documentary horror film",
        {"include": {"Documentary", "Horror"}, "relaxed": True},
    ),
    ("relaxations", "a war comedy", {"include": {"War", "Comedy"}, "relaxed": False}),
    ("relaxations", "a film noir comedy", {"include": {"Film-Noir", "Comedy"}, "relaxed": True}),
    ("relaxations", "a musical war film", {"include": {"Musical", "War"}, "relaxed": True}),
    ("relaxations", "a mystery crime film", {"include": {"Mystery", "Crime"}, "relaxed": False}),
    ("relaxations", "sci-fi westerns", {"include": {"Sci-Fi", "Western"}, "relaxed": True}),
    (
        "relaxations",
        "animated kids films",
        {"include": {"Animation", "Children's"}, "relaxed": False},
    ),
    ("categories", "detectives and gangsters", {"include": {"Mystery", "Crime"}}),
    ("categories", "whodunits from the fifties", {"include": {"Mystery"}, "years": (1950, 1959)}),
    ("categories", "a cowboy movie for the family", {"include": {"Western", "Children's"}}),
    ("categories", "a space adventure with robots", {"include": {"Sci-Fi", "Adventure"}}),
    ("prices", "a cheap comedy under 5 dollars", {"include": {"Comedy"}, "price": (Y, 5.0)}),
]

ECOMMERCE: list[Row] = [
    (
        "titles",
        "something like the Harbour & Pine windproof parka",
        {"similar_to": {"Harbour & Pine windproof parka"}},
    ),
    (
        "titles",
        "similar to Auralis bass-boosted over-ear headphones but cheaper than 200",
        {"similar_to": {"Auralis bass-boosted over-ear headphones"}, "price": (Y, 200.0)},
    ),
    (
        "titles",
        "more like Hearthstone stand mixer, forest green",
        {"similar_to": {"Hearthstone stand mixer, forest green"}},
    ),
    ("categories", "running shoes", {"include": {"Footwear > Running shoes"}}),
    (
        "prices",
        "a dutch oven under 80",
        {"include": {"Kitchen > Dutch oven"}, "price": (Y, 80.0)},
    ),
    ("categories", "a pull-up bar", {"include": {"Fitness > Pull-up bar"}}),
    ("categories", "wireless earbuds", {"include": {"Audio > Wireless earbuds"}}),
    ("categories", "a cat tree", {"include": {"Pet Supplies > Cat tree"}}),
    ("categories", "kitchen knives", {"include": {"Kitchen"}}),
    ("tags", "waterproof hiking gear", {"tags": {"hiking"}}),
    ("tags", "something for winter", {"tags": {"winter"}}),
    ("tags", "vegan skincare", {"include": {"Beauty"}, "tags": {"vegan"}}),
    ("tags", "gifts under 50 dollars", {"tags": {"gifts"}, "price": (Y, 50.0)}),
    ("negations", "outdoor stuff, no camping", {"tags": {"outdoor"}, "exclude": {"Camping"}}),
    ("categories", "bluetooth speakers", {"include": {"Audio > Bluetooth speaker"}}),
    ("tags", "gym equipment for training", {"include": {"Fitness"}, "tags": {"training"}}),
    (
        "attributes",
        "Soleway sneakers",
        {"include": {"Footwear > Sneakers"}, "attributes": {"brand": "Soleway"}},
    ),
    ("attributes", "anything from Copperleaf", {"attributes": {"brand": "Copperleaf"}}),
    (
        "attributes",
        "a burgundy wool coat",
        {"include": {"Outerwear > Wool coat"}, "attributes": {"color": "burgundy"}},
    ),
    (
        "attributes",
        "navy blue bedding",
        {"include": {"Bedding"}, "attributes": {"color": "navy blue"}},
    ),
    (
        "attributes",
        "Mise Kitchen cookware",
        {"include": {"Kitchen"}, "attributes": {"brand": "Mise Kitchen"}},
    ),
    ("attributes", "headphones in black", {"include": {"Audio"}, "attributes": {"color": "black"}}),
    (
        "negations",
        "footwear but not sandals",
        {"include": {"Footwear"}, "exclude": {"Footwear > Sandals"}},
    ),
    (
        "negations",
        "a jacket, nothing from Stormline",
        {"include": {"Outerwear"}, "exclude_attributes": {("brand", "Stormline")}},
    ),
    (
        "negations",
        "bedding, not in slate grey",
        {"include": {"Bedding"}, "exclude_attributes": {("color", "slate grey")}},
    ),
    (
        "negations",
        "toys but no board games",
        {"include": {"Toys"}, "exclude": {"Toys > Board game"}},
    ),
    ("negations", "kitchen gear, nothing nonstick", {"include": {"Kitchen"}}),
    (
        "negations",
        "anything for pets except dog stuff",
        {"include": {"Pet Supplies"}, "exclude_tags": {"dogs"}},
    ),
    (
        "prices",
        "a laptop under $1000",
        {"include": {"Computers > Laptop"}, "price": (Y, 1000.0)},
    ),
    (
        "prices",
        "earrings between 40 and 120 dollars",
        {"include": {"Jewelry"}, "price": (40.0, 120.0)},
    ),
    ("prices", "a tent over 150", {"include": {"Camping > Tent"}, "price": (150.0, Y)}),
    (
        "prices",
        "coffee gear for less than 25 bucks",
        {"include": {"Coffee & Tea"}, "price": (Y, 25.0)},
    ),
    (
        "prices",
        "a sofa no more than 500",
        {"include": {"Furniture > Sofa"}, "price": (Y, 500.0)},
    ),
    (
        "prices",
        "budget gaming mouse at most 40",
        {"include": {"Computers > Gaming mouse"}, "price": (Y, 40.0)},
    ),
    (
        "prices",
        "a stroller between $200 and $400",
        {"include": {"Baby > Stroller"}, "price": (200.0, 400.0)},
    ),
    (
        "prices",
        "a water filter above 30",
        {"include": {"Camping > Water filter"}, "price": (30.0, Y)},
    ),
    (
        "relaxations",
        "Soleway headphones",
        {"include": {"Audio"}, "attributes": {"brand": "Soleway"}, "relaxed": True},
    ),
    (
        "relaxations",
        "a tent and a laptop",
        {"include": {"Camping > Tent", "Computers > Laptop"}, "relaxed": True},
    ),
    (
        "relaxations",
        "black running shoes under 60",
        {
            "include": {"Footwear > Running shoes"},
            "attributes": {"color": "black"},
            "price": (Y, 60.0),
            "relaxed": True,
        },
    ),
    (
        "relaxations",
        "outdoor jewelry",
        {"include": {"Jewelry"}, "tags": {"outdoor"}, "relaxed": True},
    ),
]

NEWS: list[Row] = [
    ("tags", "articles about the premier league", {"tags": {"premier league"}}),
    (
        "negations",
        "tennis news, nothing about wimbledon",
        {"include": {"Tennis"}, "exclude_tags": {"wimbledon"}},
    ),
    (
        "attributes",
        "climate stories from Global Dispatch",
        {"include": {"Climate"}, "attributes": {"source": "Global Dispatch"}},
    ),
    ("attributes", "anything by Jonah Hart", {"attributes": {"author": "Jonah Hart"}}),
    (
        "negations",
        "space news but not about mars",
        {"include": {"Space"}, "exclude_tags": {"mars"}},
    ),
    (
        "negations",
        "politics, but not from The Morning Post",
        {"include": {"Politics"}, "exclude_attributes": {("source", "The Morning Post")}},
    ),
    ("tags", "crime news", {"tags": {"crime"}}),
    ("tags", "film reviews about the oscars", {"include": {"Film"}, "tags": {"oscars"}}),
    ("tags", "music news about festivals", {"include": {"Music News"}, "tags": {"festivals"}}),
    (
        "negations",
        "economy stories without inflation",
        {"include": {"Economy"}, "exclude_tags": {"inflation"}},
    ),
    ("tags", "technology articles about ai", {"include": {"Technology"}, "tags": {"ai"}}),
    ("years", "health news from 2023", {"include": {"Health"}, "years": (2023, 2023)}),
    (
        "titles",
        "science stories like 'Physicists observed the genome of a rare plant in Berlin'",
        {
            "include": {"Science"},
            "similar_to": {"Physicists observed the genome of a rare plant in Berlin"},
        },
    ),
    (
        "titles",
        "something similar to Madrid: the band released the charts",
        {"similar_to": {"Madrid: the band released the charts"}},
    ),
    (
        "negations",
        "football but nothing about transfers",
        {"include": {"Football"}, "exclude_tags": {"transfers"}},
    ),
    (
        "negations",
        "markets news, no bonds or stocks",
        {"include": {"Markets"}, "exclude_tags": {"bonds", "stocks"}},
    ),
    ("tags", "electric vehicles", {"tags": {"electric vehicles"}}),
    (
        "relaxations",
        "basketball and tennis",
        {"include": {"Basketball", "Tennis"}, "relaxed": True},
    ),
    (
        "relaxations",
        "food articles about recipes by Ada Sato",
        {
            "include": {"Food"},
            "tags": {"recipes"},
            "attributes": {"author": "Ada Sato"},
            "relaxed": True,
        },
    ),
    (
        "negations",
        "travel news, not about airlines, from Metro Wire",
        {
            "include": {"Travel"},
            "exclude_tags": {"airlines"},
            "attributes": {"source": "Metro Wire"},
        },
    ),
    (
        "attributes",
        "education news from the Civic Herald",
        {"include": {"Education"}, "attributes": {"source": "Civic Herald"}},
    ),
    (
        "negations",
        "nothing about politics or elections",
        {"exclude": {"Politics"}, "exclude_tags": {"elections"}},
    ),
    (
        "relaxations",
        "space and science, no nasa",
        {"include": {"Space", "Science"}, "exclude_tags": {"nasa"}, "relaxed": True},
    ),
    ("tags", "automotive news about batteries", {"include": {"Automotive"}, "tags": {"batteries"}}),
    (
        "negations",
        "health articles about vaccines but not hospitals",
        {"include": {"Health"}, "tags": {"vaccines"}, "exclude_tags": {"hospitals"}},
    ),
]

MUSIC: list[Row] = [
    (
        "titles",
        "songs like Savage Warpath by Iron Abyss",
        {"similar_to": {"Savage Warpath by Iron Abyss"}},
    ),
    ("titles", "something like Rising Island", {"similar_to": {"Rising Island by Sam Ferreira"}}),
    (
        "titles",
        "tracks similar to Analog Afterglow by Neon Grid from the 2010s",
        {"similar_to": {"Analog Afterglow by Neon Grid"}, "years": (2010, 2019)},
    ),
    ("years", "jazz from the 60s", {"include": {"Jazz"}, "years": (1960, 1969)}),
    ("years", "rock songs before 1980", {"include": {"Rock"}, "years": (Y, 1979)}),
    ("years", "hip-hop released after 2015", {"include": {"Hip-Hop"}, "years": (2016, Y)}),
    ("years", "hip hop from the 90s", {"include": {"Hip-Hop"}, "years": (1990, 1999)}),
    ("tags", "r&b slow jams", {"include": {"R&B"}, "tags": {"slow jams"}}),
    ("attributes", "music by Sam Ferreira", {"attributes": {"artist": "Sam Ferreira"}}),
    (
        "negations",
        "Sam Ferreira but no reggae",
        {"attributes": {"artist": "Sam Ferreira"}, "exclude": {"Reggae"}},
    ),
    (
        "negations",
        "metal, but nothing by Iron Abyss",
        {"include": {"Metal"}, "exclude_attributes": {("artist", "Iron Abyss")}},
    ),
    ("tags", "chill ambient for sleep", {"include": {"Ambient"}, "tags": {"chill", "sleep"}}),
    (
        "tags",
        "country with some twang from the 70s",
        {"include": {"Country"}, "tags": {"twang"}, "years": (1970, 1979)},
    ),
    ("negations", "folk, not acoustic", {"include": {"Folk"}, "exclude_tags": {"acoustic"}}),
    ("negations", "punk without pop punk", {"include": {"Punk"}, "exclude_tags": {"pop punk"}}),
    ("tags", "classical piano pieces", {"include": {"Classical"}, "tags": {"piano"}}),
    (
        "negations",
        "electronic music, no techno",
        {"include": {"Electronic"}, "exclude_tags": {"techno"}},
    ),
    ("tags", "latin dance songs", {"include": {"Latin"}, "tags": {"dance"}}),
    ("tags", "k-pop idols", {"include": {"K-Pop"}, "tags": {"idol"}}),
    ("tags", "blues with harmonica", {"include": {"Blues"}, "tags": {"harmonica"}}),
    (
        "attributes",
        "songs by The Basement Riot from the 80s",
        {"attributes": {"artist": "The Basement Riot"}, "years": (1980, 1989)},
    ),
    (
        "negations",
        "indie but not shoegaze, after 2000",
        {"include": {"Indie"}, "exclude_tags": {"shoegaze"}, "years": (2001, Y)},
    ),
    ("relaxations", "metal and jazz", {"include": {"Metal", "Jazz"}, "relaxed": True}),
    (
        "attributes",
        "BLOOM songs from before 2010",
        {"attributes": {"artist": "BLOOM"}, "years": (Y, 2009)},
    ),
    (
        "titles",
        "house music like Soulful Groove by Terrace Club",
        {"include": {"House"}, "similar_to": {"Soulful Groove by Terrace Club"}},
    ),
    (
        "relaxations",
        "jazz by Ines Hart",
        {"include": {"Jazz"}, "attributes": {"artist": "Ines Hart"}, "relaxed": True},
    ),
    (
        "negations",
        "rock anthems, no classic rock",
        {"include": {"Rock"}, "tags": {"anthems"}, "exclude_tags": {"classic rock"}},
    ),
]

HELD_OUT: dict[str, list[Row]] = {
    "movielens-100k": ML100K,
    "ecommerce": ECOMMERCE,
    "news": NEWS,
    "music": MUSIC,
}
