"""Rewriting a game's HTML for export: inlining, tokens, video fallbacks, the CSP's place."""

from __future__ import annotations

import pytest

from studio.export.rewrite import HtmlRewrite, resolve, rewrite_css, scan, swap_suffix

FILES = {
    "index.html": b"",
    "game.js": b"console.log('</script><!-- x');\n",
    "lib/util.js": b"var util = 1;",
    "style.css": b"body { background: url('assets/bg.png'); }\n",
    "assets/bg.png": b"\x89PNG",
    "assets/clip.webm": b"\x1a\x45\xdf\xa3",
    "assets/clip.mp4": b"mp4",
    "assets/a b.png": b"\x89PNG",
}


def single(text: str, fallbacks=None) -> tuple[str, HtmlRewrite]:
    refs: list[str] = []

    def ref(path: str) -> str:
        refs.append(path)
        return f"T[{path}]"

    rw = HtmlRewrite(FILES, fallbacks or {}, head="<HEAD>", ref=ref, inline=True)
    return rw.apply(text, "index.html"), rw


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("game.js", "game.js"),
        ("./game.js", "game.js"),
        ("/game.js", "game.js"),
        ("lib/../game.js?v=2#x", "game.js"),
        ("assets/a%20b.png", "assets/a b.png"),
        ("../game.js", None),
        ("https://example.com/game.js", None),
        ("//cdn.example.com/game.js", None),
        ("data:text/plain,hi", None),
        ("#top", None),
        ("missing.js", None),
    ],
)
def test_resolve_names_only_files_inside_the_game(url, expected):
    assert resolve(url, "", FILES) == expected


def test_scripts_are_inlined_and_cannot_close_their_tag_early():
    out, rw = single('<html><head></head><body><script src="game.js"></script></body></html>')
    assert "src=" not in out
    assert "console.log('<\\/script><\\!-- x');" in out
    assert rw.inlined == {"game.js"}
    # The rewritten page still parses to one script whose text is the whole file.
    scripts = [t for t in scan(out) if t.name == "script"]
    assert len(scripts) == 1 and scripts[0].raw_stop is not None


def test_stylesheets_become_style_with_their_urls_rewritten():
    out, rw = single('<head><link rel="stylesheet" href="style.css"></head><body></body>')
    assert '<style>body { background: url("T[assets/bg.png]"); }' in out
    assert "<link" not in out and rw.inlined == {"style.css"}


def test_other_references_become_tokens_and_unknown_ones_are_reported():
    out, rw = single(
        '<body><img src="assets/bg.png" srcset="assets/bg.png 1x, assets/a%20b.png 2x">'
        '<div style="background:url(assets/bg.png)"></div>'
        '<img src="nope.png"><a href="https://example.com">x</a></body>'
    )
    assert 'src="T[assets/bg.png]"' in out
    assert 'srcset="T[assets/bg.png] 1x, T[assets/a b.png] 2x"' in out
    assert 'style="background:url(&quot;T[assets/bg.png]&quot;)"' in out
    assert '<a href="https://example.com">' in out
    assert rw.missing == ["nope.png"]


def test_webm_video_gets_an_mp4_source_after_it():
    fallbacks = {"assets/clip.webm": "assets/clip.mp4"}
    text = '<body><video id="v" src="assets/clip.webm" autoplay muted loop></video></body>'
    out, _ = single(text, fallbacks)
    assert (
        '<video id="v" autoplay muted loop><source src="T[assets/clip.webm]" type="video/webm">'
        '<source src="T[assets/clip.mp4]" type="video/mp4"></video>'
    ) in out
    # The web folder keeps the game's own relative URLs.
    folder = HtmlRewrite(FILES, fallbacks, head="").apply(text, "index.html")
    assert '<source src="assets/clip.webm" type="video/webm">' in folder
    assert '<source src="assets/clip.mp4" type="video/mp4">' in folder


def test_source_elements_are_doubled_too():
    fallbacks = {"assets/clip.webm": "assets/clip.mp4"}
    text = "<video><source src='assets/clip.webm?x=1' type='video/webm; codecs=vp9'></video>"
    out = HtmlRewrite(FILES, fallbacks, head="").apply(text, "index.html")
    assert '<source src="assets/clip.webm?x=1" type="video/webm; codecs=vp9">' in out
    assert '<source src="assets/clip.mp4?x=1" type="video/mp4">' in out


@pytest.mark.parametrize(
    ("text", "before"),
    [
        (
            '<!doctype html><html><head><meta charset="utf-8"><title>t</title>',
            '<meta charset="utf-8">',
        ),
        ("<!doctype html><html><head><title>t</title>", "<head>"),
        ("<!DOCTYPE html><canvas></canvas>", "<!DOCTYPE html>"),
        ("<canvas></canvas>", ""),
    ],
)
def test_the_policy_goes_first_in_head_but_after_the_charset(text, before):
    out = HtmlRewrite(FILES, {}, head="<HEAD>").apply(text, "index.html")
    assert out.count("<HEAD>") == 1
    assert (
        out.index("<HEAD>") == len(before) + text.index(before)
        if before
        else out.startswith("<HEAD>")
    )


def test_untouched_markup_stays_byte_for_byte():
    text = "<!doctype html>\r\n<HTML><Body data-x='1'>\n<!-- <script src=game.js> -->\n<p>é ✓</p>"
    out = HtmlRewrite(FILES, {}, head="").apply(text, "index.html")
    assert out == text


def test_css_and_suffix_helpers():
    css = "@import 'style.css'; a { b: url( \"assets/bg.png\" ) } c { d: url(http://x/y.png) }"
    out = rewrite_css(css, "", FILES, lambda p: f"T[{p}]")
    assert (
        out
        == '@import "T[style.css]"; a { b: url("T[assets/bg.png]") } c { d: url(http://x/y.png) }'
    )
    assert swap_suffix("a/clip.WEBM?v=1#t", ".webm", ".mp4") == "a/clip.mp4?v=1#t"
