"""Word lists, text templates and behaviour settings for the synthetic data generator.

Mostly data: one :class:`DomainVocab` per domain (``ecommerce``, ``news``, ``music``), each with
18 categories. Every category carries its own word pools (``noun``, ``adj``, ...) and tags, so the
titles and descriptions built from them really tell categories apart. Templates are
``str.format`` strings whose fields name a pool; a trailing digit (``{noun2}``) draws a second,
independent word from the same pool, while the bare name is one choice shared by the item's
title and description. Pools are written as ``"a|b|c"`` and split on ``|``. :class:`Composer`
fills templates from the pools given random integers; numbered fields never repeat the bare
field's word (``{feature}`` and ``{feature2}`` differ).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Category:
    """One category: display label, relative size, tags, word pools and numeric parameters."""

    label: str
    weight: float
    tags: tuple[str, ...]
    words: Mapping[str, tuple[str, ...]]
    params: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Behaviour:
    """How users of a domain act: event-type mixes, session shape and catalogue freshness."""

    search_start: float  # chance that a session opens with a search
    in_taste: Mapping[str, float]  # event-type mix on items of a favourite category
    off_taste: Mapping[str, float]  # event-type mix on other items
    follow_up: frozenset[str]  # types that act on the session's previous item (cart after view)
    session_p: float  # geometric parameter of session length (clipped to 2..12)
    gap_median_s: float  # median seconds between events of a session
    backlist_share: float  # share of items created before the simulated period
    recency_days: float = 0.0  # > 0: most traffic goes to items published this recently


@dataclass(frozen=True)
class DomainVocab:
    """Everything needed to write one domain's items, users and events."""

    name: str
    prefix: str
    categories: tuple[Category, ...]
    shared: Mapping[str, tuple[str, ...]]
    titles: tuple[str, ...]
    sentences: tuple[tuple[str, ...], ...]  # description: one template from each group
    preferences: tuple[tuple[str, ...], ...]  # [k - 1]: for k favourites {a}, {b}, {c}
    queries: tuple[str, ...]
    segments: tuple[str, ...]
    behaviour: Behaviour


