"""The tags of an HTML page with their attributes, to check structure without regexes."""

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    """(tag, attributes) for every start tag of ``html``, in order."""
    parser = _Collector()
    parser.feed(html)
    return parser.tags
