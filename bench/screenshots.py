"""Re-take the README's screenshots of the web pages in headless Chromium.

    .venv/bin/python bench/screenshots.py [--out docs]     (or: make screenshots)

Serves the app (the shipped knowledge base, a throw-away Chroma folder and data folder) on a loopback
port, drives Debian's Chromium through Playwright and writes, for the flagship question (包头陪产假多少天)
and a "not stated" one (赣州育儿补贴有多少), the chat on a desktop with the clause opened
(docs/screenshot-chat.png, docs/screenshot-chat-not-stated.png) and at 390×844 as it arrives
(docs/screenshot-phone.png, docs/screenshot-phone-not-stated.png); then docs/screenshot-staff.png (search and a
clause) and docs/screenshot-compare.png (育儿补贴 across cities). Chinese needs a CJK font (`fonts-wqy-microhei`).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from _common import ROOT, LiveServer

from familydesk import Assistant, Settings
from familydesk.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic", "--hide-scrollbars"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
ANSWERS = {"": "包头陪产假多少天", "-not-stated": "赣州育儿补贴有多少"}  # file suffix → question


def serve(tmp: Path) -> LiveServer:
    """The app on a loopback port; the index is built at start-up (minutes on two cores)."""
    settings = Settings(chroma_dir=tmp / "chroma", data_dir=tmp / "data", rate_limit=0)
    return LiveServer(create_app(Assistant(settings), settings), timeout=300)


def settle(page) -> None:
    """No focus ring, no hover, no half-finished transition in the picture."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(1, 1)
    page.wait_for_timeout(250)


def chat(page, url: str, question: str, expand: bool) -> None:
    page.goto(url + "/")
    page.wait_for_selector("body.ready", state="attached")
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.wait_for_selector('.msg-bot[aria-busy="false"] .answer-card')
    if expand:  # the whole clause and the document, as a tap shows them
        page.locator(".msg-bot .evidence summary").first.click()
    # the question just under the sticky top bar
    page.locator(".msg-user").first.evaluate(
        "n => window.scrollTo(0, n.offsetTop - document.querySelector('.topbar').offsetHeight - 16)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if not fonts.strip():
        print("warning: no CJK font installed; Chinese will show as boxes (apt-get install fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server:
        url = server.url
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            desktop = browser.new_context(viewport=DESKTOP, locale="zh-CN", color_scheme="light",
                                          permissions=["clipboard-read", "clipboard-write"])
            for suffix, question in ANSWERS.items():
                page = desktop.new_page()
                chat(page, url, question, expand=True)
                settle(page)
                page.screenshot(path=args.out / f"screenshot-chat{suffix}.png")

            page = desktop.new_page()
            page.goto(url + "/staff")
            page.wait_for_selector("body.ready", state="attached")
            page.keyboard.press("/")
            page.keyboard.type("产假")
            page.wait_for_selector("#results .result")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            page.keyboard.press("c")
            page.wait_for_selector("#copy-status .copied-text")
            settle(page)
            page.screenshot(path=args.out / "screenshot-staff.png")

            page = desktop.new_page()
            page.goto(url + "/staff")
            page.wait_for_selector("body.ready", state="attached")
            page.click("#tab-compare")
            page.locator("#topics .chip", has_text="育儿补贴").click()
            page.wait_for_selector("#compare .compare-col")
            settle(page)
            page.screenshot(path=args.out / "screenshot-compare.png")

            phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                        locale="zh-CN", color_scheme="light")
            for suffix, question in ANSWERS.items():
                page = phone.new_page()
                chat(page, url, question, expand=False)
                settle(page)
                page.screenshot(path=args.out / f"screenshot-phone{suffix}.png")
            browser.close()
    for name in ("chat", "chat-not-stated", "staff", "compare", "phone", "phone-not-stated"):
        print(args.out / f"screenshot-{name}.png")


if __name__ == "__main__":
    main()