class Composer:
    """Fills a group of templates from each category's pools (and the domain's shared ones).

    ``values(cat, row)`` takes one random non-negative int per pool (``columns`` of them) and
    gives every field of the group a word: the bare field ``pool[r % n]``, a numbered field
    ``{poolN}`` a word at a random stride from it, so it differs from the bare one.
    """

    def __init__(self, vocab: DomainVocab, templates: Sequence[str]) -> None:
        parse = string.Formatter().parse
        names = {f for t in templates for _, f, _, _ in parse(t) if f}
        keys = sorted({name.rstrip("0123456789") for name in names})
        self.columns = len(keys)
        self.fields: list[list[tuple[str, tuple[str, ...], int, int]]] = []
        for category in vocab.categories:
            pools: Mapping[str, tuple[str, ...]] = {**vocab.shared, **category.words}
            self.fields.append([
                (name, pools[key], keys.index(key), int(name[len(key) :] or 1))
                for name in sorted(names) if (key := name.rstrip("0123456789")) in pools
            ])  # fmt: skip

    def values(self, cat: int, row: Sequence[int], extra: Mapping[str, str]) -> dict[str, str]:
        """Field values for one record; ``extra`` supplies (or overrides) fields."""
        values: dict[str, str] = {}
        for name, pool, col, nth in self.fields[cat]:
            r, n = row[col], len(pool)
            step = 1 + (r // n) % (n - 1) if n > 1 else 0
            step = 1 if n > 1 and 2 * step % n == 0 else step
            values[name] = pool[(r + (nth - 1) * step) % n]
        values.update(extra)
        return values


def render(template: str, values: Mapping[str, str]) -> str:
    """The filled template with its first letter capitalised."""
    text = template.format_map(values)
    return text[:1].upper() + text[1:]


AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


def _cat(
    label: str, weight: float, tags: str, params: Mapping[str, float] | None = None, **words: str
) -> Category:
    pools = {name: _split(pool) for name, pool in words.items()}
    pools["cat"] = (label.lower(),)
    pools["tag"] = _split(tags)
    return Category(label, weight, _split(tags), pools, dict(params or {}))


_FIRST = (
    "Ada|Ben|Chloe|Dev|Elena|Farid|Grace|Hugo|Ines|Jonah|Kira|Luca|Maya|Nils|Omar|Priya|Rosa|Sam"
)
_LAST = "Vance|Okafor|Lindqvist|Moreau|Tanaka|Reyes|Novak|Hart|Mendes|Byrne|Kowalski|Sato|Ferreira"

ECOMMERCE = DomainVocab(
    name="ecommerce",
    prefix="e",
    categories=(
        _cat(
            "Footwear",
            1.3,
            "shoes|boots|footwear|hiking|running|outdoor|comfort",
            {"price": 85},
            noun="hiking boots|running shoes|sneakers|sandals|loafers|ankle boots|trail shoes",
            adj="waterproof|lightweight|cushioned|breathable|slip-resistant|all-terrain",
            material="leather|suede|mesh|canvas|nubuck|recycled knit",
            feature="a grippy rubber outsole|a padded collar|a shock-absorbing midsole|"
            "a reinforced toe cap|a moisture-wicking lining|quick-lace eyelets",
            use="long hikes|daily commutes|trail running|weekend walks|marathon training",
            like="hiking boots|running shoes|comfortable sneakers|trail footwear",
            brand="Trailblazer|Stridewell|Northpeak|Soleway",
        ),
        _cat(
            "Outerwear",
            1.0,
            "jackets|coats|outerwear|winter|rain|layering",
            {"price": 120},
            noun="rain jacket|parka|down vest|softshell jacket|wool coat|windbreaker|puffer jacket",
            adj="insulated|packable|windproof|water-repellent|hooded|quilted",
            material="goose down|merino wool|recycled nylon|Gore-Tex|fleece|waxed cotton",
            feature="taped seams|an adjustable hood|zippered hand pockets|a two-way front zip|"
            "pit vents|a drop-tail hem",
            use="rainy commutes|winter mornings|alpine treks|city layering|ski trips",
            like="warm winter coats|rain jackets|outdoor layers|puffer jackets",
            brand="Stormline|Fjellkraft|Harbour & Pine|Aerolayer",
        ),
        _cat(
            "Kitchen",
            1.2,
            "kitchen|cookware|cooking|baking|knives|home",
            {"price": 45},
            noun="chef's knife|cast iron skillet|saucepan|cutting board|dutch oven|stand mixer|"
            "nonstick frying pan",
            adj="professional|nonstick|dishwasher-safe|heavy-duty|ergonomic|oven-safe",
            material="stainless steel|cast iron|acacia wood|enamelled steel|carbon steel|ceramic",
            feature="a riveted handle|even heat distribution|a pour spout|a tempered glass lid|"
            "a full-tang blade|a non-slip base",
            use="weeknight dinners|slow-cooked stews|baking bread|searing steaks|meal prep",
            like="cooking gear|cast iron cookware|good kitchen knives|baking tools",
            brand="Copperleaf|Hearthstone|Mise Kitchen|Forgeline",
        ),
        _cat(
            "Audio",
            1.0,
            "audio|headphones|speakers|music|bluetooth|hifi",
            {"price": 140},
            noun="wireless earbuds|over-ear headphones|bluetooth speaker|soundbar|turntable|"
            "studio monitors|headphone amplifier",
            adj="noise-cancelling|high-fidelity|wireless|waterproof|bass-boosted|compact",
            material="aluminium|memory foam|anodised metal|walnut veneer|braided cable|silicone",
            feature="active noise cancellation|a 30-hour battery|aptX HD support|"
            "a built-in microphone|multipoint pairing|a custom EQ app",
            use="long flights|home listening|gym sessions|podcast marathons|vinyl nights",
            like="headphones and speakers|hi-fi audio|noise-cancelling earbuds|record players",
            brand="Sonique|Bassline|Auralis|Hertzwave",
        ),
        _cat(
            "Computers",
            0.9,
            "computers|laptops|pc|gaming|accessories|tech",
            {"price": 650},
            noun="laptop|mechanical keyboard|gaming mouse|4K monitor|external SSD|USB-C dock|"
            "webcam|mini PC",
            adj="ultra-thin|high-performance|backlit|portable|ergonomic|fanless",
            material="an aluminium unibody|magnesium alloy|PBT keycaps|tempered glass|"
            "recycled plastic|carbon fibre",
            feature="a 14-hour battery|Thunderbolt 4 ports|hot-swappable switches|"
            "a 144 Hz refresh rate|a 2 TB NVMe drive|a fingerprint reader",
            use="software development|video editing|competitive gaming|home office setups|"
            "students on the go",
            like="laptops and PC gear|mechanical keyboards|gaming peripherals|monitors",
            brand="Bytecraft|Nexora|Keystone Labs|Quantix",
        ),
        _cat(
            "Phones & Tablets",
            0.9,
            "phones|tablets|mobile|smartwatch|chargers|tech",
            {"price": 420},
            noun="smartphone|tablet|phone case|wireless charger|screen protector|smartwatch|"
            "e-reader|power bank",
            adj="unlocked|shockproof|fast-charging|slim|foldable|rugged",
            material="Gorilla Glass|titanium|TPU silicone|vegan leather|polycarbonate|sapphire",
            feature="a 120 Hz OLED display|a triple-lens camera|MagSafe compatibility|"
            "5G connectivity|all-day battery life|IP68 water resistance",
            use="mobile photography|reading on the go|fitness tracking|travel|note-taking",
            like="smartphones and tablets|phone accessories|smartwatches|e-readers",
            brand="Pixelon|Mobiq|Vantage Mobile|Lumacell",
        ),
        _cat(
            "Furniture",
            0.8,
            "furniture|home|decor|living room|storage|interior",
            {"price": 320},
            noun="sofa|dining table|bookshelf|office chair|bed frame|coffee table|"
            "wardrobe|armchair",
            adj="mid-century|modular|solid|upholstered|minimalist|extendable",
            material="oak|walnut|velvet|rattan|powder-coated steel|linen blend",
            feature="tapered legs|hidden storage|a reclining back|soft-close drawers|"
            "removable covers|adjustable shelves",
            use="small apartments|family living rooms|home offices|reading corners|guest rooms",
            like="mid-century furniture|home decor|comfortable sofas|solid wood tables",
            brand="Oakhaven|Nordhem|Loftline|Casa Verde",
        ),
        _cat(
            "Bedding",
            0.7,
            "bedding|sleep|bedroom|linen|blankets|home",
            {"price": 70},
            noun="duvet cover|pillow set|weighted blanket|mattress topper|fitted sheet|"
            "throw blanket|quilt",
            adj="hypoallergenic|cooling|percale|ultra-soft|organic|temperature-regulating",
            material="Egyptian cotton|bamboo lyocell|linen|microfibre|memory foam|flannel",
            feature="a 400 thread count|deep pockets|corner ties|a zip closure|"
            "an Oeko-Tex certification|a breathable weave",
            use="hot summer nights|restful sleep|guest bedrooms|cosy winter evenings|allergies",
            like="soft bedding|linen sheets|weighted blankets|good pillows",
            brand="Dreamweave|Slumberline|Cloudnest|Linnea Home",
        ),
        _cat(
            "Toys",
            0.9,
            "toys|kids|games|gifts|puzzles|learning",
            {"price": 35},
            noun="building set|wooden train set|plush bear|remote control car|jigsaw puzzle|"
            "board game|science kit|dollhouse",
            adj="educational|colourful|award-winning|battery-free|creative|collectible",
            material="sustainable wood|BPA-free plastic|soft plush|recycled cardboard|felt",
            feature="500 interlocking pieces|glow-in-the-dark parts|a step-by-step guide|"
            "rechargeable batteries|a storage box",
            use="rainy afternoons|family game nights|STEM learning|birthday gifts|pretend play",
            like="toys for my kids|board games|building sets|educational toys",
            brand="Playforge|Tinytown|Brightblocks|Whizzle",
        ),
        _cat(
            "Beauty",
            1.1,
            "beauty|skincare|makeup|cosmetics|vegan|selfcare",
            {"price": 28},
            noun="face serum|moisturiser|lip balm|sheet mask set|eyeshadow palette|cleansing oil|"
            "sunscreen|hair mask",
            adj="hydrating|vegan|fragrance-free|brightening|cruelty-free|long-lasting",
            material="hyaluronic acid|vitamin C|shea butter|niacinamide|rosehip oil|ceramides",
            feature="a lightweight texture|SPF 50 protection|a dermatologist-tested formula|"
            "a pump dispenser|a matte finish|a refillable jar",
            use="sensitive skin|morning routines|dry winter skin|evening skincare|holidays",
            like="skincare|natural beauty products|makeup|vegan cosmetics",
            brand="Glowlab|Petal & Root|Lumiere Skin|Velvetine",
        ),
        _cat(
            "Fitness",
            0.9,
            "fitness|gym|yoga|workout|training|health",
            {"price": 60},
            noun="yoga mat|adjustable dumbbells|resistance bands|foam roller|kettlebell|"
            "jump rope|pull-up bar|exercise bike",
            adj="non-slip|adjustable|heavy-duty|compact|anti-burst|extra-thick",
            material="natural rubber|cast iron|TPE foam|neoprene|steel cable|cork",
            feature="quick-change weight plates|alignment markings|a digital rep counter|"
            "a carry strap|a foldable frame|textured grips",
            use="home workouts|hot yoga|strength training|post-run recovery|HIIT sessions",
            like="home gym equipment|yoga|strength training gear|workout accessories",
            brand="Ironpulse|Flowfit|Corewell|Liftlab",
        ),
        _cat(
            "Camping",
            0.8,
            "camping|outdoor|hiking|backpacking|tents|adventure",
            {"price": 95},
            noun="tent|sleeping bag|camping stove|headlamp|trekking poles|hydration pack|"
            "camp chair|water filter",
            adj="ultralight|three-season|waterproof|collapsible|rechargeable|backcountry",
            material="ripstop nylon|titanium|aluminium poles|down fill|silnylon|carbon fibre",
            feature="a two-minute pitch|a built-in rainfly|a 600-lumen beam|a compression sack|"
            "a piezo igniter|a 2-litre reservoir",
            use="thru-hikes|family campouts|backpacking trips|festival weekends|wild camping",
            like="camping gear|backpacking equipment|ultralight tents|outdoor adventures",
            brand="Basecamp Co|Summitry|Wildtrail|Pinecrest",
        ),
        _cat(
            "Gardening",
            0.7,
            "garden|gardening|plants|outdoor|tools|growing",
            {"price": 30},
            noun="pruning shears|raised garden bed|watering can|seed starter kit|garden hose|"
            "compost bin|planter",
            adj="rust-proof|self-watering|expandable|weatherproof|organic|ergonomic",
            material="galvanised steel|cedar wood|terracotta|recycled plastic|bamboo|copper",
            feature="a drip irrigation kit|bypass blades|drainage holes|UV-stable walls|"
            "a brass nozzle|a soft-grip handle",
            use="vegetable patches|balcony gardens|spring planting|rose pruning|herb gardens",
            like="gardening tools|growing vegetables|houseplants and planters|composting",
            brand="Greenthumb|Rootwell|Meadowcraft|Bloom & Spade",
        ),
        _cat(
            "Pet Supplies",
            0.8,
            "pets|dogs|cats|pet care|pet toys|accessories",
            {"price": 32},
            noun="dog bed|cat tree|dog leash|pet carrier|automatic feeder|chew toy|"
            "grooming brush|litter box",
            adj="orthopedic|chew-resistant|washable|reflective|self-cleaning|calming",
            material="memory foam|sisal rope|nylon webbing|natural rubber|sherpa fleece|steel",
            feature="a removable washable cover|a no-pull design|a programmable timer|"
            "anti-slip feet|a padded handle|odour control",
            use="large dogs|indoor cats|long walks|vet visits|teething puppies|senior pets",
            like="dog toys and treats|cat accessories|pet supplies|dog walking gear",
            brand="Pawsome|Furbridge|Tailwag|Whiskerly",
        ),
        _cat(
            "Jewelry",
            0.6,
            "jewelry|accessories|gifts|silver|gold|fashion",
            {"price": 150},
            noun="pendant necklace|stud earrings|bangle|signet ring|charm bracelet|"
            "hoop earrings|cufflinks",
            adj="handcrafted|minimalist|hypoallergenic|vintage-inspired|engraved|dainty",
            material="sterling silver|14k gold|rose gold|freshwater pearls|lab-grown diamonds",
            feature="a lobster clasp|an adjustable chain|a gift box|a hand-set stone|"
            "a brushed finish|a lifetime warranty",
            use="anniversaries|everyday wear|wedding days|birthday gifts|evening parties",
            like="silver jewelry|minimalist necklaces|gold earrings|handmade jewellery",
            brand="Aurelia|Silverleaf|Maison Opal|Goldcrest",
        ),
        _cat(
            "Tools",
            0.8,
            "tools|diy|hardware|power tools|workshop|renovation",
            {"price": 110},
            noun="cordless drill|socket set|circular saw|tape measure|impact driver|tool chest|"
            "laser level|multitool",
            adj="brushless|cordless|heavy-duty|professional-grade|compact|magnetic",
            material="chrome vanadium steel|hardened steel|fibreglass|die-cast aluminium|carbide",
            feature="two 18V batteries|a 20-position clutch|an LED work light|"
            "a ratcheting mechanism|a keyless chuck|a carry case",
            use="DIY projects|deck building|furniture assembly|home renovations|woodworking",
            like="power tools|DIY and woodworking|hand tools|home improvement gear",
            brand="Torqmaster|Ironclad|Buildright|Sawtooth",
        ),
        _cat(
            "Baby",
            0.6,
            "baby|newborn|nursery|parenting|kids|essentials",
            {"price": 55},
            noun="stroller|baby carrier|swaddle set|high chair|baby monitor|changing bag|"
            "teething ring|bottle set",
            adj="lightweight|anti-colic|convertible|breathable|foldable|BPA-free",
            material="organic cotton|food-grade silicone|muslin|an aluminium frame|bamboo fibre",
            feature="one-hand folding|a five-point harness|night vision|adjustable recline|"
            "a temperature sensor|machine-washable fabric",
            use="newborns|city strolls|travelling parents|naptime|first foods|sleepless nights",
            like="baby gear|strollers and car seats|newborn essentials|nursery items",
            brand="Littlenest|Bambino Co|Cuddlecub|Tiny Steps",
        ),
        _cat(
            "Coffee & Tea",
            0.8,
            "coffee|tea|espresso|brewing|beverages|kitchen",
            {"price": 22},
            noun="espresso beans|pour-over kettle|french press|loose leaf green tea|burr grinder|"
            "matcha set|cold brew maker|moka pot",
            adj="single-origin|small-batch|gooseneck|freshly roasted|fair-trade|organic",
            material="Ethiopian arabica|borosilicate glass|ceremonial-grade matcha|"
            "stainless steel|Colombian beans|Darjeeling leaves",
            feature="tasting notes of dark chocolate|a precision thermometer|40 grind settings|"
            "a double-wall carafe|a bamboo whisk|a resealable valve bag",
            use="slow Sunday brews|morning espresso|afternoon tea|iced coffee season",
            like="specialty coffee|loose leaf tea|espresso gear|pour-over brewing",
            brand="Roastery Nine|Leaf & Kettle|Crema Co|Highland Brew",
        ),
    ),
    shared={
        "color": _split("slate grey|forest green|navy blue|charcoal|sand beige|burgundy|black")
    },
    titles=("{brand} {adj} {material} {noun}", "{brand} {adj} {noun}", "{brand} {noun}, {color}"),
    sentences=(
        (
            "{adj} {noun} made with {material}, featuring {feature}.",
            "Built for {use}: the {brand} {noun} with {feature} and {feature2}.",
            "{adj} {material} {noun} with {feature}, ideal for {use}.",
        ),
        (
            "A favourite for {use2}, with {feature3}.",
            "Loved by customers for {use2}.",
            "A great match for {use2} and for our {noun2}.",
        ),
        ("Available in {color}.", "Part of our {cat} range.", "Free returns on all {cat} orders."),
    ),
    preferences=(
        ("I mostly shop for {a}.", "Looking for {a}, not much else.", "Big fan of {a}."),
        ("I mostly shop for {a} and sometimes {b}.", "Into {a} and {b}.", "{a} first, then {b}."),
        ("I like {a}, {b} and {c}.", "Usually shopping for {a}; also {b} and {c}."),
    ),
    queries=("{adj} {noun}", "{brand} {noun}", "{noun} {material}", "{noun}", "best {noun}"),
    segments=("bargain_hunter", "premium", "casual", "loyal", "new_customer"),
    behaviour=Behaviour(
        search_start=0.2,
        in_taste={
            "view": 0.52,
            "click": 0.24,
            "cart": 0.1,
            "purchase": 0.05,
            "rating": 0.03,
            "like": 0.05,
            "dislike": 0.01,
        },
        off_taste={
            "view": 0.66,
            "click": 0.25,
            "cart": 0.04,
            "purchase": 0.01,
            "rating": 0.01,
            "like": 0.01,
            "dislike": 0.02,
        },
        follow_up=frozenset({"cart", "purchase", "rating", "like", "dislike"}),
        session_p=0.18,
        gap_median_s=25.0,
        backlist_share=0.7,
    ),
)

NEWS = DomainVocab(
    name="news",
    prefix="n",
    categories=(
        _cat(
            "Politics",
            1.4,
            "politics|elections|government|parliament|policy|legislation",
            subject="the senate|parliament|the prime minister|opposition leaders|the governor|"
            "the coalition government",
            action="approved|rejected|debated|delayed|unveiled|backed",
            object="a new budget bill|electoral reform|an immigration package|a tax overhaul|"
            "the defence budget|a no-confidence motion",
            adj="controversial|bipartisan|landmark|divisive|long-awaited",
            detail="Lawmakers expect a close vote next week|The opposition vowed to challenge "
            "the measure in court|Polls suggest voters remain split on the issue",
            like="politics and elections|parliamentary debates|government policy",
        ),
        _cat(
            "Economy",
            1.1,
            "economy|inflation|jobs|central bank|growth|interest rates",
            subject="the central bank|economists|the finance ministry|small businesses|"
            "labour unions|the statistics office",
            action="warned about|raised forecasts for|cut|reported|signalled a pause in|braced for",
            object="interest rates|inflation|unemployment figures|GDP growth|wage growth|"
            "consumer spending",
            adj="cautious|surprising|premature|overdue|bold",
            detail="Mortgage holders could see relief by the end of the year|Retail sales "
            "slowed for a third straight month|Hiring remained resilient despite higher rates",
            like="the economy and inflation|central bank decisions|jobs and wages",
        ),
        _cat(
            "Markets",
            0.9,
            "markets|stocks|investing|bonds|earnings|finance",
            subject="stocks|bond yields|tech shares|the dollar|oil prices|investors",
            action="rallied after|slid on|climbed ahead of|tumbled after|shrugged off|braced for",
            object="quarterly earnings|a rate decision|weak guidance|a merger announcement|"
            "an IPO filing|trade data",
            adj="bullish|bearish|overdone|jittery|predictable",
            detail="The benchmark index closed at its highest level in months|Traders piled "
            "into defensive sectors|Analysts expect more volatility before earnings season",
            like="stock markets and investing|earnings reports|bonds and currencies",
        ),
        _cat(
            "Technology",
            1.3,
            "technology|ai|startups|software|gadgets|cybersecurity",
            subject="a chipmaker|the startup|regulators|a social network|cloud providers|"
            "the smartphone giant",
            action="launched|acquired|was fined over|delayed|open-sourced|patched",
            object="an AI model|a data breach|a new chip|a cloud outage|a privacy feature|"
            "an app store policy",
            adj="bold|risky|overdue|game-changing|anticompetitive",
            detail="Developers can try the software in preview from today|Security "
            "researchers say millions of accounts were exposed|The deal still needs approval "
            "from competition authorities",
            like="technology and AI|startups|gadgets and software|cybersecurity",
        ),
        _cat(
            "Science",
            0.8,
            "science|research|physics|biology|discovery|genetics",
            subject="researchers|physicists|a university team|biologists|geneticists|"
            "archaeologists",
            action="discovered|mapped|sequenced|observed|reconstructed|tested",
            object="a new species of frog|the genome of a rare plant|quantum entanglement|"
            "an ancient burial site|a room-temperature superconductor|fossil footprints",
            adj="groundbreaking|surprising|long-awaited|remarkable|premature",
            detail="The findings were published in a peer-reviewed journal|The team plans "
            "further experiments to confirm the result|Other scientists urged caution",
            like="science and research|new discoveries|physics and biology",
        ),
        _cat(
            "Health",
            1.1,
            "health|medicine|hospitals|vaccines|wellbeing|nutrition",
            subject="doctors|health officials|a hospital trust|nurses|a drug maker|researchers",
            action="warned about|approved|trialled|recommended|reported a rise in|rolled out",
            object="a new vaccine|flu cases|a cancer drug|waiting lists|mental health services|"
            "a diabetes treatment",
            adj="life-saving|overdue|cautious|risky|welcome",
            detail="Patients are advised to speak to their GP before changing medication|The "
            "trial involved more than two thousand volunteers|Waiting times remain above target",
            like="health and medicine|fitness and nutrition|medical research",
        ),
        _cat(
            "Climate",
            1.0,
            "climate|environment|energy|renewables|emissions|wildlife",
            subject="climate scientists|environmental groups|the energy minister|a wind farm|"
            "city planners|conservationists",
            action="warned of|pushed for|approved|reported record|opposed|restored",
            object="carbon emissions|heatwaves|solar subsidies|a coal phase-out|"
            "wetland habitats|sea level rise",
            adj="unprecedented|alarming|overdue|ambitious|symbolic",
            detail="Temperatures broke records across the region this summer|Campaigners say "
            "the targets do not go far enough|The project will power thousands of homes",
            like="climate change and the environment|renewable energy|wildlife conservation",
        ),
        _cat(
            "Football",
            1.2,
            "football|soccer|premier league|transfers|champions league|goals",
            subject="the striker|the manager|the champions|the relegated side|the goalkeeper|"
            "the club captain",
            action="scored in|was sacked after|signed for|celebrated|was injured before|rescued",
            object="a derby win|a last-minute equaliser|the cup final|a record transfer|"
            "a penalty shoot-out|the title race",
            adj="dramatic|stunning|bold|shocking|inevitable",
            detail="The home fans stormed the pitch at the final whistle|The club confirmed the "
            "fee in a statement|The league table has tightened at the top",
            like="football and transfer news|the premier league|match reports",
        ),
        _cat(
            "Basketball",
            0.7,
            "basketball|nba|playoffs|dunks|hoops|draft",
            subject="the point guard|the rookie|the defending champions|the head coach|"
            "the all-star forward|the franchise",
            action="dropped 40 points in|led a comeback in|traded for|swept|"
            "was suspended for|clinched",
            object="a playoff game|overtime|the conference finals|a triple-double|"
            "the draft lottery|a buzzer-beater",
            adj="historic|electric|gritty|shocking|bold",
            detail="The arena erupted after the buzzer-beater|The series now returns home for "
            "game five|Scouts have called him the best prospect in a decade",
            like="basketball and the NBA|playoff games|college hoops",
        ),
        _cat(
            "Tennis",
            0.6,
            "tennis|grand slam|wimbledon|atp|wta|serve",
            subject="the world number one|the qualifier|the defending champion|the teenager|"
            "the veteran|the doubles pair",
            action="won|crashed out of|fought back in|withdrew from|reached|saved match points in",
            object="the Wimbledon final|a five-set thriller|the quarter-finals|a tie-break|"
            "the clay season|the Australian Open",
            adj="epic|stunning|emotional|brave|surprising",
            detail="The match lasted more than four hours on centre court|Her serve broke "
            "down in the deciding set|The crowd gave him a standing ovation",
            like="tennis and grand slams|Wimbledon|ATP and WTA results",
        ),
        _cat(
            "Film",
            0.9,
            "film|movies|cinema|box office|oscars|streaming",
            subject="the director|the studio|the sequel|critics|the streaming service|"
            "the lead actor",
            action="premiered|topped|won|was snubbed at|cast|rebooted",
            object="the box office|the Oscars|a film festival|a superhero franchise|"
            "a biopic|a horror remake",
            adj="daring|long-awaited|crowd-pleasing|risky|bold",
            detail="The film earned a standing ovation at its premiere|Ticket sales beat "
            "industry forecasts|The trailer drew millions of views overnight",
            like="movies and cinema|box office news|film festivals and the Oscars",
        ),
        _cat(
            "Music News",
            0.7,
            "music|concerts|albums|tours|festivals|charts",
            subject="the pop star|the band|the rapper|festival organisers|the record label|"
            "the singer-songwriter",
            action="announced|cancelled|topped|released|reunited for|sold out",
            object="a world tour|a surprise album|the charts|a headline festival slot|"
            "a stadium show|a comeback single",
            adj="surprising|long-awaited|triumphant|bold|emotional",
            detail="Tickets sold out within minutes|The album features several high-profile "
            "collaborations|Fans queued overnight outside the venue",
            like="music news and concerts|new album releases|festival line-ups",
        ),
        _cat(
            "Travel",
            0.8,
            "travel|tourism|airlines|holidays|destinations|hotels",
            subject="airlines|tourism boards|travellers|the budget carrier|hotel chains|"
            "cruise operators",
            action="cancelled|launched|warned about|reopened|slashed fares for|added routes to",
            object="summer flights|a new island resort|overtourism|visa rules|rail passes|"
            "a hidden mountain village",
            adj="overdue|welcome|controversial|surprising|bold",
            detail="Travellers are advised to check with their airline before departure|The "
            "route will run three times a week|Local residents have called for visitor caps",
            like="travel and destinations|cheap flights|holiday ideas",
        ),
        _cat(
            "Food",
            0.8,
            "food|restaurants|recipes|chefs|cooking|dining",
            subject="the chef|a street food stall|food critics|the bakery|a Michelin-starred "
            "restaurant|home cooks",
            action="opened|earned|reinvented|shared|closed|celebrated",
            object="a tasting menu|a sourdough recipe|a second star|plant-based dishes|"
            "a night market|seasonal produce",
            adj="daring|inventive|bold|welcome|surprising",
            detail="The menu changes every week with what the farmers bring in|Reservations "
            "are booked out for months|The recipe takes less than thirty minutes",
            like="food and recipes|restaurant reviews|cooking tips",
        ),
        _cat(
            "Education",
            0.6,
            "education|schools|universities|students|teachers|exams",
            subject="teachers|university leaders|the education secretary|students|"
            "school boards|exam regulators",
            action="went on strike over|announced|protested|scrapped|expanded|reviewed",
            object="tuition fees|exam results|class sizes|free school meals|"
            "a new curriculum|student loans",
            adj="contested|overdue|sweeping|unfair|welcome",
            detail="Unions say the offer does not match inflation|More pupils achieved top "
            "grades than last year|The changes take effect next academic year",
            like="education and schools|universities and students|teaching",
        ),
        _cat(
            "Crime & Justice",
            0.9,
            "crime|justice|courts|police|trials|investigation",
            subject="police|prosecutors|the jury|the supreme court|detectives|the defence team",
            action="charged a suspect in|reopened|convicted a man over|ruled on|"
            "investigated|appealed",
            object="a bank heist|a cold case|a fraud scheme|a landmark privacy case|"
            "an art theft|a cyber attack",
            adj="landmark|unprecedented|controversial|overdue|significant",
            detail="The trial is expected to last six weeks|Detectives have appealed for "
            "witnesses to come forward|The ruling could set a precedent for similar cases",
            like="crime and courts|true crime investigations|legal affairs",
        ),
        _cat(
            "Space",
            0.6,
            "space|nasa|astronomy|rockets|mars|satellites",
            subject="the space agency|astronomers|a private rocket company|the rover|"
            "the telescope|astronauts",
            action="launched|spotted|landed|delayed|photographed|docked with",
            object="a moon mission|an exoplanet|a reusable booster|the space station|"
            "a distant galaxy|water ice on Mars",
            adj="historic|ambitious|risky|remarkable|first-of-its-kind",
            detail="The launch window opens early on Thursday morning|The images reveal "
            "details never seen before|Engineers are still analysing telemetry",
            like="space exploration|astronomy|rocket launches and Mars missions",
        ),
        _cat(
            "Automotive",
            0.7,
            "cars|electric vehicles|automotive|motoring|batteries|ev",
            subject="the carmaker|EV buyers|regulators|the battery supplier|dealers|"
            "the racing team",
            action="recalled|unveiled|cut prices on|invested in|tested|reported soaring demand for",
            object="an electric SUV|solid-state batteries|charging networks|a hybrid hatchback|"
            "self-driving software|a hydrogen truck",
            adj="bold|overdue|ambitious|risky|game-changing",
            detail="The model promises a range of more than 500 kilometres|Charging times "
            "have halved in three years|Dealers report long waiting lists",
            like="cars and electric vehicles|motoring news|EV charging",
        ),
    ),
    shared={
        "place": _split("Berlin|Tokyo|São Paulo|Nairobi|Toronto|Sydney|Mumbai|Madrid|Seoul|Oslo"),
        "source": _split(
            "The Daily Ledger|Metro Wire|Global Dispatch|The Morning Post|"
            "Civic Herald|Northern Courier"
        ),
        "expert": _split("analysts|observers|critics|insiders|commentators|experts"),
        "first": _split(_FIRST),
        "last": _split(_LAST),
    },
    titles=(
        "{subject} {action} {object}",
        "{place}: {subject} {action} {object}",
        "{subject} {action} {object} in {place}",
    ),
    sentences=(
        (
            "{subject} {action} {object} on {day}, a move {expert} described as {adj}.",
            "In {place}, {subject} {action} {object}, according to {source}.",
        ),
        ("{detail}.", "{detail}, while {subject2} {action2} {object2}."),
        ("{first} {last} reports for our {cat} desk.", "More {cat} coverage follows."),
    ),
    preferences=(
        ("I mostly read about {a}.", "Keep me posted on {a}.", "Only interested in {a}."),
        ("I follow {a} and {b}.", "Mostly {a}, sometimes {b}."),
        ("I read about {a}, {b} and {c}.", "Give me {a}, plus {b} and {c}."),
    ),
    queries=("{object}", "{tag} {place}", "{object} {place}", "{tag} news"),
    segments=("commuter", "news_junkie", "weekend_reader", "casual", "subscriber"),
    behaviour=Behaviour(
        search_start=0.05,
        in_taste={"view": 0.45, "click": 0.3, "skip": 0.12, "like": 0.12, "dislike": 0.01},
        off_taste={"view": 0.45, "click": 0.15, "skip": 0.36, "like": 0.02, "dislike": 0.02},
        follow_up=frozenset({"like", "dislike"}),
        session_p=0.25,
        gap_median_s=40.0,
        backlist_share=0.3,
        recency_days=2.0,
    ),
)

MUSIC = DomainVocab(
    name="music",
    prefix="m",
    categories=(
        _cat(
            "Rock",
            1.3,
            "rock|guitar|classic rock|anthems|band|live",
            {"era": 1965, "dur": 250},
            tnoun="Highway|Thunder|Engine|Rebel|Fire|Night Train|Stone",
            tadj="Electric|Burning|Wild|Midnight|Restless|Broken",
            mood="driving|anthemic|gritty|swaggering|raw",
            instrument="distorted guitars|pounding drums|a growling bass line|a Hammond organ",
            detail="Crunchy riffs build to a huge singalong chorus|A blistering guitar solo "
            "closes the track|Recorded live to tape in a single take",
            like="classic rock|loud guitar bands|rock anthems",
            band="Crimson Engines|Velvet Wolves|Iron Saints|Rolling Embers|Dead Radios",
            artist="The {band}|{first} {last} and the {band}|{band}",
        ),
        _cat(
            "Pop",
            1.5,
            "pop|charts|catchy|dance pop|hits|radio",
            {"era": 1980, "dur": 205},
            tnoun="Heartbeat|Summer|Sugar|Starlight|Love Letter|Mirror|Daydream",
            tadj="Golden|Sweet|Neon|Perfect|Lonely|Bubblegum",
            mood="catchy|upbeat|glossy|bittersweet|euphoric",
            instrument="shimmering synths|handclaps|a four-on-the-floor beat|layered vocals",
            detail="A hook you will be humming for days|The chorus explodes into falsetto "
            "harmonies|Built for summer radio and dance floors",
            like="pop hits|catchy chart music|upbeat pop songs",
            band="Sugar Skies|Starlight Club|Glossy Hearts|Paper Crowns",
            artist="{first} {last}|{first}|{band}",
        ),
        _cat(
            "Jazz",
            0.8,
            "jazz|swing|bebop|saxophone|improvisation|standards",
            {"era": 1950, "dur": 360},
            tnoun="Blue Note|Rain|Avenue|Smoke|Moonlight|Reverie|Last Call",
            tadj="Blue|Smoky|Late|Velvet|Quiet|Round",
            mood="swinging|smoky|improvised|laid-back|sophisticated",
            instrument="tenor saxophone|brushed drums|upright bass|muted trumpet|a piano trio",
            detail="The saxophone takes a long, searching solo over walking bass|Recorded in "
            "one evening at a small club|The rhythm section swings effortlessly",
            like="jazz and swing|late-night jazz|saxophone solos",
            band="Blue Room|Round Midnight|Velvet Hours",
            artist="{first} {last} Quartet|{first} {last} Trio|{first} {last}",
        ),
        _cat(
            "Classical",
            0.8,
            "classical|orchestra|symphony|piano|strings|baroque",
            {"era": 1955, "dur": 480},
            tnoun="Sonata|Nocturne|Symphony No. 5|Prelude|Concerto in D|Requiem|Etude",
            tadj="Adagio|Allegro|Pastoral|Moonlit|Solemn|Grand",
            mood="stately|tender|dramatic|contemplative|majestic",
            instrument="a full symphony orchestra|solo piano|a string quartet|a harpsichord",
            detail="The slow movement unfolds with aching tenderness|A landmark recording by a "
            "celebrated conductor|The finale builds to a thunderous climax",
            like="classical music|piano and orchestra works|baroque concertos",
            band="Philharmonic Orchestra|Chamber Ensemble|String Quartet",
            artist="{first} {last}|{last} {band}|{first} {last} and the {band}",
        ),
        _cat(
            "Hip-Hop",
            1.3,
            "hip-hop|rap|beats|trap|bars|boom bap",
            {"era": 1985, "dur": 215},
            tnoun="Hustle|Block|Crown|Cypher|Street Dreams|Money Talk|Legacy",
            tadj="Real|Cold|Hard|Young|Rich|Gold",
            mood="hard-hitting|boastful|introspective|bouncy|menacing",
            instrument="booming 808s|a chopped soul sample|rapid-fire hi-hats|a boom bap beat",
            detail="Tight verses trade off over a hypnotic beat|The hook is built on a "
            "pitched-up soul sample|Laced with sharp wordplay and punchlines",
            like="hip-hop and rap|trap beats|old school boom bap",
            band="Kings|Cypher|Crew",
            artist="Lil {first}|MC {last}|{first} {last}|Young {first}",
        ),
        _cat(
            "Electronic",
            1.0,
            "electronic|techno|edm|synth|club|rave",
            {"era": 1990, "dur": 330},
            tnoun="Pulse|Circuit|Signal|Voltage|Afterglow|Grid|Frequency",
            tadj="Digital|Hyper|Analog|Infinite|Neon|Hollow",
            mood="hypnotic|pulsing|euphoric|dark|relentless",
            instrument="modular synths|a thumping kick drum|arpeggiated basslines|a TB-303",
            detail="A relentless groove made for peak-time club sets|Layers of synths rise "
            "and fall over eight minutes|The drop lands hard after a long build",
            like="electronic music|techno and club tracks|synth-heavy sets",
            band="Pulsewave|Neon Grid|Voltage Drift|Analog Ghost",
            artist="DJ {first}|{band}|{first} {last}",
        ),
        _cat(
            "House",
            0.8,
            "house|deep house|dance|club|disco|groove",
            {"era": 1988, "dur": 340},
            tnoun="Groove|Sunrise|Body Talk|Weekend|Dancefloor|Move|Heat",
            tadj="Deep|Soulful|Balearic|Funky|Late Night|Warm",
            mood="groovy|soulful|sunny|uplifting|warm",
            instrument="a rolling bassline|soulful vocal chops|piano stabs|a disco loop",
            detail="Warm chords and a rolling bassline for sunrise sets|A diva vocal soars over "
            "piano stabs|Made for long summer nights on the terrace",
            like="house music|deep house grooves|disco-flavoured dance tracks",
            band="Sunset Society|Groove Theory|Terrace Club",
            artist="{first} {last}|DJ {last}|{band}",
        ),
        _cat(
            "Country",
            0.9,
            "country|americana|nashville|twang|honky tonk|cowboy",
            {"era": 1960, "dur": 225},
            tnoun="Dirt Road|Whiskey|Tailgate|Hometown|Rodeo|Back Porch|Pickup Truck",
            tadj="Dusty|Lonesome|Small Town|Southern|Old|Red",
            mood="heartfelt|rowdy|nostalgic|twangy|easygoing",
            instrument="pedal steel guitar|fiddle|acoustic guitar|a banjo",
            detail="A story of small-town love and Friday nights|Pedal steel weeps under a "
            "warm baritone|Made for long drives down country roads",
            like="country music|americana|songs about the open road",
            band="Dust Riders|Lonesome Pines|Hometown Boys",
            artist="{first} {last}|The {band}|{first} {last} Band",
        ),
        _cat(
            "Folk",
            0.7,
            "folk|acoustic|singer-songwriter|ballads|traditional|indie folk",
            {"era": 1962, "dur": 240},
            tnoun="River|Willow|Harvest|Lantern|Wanderer|Sparrow|Hollow",
            tadj="Quiet|Wandering|Silver|Old|Autumn|Gentle",
            mood="gentle|wistful|earnest|intimate|pastoral",
            instrument="fingerpicked acoustic guitar|a mandolin|close harmonies|a harmonica",
            detail="Sparse fingerpicking frames a story of leaving home|Recorded in a barn "
            "with a single microphone|Harmonies drift like woodsmoke",
            like="folk and acoustic music|singer-songwriters|quiet ballads",
            band="Willow Lanterns|Harvest Moon|Wandering Sparrows",
            artist="{first} {last}|The {band}",
        ),
        _cat(
            "Blues",
            0.5,
            "blues|delta blues|slide guitar|soul|chicago blues|harmonica",
            {"era": 1950, "dur": 280},
            tnoun="Crossroads|Muddy Water|Midnight Rain|Hard Times|Levee|Devil's Deal",
            tadj="Low Down|Stormy|Hard|Weary|Crying|Long",
            mood="mournful|gritty|soulful|slow-burning|smouldering",
            instrument="slide guitar|a wailing harmonica|a twelve-bar shuffle|a smoky organ",
            detail="A twelve-bar lament about hard times and lost love|The slide guitar cries "
            "over a slow shuffle|Rooted in the Delta tradition",
            like="blues|slide guitar|old delta and chicago blues",
            band="Delta Kings|Levee Breakers|Muddy Hands",
            artist="{first} {last}|Big {first} {last}|{first} and the {band}",
        ),
        _cat(
            "Metal",
            0.7,
            "metal|heavy metal|thrash|riffs|headbanging|doom",
            {"era": 1975, "dur": 320},
            tnoun="Inferno|Abyss|Iron Throne|Black Sun|Warpath|Ruin|Storm",
            tadj="Eternal|Dark|Savage|Molten|Grim|Infernal",
            mood="crushing|brutal|thunderous|relentless|epic",
            instrument="down-tuned guitars|double-kick drums|guttural vocals|shredding solos",
            detail="Crushing riffs give way to a blistering solo|Double-kick drums hammer "
            "relentlessly|Seven minutes of thunderous, epic heaviness",
            like="heavy metal|thrash and doom|loud, heavy riffs",
            band="Iron Abyss|Black Throne|Molten Fury|Grim Harvest",
            artist="{band}|The {band}",
        ),
        _cat(
            "Reggae",
            0.5,
            "reggae|dub|ska|roots|dancehall|island",
            {"era": 1968, "dur": 250},
            tnoun="Sunshine|Zion|Roots|Island|Babylon|Riddim|One Love",
            tadj="Irie|Easy|Rising|Natural|Sweet|Rebel",
            mood="laid-back|sunny|conscious|bouncy|mellow",
            instrument="an offbeat skank guitar|deep dub bass|a melodica|echoing drums",
            detail="Offbeat guitar and deep bass ride a one-drop rhythm|A conscious message "
            "wrapped in sunshine|Dub echoes ripple through the mix",
            like="reggae and dub|roots music|island vibes",
            band="Roots Rising|Zion Sound|Island Lions",
            artist="{first} {last}|{band}|{first} and the {band}",
        ),
        _cat(
            "R&B",
            1.0,
            "r&b|soul|neo-soul|slow jams|vocals|groove",
            {"era": 1965, "dur": 235},
            tnoun="Slow Burn|Silk|Velvet|After Hours|Honey|Late Night Call|Pillow Talk",
            tadj="Smooth|Sweet|Golden|Tender|Midnight|Soft",
            mood="sultry|smooth|romantic|soulful|sensual",
            instrument="silky vocals|a warm Rhodes piano|a slinky bassline|lush strings",
            detail="Silky vocals glide over a slow, slinky groove|A modern slow jam with "
            "old-school soul|Harmonies stacked high in the chorus",
            like="R&B and soul|slow jams|neo-soul",
            band="Velvet Hour|Silk Society|Honey Collective",
            artist="{first} {last}|{first}|{band}",
        ),
        _cat(
            "Latin",
            0.9,
            "latin|reggaeton|salsa|bachata|latin pop|dance",
            {"era": 1970, "dur": 215},
            tnoun="Corazón|Fuego|Bailando|Noche|Caliente|Vida|Luna",
            tadj="Dulce|Loca|Bonita|Tropical|Salvaje|Eterna",
            mood="fiery|danceable|passionate|sunny|sensual",
            instrument="a dembow rhythm|congas and timbales|a brass section|a nylon-string guitar",
            detail="A dembow beat made for the dance floor|Horns blaze over a salsa groove|"
            "A passionate duet sung in Spanish",
            like="latin music|reggaeton and salsa|bachata",
            band="Sol y Luna|Los Caliente|Fuego Sound",
            artist="{first} {last}|{band}|DJ {first}",
        ),
        _cat(
            "Ambient",
            0.5,
            "ambient|chill|drone|meditation|sleep|soundscape",
            {"era": 1978, "dur": 420},
            tnoun="Drift|Stillness|Horizon|Glacier|Breath|Fog|Tide",
            tadj="Slow|Distant|Floating|Weightless|Pale|Endless",
            mood="calming|meditative|spacious|dreamy|serene",
            instrument="slowly evolving drones|field recordings|soft piano|granular textures",
            detail="Slowly evolving drones for deep focus or sleep|Field recordings of rain "
            "blur into soft piano|No beats, just space and texture",
            like="ambient and chill music|music for sleep and focus|drone soundscapes",
            band="Glass Horizon|Stillwater|Fog Signals",
            artist="{band}|{first} {last}",
        ),
        _cat(
            "Punk",
            0.5,
            "punk|hardcore|pop punk|garage|diy|mosh",
            {"era": 1976, "dur": 160},
            tnoun="Riot|Anthem|No Future|Basement|Static|Suburbia|Kicks",
            tadj="Loud|Angry|Fast|Bored|Teenage|Cheap",
            mood="fast|snotty|furious|raw|rebellious",
            instrument="buzzsaw guitars|breakneck drums|gang vocals|a fuzzed-out bass",
            detail="Three chords and two minutes of pure fury|Gang vocals shout along to the "
            "chorus|Recorded fast and loud in a basement",
            like="punk rock|hardcore and garage bands|fast, loud punk",
            band="Static Kids|Basement Riot|Cheap Thrills|No Future",
            artist="The {band}|{band}",
        ),
        _cat(
            "Indie",
            0.9,
            "indie|indie rock|alternative|lo-fi|dream pop|shoegaze",
            {"era": 1985, "dur": 230},
            tnoun="Polaroid|Bedroom|Postcard|Static|Holiday|Cassette|Sunday",
            tadj="Hazy|Strange|Paper|Faded|Sleepy|Little",
            mood="hazy|jangly|dreamy|melancholic|lo-fi",
            instrument="jangly guitars|reverb-drenched vocals|a drum machine|a wall of fuzz",
            detail="Jangly guitars and hazy vocals wrapped in reverb|A bedroom recording that "
            "grew into a cult favourite|Dreamy verses give way to a wall of fuzz",
            like="indie rock|dream pop and shoegaze|alternative music",
            band="Paper Kites|Faded Postcards|Sleepy Cassettes|Hazy Sundays",
            artist="{band}|The {band}|{first} {last}",
        ),
        _cat(
            "K-Pop",
            0.8,
            "k-pop|korean pop|idol|choreography|dance|fandom",
            {"era": 2005, "dur": 200},
            tnoun="Dynamite Heart|Starlight|Butterfly|Fantasy|Blue Moon|Universe|Crush",
            tadj="Shining|Sweet|Crystal|Brave|Magic|Lovely",
            mood="high-energy|glossy|playful|dramatic|catchy",
            instrument="punchy synth-pop production|rap breaks|a soaring pre-chorus|EDM drops",
            detail="Switches genres three times in three minutes|Made for a tightly "
            "choreographed stage|A soaring pre-chorus leads into an EDM drop",
            like="k-pop|idol groups|korean pop music",
            band="STARLIGHT|NOVA|CRYSTAL|BLOOM",
            artist="{band}|{band} {last}",
        ),
    ),
    shared={"first": _split(_FIRST), "last": _split(_LAST)},
    titles=(
        "{tadj} {tnoun} by {artist}",
        "{tnoun} by {artist}",
        "{tnoun} ({tadj} Version) by {artist}",
    ),
    sentences=(
        (
            "{mood} {cat} track by {artist}, built on {instrument} and {instrument2}.",
            "{artist} delivers a {mood} {cat} cut driven by {instrument}.",
        ),
        ("{detail}.", "{detail}, with {instrument3} underneath."),
        (
            "Released in {year}.",
            "From {artist}'s {year} record.",
            "Fans of {mood2} {cat} love this one.",
        ),
    ),
    preferences=(
        ("I mostly listen to {a}.", "Nothing beats {a}.", "{a}, all day long."),
        ("I listen to {a} and {b}.", "Mostly {a}, sometimes {b}."),
        ("I love {a}, {b} and {c}.", "My playlists are {a}, {b} and {c}."),
    ),
    queries=("{tadj} {tnoun}", "{band}", "{mood} {cat}", "{cat} {tag}", "{tnoun}"),
    segments=("casual_listener", "audiophile", "explorer", "commuter", "party_goer"),
    behaviour=Behaviour(
        search_start=0.08,
        in_taste={"view": 0.62, "skip": 0.14, "like": 0.22, "dislike": 0.02},
        off_taste={"view": 0.4, "skip": 0.45, "like": 0.03, "dislike": 0.12},
        follow_up=frozenset({"like", "dislike"}),
        session_p=0.12,
        gap_median_s=150.0,
        backlist_share=0.8,
    ),
)

VOCABULARIES: Mapping[str, DomainVocab] = {v.name: v for v in (ECOMMERCE, NEWS, MUSIC)}
