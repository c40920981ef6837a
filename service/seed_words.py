"""The vocabulary `python -m service seed-demo` writes messages from: team-chat sentences
with slots, and the words that fill them. Plain ASCII with no tab, newline or backslash,
so generated text needs no escaping in COPY's text format."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "ada alan grace linus margaret dennis barbara ken edsger frances john donald radia "
    "tim guido bjarne anita katherine niklaus leslie shafi judea sophie hedy annie "
    "claude vint bob ivan jean carl mary lynn joan rosa omar priya ravi ananya arjun "
    "mei wei hiro yuki sana amir leila noor kofi amara tunde zanele lucas sofia mateo "
    "camila pablo elena ines nina oskar astrid lars freya mikko aino piotr zofia"
)

LAST_NAMES = _words(
    "lovelace turing hopper torvalds hamilton ritchie liskov thompson dijkstra allen "
    "backus knuth perlman berners rossum stroustrup borg johnson wirth lamport goldwasser "
    "pearl wilson lamarr easley shannon cerf kahn sutherland sammet clark conway "
    "patel sharma iyer chen wang tanaka sato khan haddad mensah okafor adeyemi dlamini "
    "silva garcia lopez fernandez rossi novak nielsen berg virtanen kowalski"
)

# Roughly most used first: the generator picks earlier words more often (Zipf), so some
# words are everywhere and others rare, as in real chat.
NOUNS = _words(
    "release deploy build test dashboard search index query page server database "
    "migration review meeting standup ticket bug fix branch commit pipeline cache "
    "report customer invoice design draft roadmap sprint backlog demo incident alert "
    "latency outage rollback config cluster node container image certificate token "
    "session password login signup onboarding checklist docs wiki readme changelog "
    "benchmark profile flamegraph memory leak timeout retry queue worker scheduler "
    "cron backup restore snapshot replica failover load balancer proxy firewall "
    "budget forecast quarter roadmap offsite lunch coffee pizza birthday holiday "
    "weekend vacation conference talk slides workshop hackathon interview candidate "
    "contract vendor license audit compliance policy privacy survey feedback metric "
    "experiment hypothesis prototype mockup wireframe palette font logo banner "
    "newsletter campaign launch webinar podcast video thumbnail caption translation "
    "keyboard monitor laptop headset microphone printer router badge parking elevator "
    "umbrella bicycle train flight hotel visa passport taxi ferry glacier volcano "
    "aardvark zeppelin quasar marzipan origami saxophone trombone kaleidoscope"
)

VERBS = _words(
    "deploy review merge ship test fix update check move cancel schedule approve "
    "rebuild restart migrate refactor document benchmark profile debug investigate "
    "escalate archive rename split rewrite publish translate backport revert pin "
    "upgrade downgrade rotate renew reindex vacuum analyze tune shard replicate"
)

ADJECTIVES = _words(
    "new old slow fast broken flaky green red stale fresh big small urgent quiet "
    "noisy final early late shiny weird tricky lovely massive tiny critical minor "
    "legacy experimental stable nightly blue purple golden cozy chaotic mysterious"
)

PLACES = (
    "staging",
    "production",
    "the lab",
    "the office",
    "Berlin",
    "Lagos",
    "Kolkata",
    "Lisbon",
    "Osaka",
    "Denver",
    "Nairobi",
    "Helsinki",
    "Montreal",
    "Sydney",
    "the cloud",
    "the basement",
    "the rooftop",
    "the cafeteria",
)

TIMES = (
    "today",
    "tonight",
    "tomorrow",
    "this morning",
    "this afternoon",
    "next week",
    "on Friday",
    "on Monday",
    "after lunch",
    "before the standup",
    "by end of day",
    "in an hour",
    "right now",
    "later",
)

# Slots: {noun} {noun2} {verb} {adj} {adj2} {place} {time} {name}.
TEMPLATES = (
    "Can someone {verb} the {noun} {time}?",
    "The {adj} {noun} is on {place} now.",
    "I will {verb} the {noun} {time}, ping me if the {noun2} looks {adj}.",
    "Heads up: the {noun} on {place} is {adj} again.",
    "Thanks {name} for the {adj} {noun}!",
    "Who owns the {noun}? It needs a {noun2} before we {verb} it.",
    "Reminder: {noun} {time} in {place}.",
    "{name}, could you {verb} my {noun} when you have a minute?",
    "We should {verb} the {noun2} before the {noun}.",
    "The {noun} took forever {time}; I think the {noun2} is {adj}.",
    "Done: {verb} {noun} and {noun2}.",
    "Is the {adj} {noun} still blocked on the {noun2}?",
    "Lunch {time}? There is {adj} {noun} in {place}.",
    "Posting the {noun} notes here so we can {verb} them {time}.",
    "No {noun} {time}, {name} is in {place}.",
    "+1 to {verb} the {noun}, the {noun2} is {adj} anyway.",
    "Found a {adj} {noun} in the {noun2}, will {verb} it {time}.",
    "Status: {noun} {adj}, {noun2} {adj2}, nothing to {verb}.",
    "Can we {verb} the {noun} without touching the {noun2}?",
    "FYI the {noun2} on {place} needs a {adj} {noun}.",
    "Great {noun} {time} everyone!",
    "Who broke the {noun}? The {noun2} is {adj} since {time}.",
    "I moved the {noun} to {place}; {name} will {verb} it.",
    "Quick question about the {noun}: do we {verb} it or the {noun2} first?",
)

EMOJI = ("", "", "", "", " :)", " :tada:", " :eyes:", " :rocket:", " (again)", "!")
