"""Held-out chat requests over the synthetic ``ecommerce`` catalog (category paths, brands,
colours, prices).

Rows as described in :mod:`pulserec_bench.chat_heldout`."""

from __future__ import annotations

from pulserec_bench.chat_heldout_rows import Row, Y

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
